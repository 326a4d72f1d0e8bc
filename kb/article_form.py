"""The editor's form: an article file's front matter as fields and back, and the form's problems.

The form never checks an article itself: it writes the file's text and hands it to the same
parser as `kb index` and `kb check` (kb/articles.py), then tells each problem's line back to
the field it came from. What a person typed that is not valid (a cost of "15x", a date of
"2026-13-45") is written as typed, so that the message is the checker's own.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable

import yaml
from markdown.extensions.toc import slugify

from kb.articles import (
    DRAFT, FRONT_MATTER_RESOLVERS, PUBLIC, PUBLISHED, RESERVED_SLUGS, ArticleInvalid, Outline, Problem, internal_links,
    parse_article, read_front_matter,
)
from kb.folder import check_links
from kb.taxonomy import LISTED_FACETS, SLUG, Taxonomy

#: Lengths past which a form is refused (a title is a line; a summary a sentence or two).
TITLE_MAX, SUMMARY_MAX, SLUG_MAX = 200, 1000, 80
#: Empty rows for new sources under the ones an article has.
BLANK_SOURCES = 2
#: Lines that stand for the form's related articles and body when the text did not parse.
RELATED_LINE, BODY_LINE = -1, -2
#: Where a problem with no field of its own is shown: the file name is the slug.
FIELD_OF_KEY = {"cost": "cost", "reviewed": "reviewed", "updated": "body", **{key: key for key in LISTED_FACETS}}


@dataclass
class ArticleFields:
    """What the form shows and sends: every value as text, as typed."""

    slug: str = ""
    title: str = ""
    summary: str = ""
    facets: dict[str, list[str]] = field(default_factory=lambda: {key: [] for key in LISTED_FACETS})
    cost_min: str = ""
    cost_max: str = ""
    audience: str = PUBLIC
    status: str = DRAFT
    related: str = ""
    sources: list[dict[str, str]] = field(default_factory=list)
    reviewed_by: str = ""
    reviewed_on: str = ""
    reviewed_next: str = ""
    body: str = ""
    #: The front matter's keys in the order of the file the form was opened from: a save keeps it.
    key_order: list[str] = field(default_factory=list)

    @property
    def related_slugs(self) -> list[str]:
        return [item for item in re.split(r"[\s,]+", self.related) if item]

    def source_rows(self) -> list[dict[str, str]]:
        """The sources with blank rows under them, for the form."""
        return self.sources + [{"file": "", "title": "", "url": ""} for _ in range(BLANK_SOURCES)]


def propose_slug(title: str) -> str:
    """A slug from a title, as the article page's address: 'Eczema and microneedling' -> 'eczema-and-microneedling'."""
    return re.sub(r"[-_]+", "-", slugify(title, "-"))[:SLUG_MAX].strip("-")


def fields_from_form(form) -> ArticleFields:
    """The fields as a browser sent them (every value text; line ends as in a file)."""
    def text(name: str) -> str:
        return form.get(name, "").replace("\r\n", "\n").replace("\r", "\n")

    sources = []
    for file, title, url in zip(form.getlist("source_file"), form.getlist("source_title"), form.getlist("source_url")):
        if file.strip() or title.strip() or url.strip():
            sources.append({"file": file.strip(), "title": title.strip(), "url": url.strip()})
    return ArticleFields(
        slug=text("slug").strip(),
        title=text("title").strip(),
        summary=" ".join(text("summary").split()),
        # As sent, known or not: `kb check` names an unknown value beside its facet.
        facets={key: [value for value in form.getlist(key) if value] for key in LISTED_FACETS},
        cost_min=text("cost_min").strip(),
        cost_max=text("cost_max").strip(),
        audience=text("audience") or PUBLIC,
        status=text("status") or DRAFT,
        related=text("related").strip(),
        sources=sources,
        reviewed_by=text("reviewed_by").strip(),
        reviewed_on=text("reviewed_on").strip(),
        reviewed_next=text("reviewed_next").strip(),
        body=text("body"),
        key_order=text("key_order").split(),
    )


def fields_from_file(slug: str, raw: bytes) -> ArticleFields:
    """An article file as the form shows it; ArticleInvalid when its front matter cannot be read."""
    meta, body = read_front_matter(raw, f"{slug}.md")
    cost = meta.get("cost") if isinstance(meta.get("cost"), dict) else {}
    reviewed = meta.get("reviewed") if isinstance(meta.get("reviewed"), dict) else {}
    sources = meta.get("sources") or []
    return ArticleFields(
        slug=slug,
        title=_text(meta.get("title")),
        summary=_text(meta.get("summary")),
        facets={key: [str(value) for value in _listed(meta.get(key))] for key in LISTED_FACETS},
        cost_min=_text(cost.get("min")),
        cost_max=_text(cost.get("max")),
        audience=_text(meta.get("audience")) or PUBLIC,
        status=_text(meta.get("status")) or PUBLISHED,
        related="\n".join(str(item) for item in _listed(meta.get("related"))),
        sources=[_source_row(item) for item in _listed(sources)],
        reviewed_by=_text(reviewed.get("by")),
        reviewed_on=_text(reviewed.get("on")),
        reviewed_next=_text(reviewed.get("next")),
        body=body[1:] if body.startswith("\n") else body,
        key_order=[str(key) for key in meta],
    )


def file_text(fields: ArticleFields, taxonomy: Taxonomy, updated: dt.date) -> str:
    """The article file for these fields: front matter in the order articles are written, then the body."""
    meta: dict = {"title": fields.title, "summary": fields.summary}
    for key in LISTED_FACETS:
        if fields.facets[key]:
            meta[key] = _Inline(fields.facets[key])
    if fields.cost_min or fields.cost_max:
        meta["cost"] = _InlineMapping(min=_number(fields.cost_min), max=_number(fields.cost_max or fields.cost_min), currency=taxonomy.currency)
    if fields.audience != PUBLIC:
        meta["audience"] = fields.audience
    if fields.status != PUBLISHED:
        meta["status"] = fields.status
    meta["updated"] = updated
    if fields.reviewed_by or fields.reviewed_on or fields.reviewed_next:
        meta["reviewed"] = _InlineMapping(by=_FlowText(fields.reviewed_by), on=_date(fields.reviewed_on), next=_date(fields.reviewed_next))
    if fields.sources:
        sources = [_source_value(row) for row in fields.sources]
        meta["sources"] = _Inline(sources) if all(isinstance(source, str) for source in sources) else sources
    if fields.related_slugs:
        meta["related"] = _Inline(fields.related_slugs)
    if fields.key_order:  # the file's order first; keys it did not have where articles put them
        place = {key: number for number, key in enumerate(fields.key_order)}
        meta = dict(sorted(meta.items(), key=lambda item: (place.get(item[0], len(place)), list(meta).index(item[0]))))
    body = fields.body if fields.body.endswith("\n") or not fields.body else fields.body + "\n"
    return "---\n" + yaml.dump(meta, Dumper=_FrontMatterDumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=10_000) + "---\n" + body


def form_problems(fields: ArticleFields, is_new: bool, taken: set[str]) -> dict[str, list[str]]:
    """What the form itself refuses before the article is checked: the slug, and lengths."""
    problems: dict[str, list[str]] = {}
    if is_new:
        if not fields.slug:
            problems.setdefault("slug", []).append("Give the article an address (its slug), or a title to make one from.")
        elif len(fields.slug) > SLUG_MAX or not SLUG.match(fields.slug):
            problems.setdefault("slug", []).append(f"Use lowercase letters, digits and single hyphens, at most {SLUG_MAX} characters (like 'eczema-and-microneedling').")
        elif fields.slug in RESERVED_SLUGS or fields.slug in taken:
            problems.setdefault("slug", []).append(f"'{fields.slug}' is already the address of another page; choose another.")
    if len(fields.title) > TITLE_MAX:
        problems.setdefault("title", []).append(f"The title is {len(fields.title)} characters long; keep it to {TITLE_MAX}.")
    if len(fields.summary) > SUMMARY_MAX:
        problems.setdefault("summary", []).append(f"The summary is {len(fields.summary)} characters long; keep it to {SUMMARY_MAX}.")
    return problems


def check_article(text: str, slug: str, taxonomy: Taxonomy, others: Iterable[str], related: Iterable[str] = (), body: str = "") -> dict[str, list[Problem]]:
    """The problems `kb check` finds in this text as the file `slug`.md (with the slugs of the
    other articles, for related articles and links), by the field of the form each concerns.
    `related` and `body` are the form's, for the links of an article that does not parse."""
    shown = f"{slug}.md"
    try:
        outline = parse_article(text.encode("utf-8"), shown, taxonomy, shown).outline()
        problems: list[Problem] = []
    except ArticleInvalid as invalid:
        problems = invalid.problems
        # Broken related articles and links are still named, beside the errors.
        outline = Outline(slug, shown, "", None, tuple((other, RELATED_LINE) for other in related), tuple(internal_links(body, BODY_LINE)))
    outlines = [outline, *(Outline(other, "", "", None) for other in others if other != slug)]
    problems += [problem for problem in check_links(outlines) if problem.path == shown]
    by_field: dict[str, list[Problem]] = {}
    lines = _key_lines(text)
    for problem in problems:
        field = _field_of(problem.line, lines) if problem.line not in (RELATED_LINE, BODY_LINE) else ("related" if problem.line == RELATED_LINE else "body")
        by_field.setdefault(field, []).append(problem)
    return by_field


def _key_lines(text: str) -> list[tuple[int, str]]:
    """(file line, key) of each top-level front matter key, as `file_text` writes them."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        if number > 1 and line == "---":
            found.append((number, "body"))
            break
        match = re.match(r"^([a-z_]+):", line)
        if match and number > 1:
            found.append((number, match.group(1)))
    return found


def _field_of(line: int, lines: list[tuple[int, str]]) -> str:
    if line <= 1:
        return "slug"
    key = "title"
    for start, name in lines:
        if start <= line:
            key = name
    return FIELD_OF_KEY.get(key, key)


class _FrontMatterDumper(yaml.SafeDumper):
    """Front matter as the articles are written by hand: a key per line, lists of values and
    small mappings on one line, each source on a line of its own under an indented dash."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


class _Inline(list):
    """A list written on one line: [a, b]."""


class _InlineMapping(dict):
    """A mapping written on one line: {min: 150, max: 400}."""


_FrontMatterDumper.yaml_implicit_resolvers = FRONT_MATTER_RESOLVERS  # "on" and "2026-11-01" stay plain: they read back as text


class _FlowText(str):
    """Text inside a one-line mapping, where a comma or a bracket would end it."""


class _QuotedText(str):
    """Text always in double quotes (sources' titles, as articles write them)."""


def _text_scalar(dumper, value: str):
    """Plain where YAML allows it, else in double quotes, as articles are written by hand."""
    analysis = dumper.analyze_scalar(value)
    plain = analysis.allow_flow_plain if isinstance(value, _FlowText) else analysis.allow_block_plain
    quoted = isinstance(value, _QuotedText) or not plain or analysis.multiline
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"' if quoted else None)


for _kind in (str, _FlowText, _QuotedText):
    _FrontMatterDumper.add_representer(_kind, _text_scalar)
# Dates as the text they are read back as (the front matter reader leaves dates as text).
_FrontMatterDumper.add_representer(dt.date, lambda dumper, day: dumper.represent_scalar("tag:yaml.org,2002:str", day.isoformat()))
_FrontMatterDumper.add_representer(_Inline, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True))
_FrontMatterDumper.add_representer(
    _InlineMapping, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)
)


def _text(value) -> str:
    return "" if value is None else str(value)


def _listed(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _source_row(item) -> dict[str, str]:
    if isinstance(item, dict):
        return {key: _text(item.get(key)) for key in ("file", "title", "url")}
    return {"file": _text(item), "title": "", "url": ""}


def _source_value(row: dict[str, str]):
    """A source as its front matter says it: the file name alone, or with its title and link."""
    if not row["title"] and not row["url"]:
        return _FlowText(row["file"])
    value = _InlineMapping(file=_FlowText(row["file"]), title=_QuotedText(row["title"]))
    if row["url"]:
        value["url"] = _FlowText(row["url"])
    return value


def _number(typed: str):
    """A number when the text is one written in digits ("150", "99.5"); else the text, for the checker to name."""
    if not re.fullmatch(r"[0-9]{1,9}(?:\.[0-9]{1,2})?", typed):
        return _FlowText(typed)
    return float(typed) if "." in typed else int(typed)


def _date(typed: str):
    try:
        return dt.date.fromisoformat(typed)
    except ValueError:
        return _FlowText(typed) if typed else None
