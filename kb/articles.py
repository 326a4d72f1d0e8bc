"""One article: read a Markdown file, split off its front matter, validate it, render it."""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from kb.rendering import Heading, html_to_text, render_markdown
from kb.reviews import Review, parse_review
from kb.sources import Source, parse_sources
from kb.taxonomy import LISTED_FACETS, SLUG, Taxonomy

#: Who may read an article: everyone, or signed-in staff only. Staff see both.
PUBLIC, STAFF = "public", "staff"
AUDIENCES = (PUBLIC, STAFF)
#: Signed-in editors: staff who also see drafts. A reader, never an article's audience.
EDITORS = "editors"
READERS = (PUBLIC, STAFF, EDITORS)
#: A draft is seen by editors only; publishing it is changing its status.
DRAFT, PUBLISHED = "draft", "published"
STATUSES = (DRAFT, PUBLISHED)
KNOWN_KEYS = ("title", "summary", *LISTED_FACETS, "cost", "audience", "status", "updated", "reviewed", "sources", "related")
#: Slugs the site's own pages use under /articles/ (the editor's /articles/new).
RESERVED_SLUGS = frozenset({"new"})
#: Links between articles, written either as the site path or as the file name.
INTERNAL_LINK = re.compile(r"\]\((?:/articles/([^)#?\s]+)|([a-z0-9-]+)\.md)(?:#[^)]*)?\)")
#: A file modified this close to the moment it was read may change again within the same
#: timestamp tick without its stamp changing (git's "racily clean" case): its content is hashed next time.
RACY_NANOSECONDS = 2_000_000_000


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when PyYAML has it
    """PyYAML's safe loader, except dates stay text: `updated: 2026-13-45` then gets a clear
    message with its line from `_date` instead of a ValueError from deep inside PyYAML. And
    booleans are only true and false, as in YAML 1.2: YAML 1.1 also reads on, off, yes and no
    as booleans, which would turn the key `on` of `reviewed: {by, on, next}` into True."""


_BOOL = "tag:yaml.org,2002:bool"
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:timestamp", _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _FrontMatterLoader.yaml_implicit_resolvers.setdefault(_first, []).append(
        (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )


#: How front matter text is read into values (what is a boolean, a number, text): for a writer
#: that wants its output read back as it meant it.
FRONT_MATTER_RESOLVERS = _FrontMatterLoader.yaml_implicit_resolvers


@dataclass(frozen=True)
class Problem:
    """Why a file was rejected (or, for a broken link, what was dropped): file, line, message."""

    path: str
    line: int
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ArticleInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Outline:
    """What the checks across a folder need of one article (its slug and the articles it points
    to, with their lines), and how to tell its file unchanged later without reading it again:
    the stamp (size, modification and change times, inode) and the hash of its bytes."""

    slug: str
    path: str
    content_hash: str
    stamp: tuple[int, ...] | None
    related: tuple[tuple[str, int], ...] = ()
    links: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict:
        return {"hash": self.content_hash, "stamp": self.stamp, "related": self.related, "links": self.links}

    def found_at(self, path: str, stamp: tuple[int, ...] | None) -> Outline:
        """The same outline for its file at `path`, as stamped now."""
        return Outline(self.slug, path, self.content_hash, stamp, self.related, self.links)

    @classmethod
    def from_json(cls, slug: str, data: dict) -> Outline:
        stamp, related, links = data.get("stamp"), data.get("related"), data.get("links")
        return cls(
            slug, "", str(data["hash"]), tuple(map(int, stamp)) if stamp else None,
            tuple((str(s), int(line)) for s, line in related) if related else (),
            tuple((str(s), int(line)) for s, line in links) if links else (),
        )


@dataclass
class Article:
    slug: str
    path: str
    title: str
    summary: str
    html: str
    text: str
    headings: tuple[Heading, ...]
    facets: dict[str, tuple[str, ...]]
    audience: str = PUBLIC
    status: str = PUBLISHED
    updated: dt.date | None = None
    reviewed: Review | None = None
    price_min: float | None = None
    price_max: float | None = None
    currency: str | None = None
    sources: tuple[str, ...] = ()
    #: Each source with its title and link, where the front matter gives them (kb/sources.py).
    source_details: tuple[Source, ...] = ()
    related: tuple[str, ...] = ()
    links: tuple[tuple[str, int], ...] = ()
    content_hash: str = ""
    stamp: tuple[int, ...] | None = None
    related_lines: tuple[int, ...] = field(default=(), repr=False)

    def outline(self) -> Outline:
        return Outline(self.slug, self.path, self.content_hash, self.stamp, tuple(zip(self.related, self.related_lines)), self.links)


def load_article(path: Path, taxonomy: Taxonomy, display_path: str | None = None) -> Article:
    """Parse and check one article; raises ArticleInvalid with every problem found (file and line)."""
    shown = display_path or str(path)
    raw, stamp = _read(path, shown)
    return parse_article(raw, path.name, taxonomy, shown, stamp)


def parse_article(raw: bytes, file_name: str, taxonomy: Taxonomy, shown: str, stamp: tuple[int, ...] | None = None) -> Article:
    """Check the bytes of an article file named `file_name` (the editor's text, before it is a
    file, is checked here too); ArticleInvalid with every problem found (`shown` and line)."""
    front, body, body_line = _split(raw, shown)
    meta, lines = _front_matter(front, shown)
    checked = _validate(file_name, meta, lines, taxonomy, shown)
    html, headings = render_markdown(body)
    return Article(
        slug=Path(file_name).stem,
        path=shown,
        html=html,
        text=html_to_text(html),
        headings=headings,
        links=tuple(internal_links(body, body_line)),
        content_hash=content_hash(raw),
        stamp=stamp,
        **checked,
    )


def read_front_matter(raw: bytes, shown: str) -> tuple[dict, str]:
    """An article file's front matter, as a mapping, and its Markdown body (for the editor's form);
    ArticleInvalid when it cannot be read."""
    front, body, _ = _split(raw, shown)
    meta, _ = _front_matter(front, shown)
    return meta, body


def _read(path: Path, shown: str) -> tuple[bytes, tuple[int, ...] | None]:
    """The file's bytes and its stamp, taken before reading so that a later change shows."""
    try:
        with open(path, "rb") as handle:
            stamp = file_stamp(os.fstat(handle.fileno()))
            return handle.read(), stamp
    except OSError as exc:
        raise ArticleInvalid([Problem(shown, 1, f"cannot read the file ({exc.strerror})")]) from exc


def _split(raw: bytes, shown: str) -> tuple[str, str, int]:
    """The front matter, the Markdown body, and the file line the body starts on."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleInvalid([Problem(shown, 1, f"not UTF-8 text (byte {exc.start})")]) from exc
    if "\x00" in text:
        raise ArticleInvalid([Problem(shown, 1, "binary file (contains NUL bytes), not a Markdown article")])
    text = text.lstrip("\ufeff")
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        raise ArticleInvalid([Problem(shown, 1, "missing YAML front matter: the file must start with a '---' line")])
    try:
        front, body = handler.split(text)
    except ValueError as exc:
        raise ArticleInvalid([Problem(shown, 1, "front matter is not closed by a second '---' line")]) from exc
    body_line = text.count("\n", 0, text.find(body)) + 1 if body else 1
    return front, body, body_line


#: The front matter's first key is on line 2 of the file: where a problem with no line of its own is reported.
FIRST_KEY_LINE = 2


def _front_matter(front: str, shown: str) -> tuple[dict, dict[str, int]]:
    """The front matter as a mapping, and the file line of each key and of each list item
    ("related:0" for the first item of `related`)."""
    loader = _FrontMatterLoader(front)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed '['), the problem
        # mark where parsing gave up (often the end of the front matter): the first helps more.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ArticleInvalid([Problem(shown, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    finally:
        loader.dispose()
    if not isinstance(meta, dict):
        raise ArticleInvalid([Problem(shown, FIRST_KEY_LINE, "front matter must be a mapping of 'key: value' lines")])
    return meta, _key_lines(node)


def _key_lines(node: yaml.Node) -> dict[str, int]:
    # The split keeps the newline that ends the opening '---' line, so YAML's 0-based line
    # numbers are one less than the file's.
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        lines[key] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.SequenceNode):
            for position, item in enumerate(value_node.value):
                lines[f"{key}:{position}"] = item.start_mark.line + 1
    return lines


def _validate(file_name: str, meta: dict, lines: dict[str, int], taxonomy: Taxonomy, shown: str) -> dict:
    """The article's fields from its front matter; ArticleInvalid listing every problem found."""
    problems: list[Problem] = []

    def line_of(key: str) -> int:
        return lines.get(key, lines.get(key.split(":")[0], FIRST_KEY_LINE))

    def problem(line: int, message: str) -> None:
        problems.append(Problem(shown, line, message))

    slug = Path(file_name).stem
    if not SLUG.match(slug):
        problem(1, f"file name '{file_name}' must be a slug: lowercase letters, digits and '-', ending in .md")
    elif slug in RESERVED_SLUGS:
        problem(1, f"'{slug}' is a page of the site (/articles/{slug}); choose another file name")
    for key in meta:
        if key not in KNOWN_KEYS:
            near = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else f"; known keys: {', '.join(KNOWN_KEYS)}"
            problem(line_of(str(key)), f"unknown front matter key '{key}'{hint}")
    fields = {
        "title": _required_text(meta, "title", line_of("title"), problem),
        "summary": _required_text(meta, "summary", line_of("summary"), problem),
        "facets": _facets(meta, taxonomy, line_of, problem),
    }
    price_min = price_max = currency = None
    if meta.get("cost") is not None:
        price_min, price_max, currency = _cost(meta["cost"], taxonomy, line_of("cost"), problem)
    fields["facets"]["cost"] = tuple(taxonomy.cost_bands(price_min, price_max)) if price_min is not None else ()
    audience = meta.get("audience", PUBLIC)
    if audience not in AUDIENCES:
        problem(line_of("audience"), f"audience must be 'public' or 'staff', not '{audience}'")
    status = meta.get("status", PUBLISHED)
    if status not in STATUSES:
        problem(line_of("status"), f"status must be 'draft' or 'published', not '{status}'")
    related = _string_list(meta, "related", line_of("related"), problem)
    for position, value in enumerate(related):
        if not SLUG.match(value):
            problem(line_of(f"related:{position}"), f"related '{value}' is not an article slug")
    sources = parse_sources(meta.get("sources"), line_of("sources"), problem)
    fields.update(
        audience=audience,
        status=status,
        updated=_date(meta.get("updated"), line_of("updated"), problem),
        reviewed=parse_review(
            meta.get("reviewed"), line_of("reviewed"), problem, dt.date.today(),
            read_date=lambda value, name: _date(value, line_of("reviewed"), problem, name),
        ),
        price_min=price_min, price_max=price_max, currency=currency,
        source_details=sources,
        sources=tuple(source.file for source in sources),
        related=tuple(dict.fromkeys(related)),
    )
    fields["related_lines"] = tuple(line_of(f"related:{related.index(slug)}") for slug in fields["related"])
    if problems:
        raise ArticleInvalid(problems)
    return fields


def _facets(meta: dict, taxonomy: Taxonomy, line_of, problem) -> dict[str, tuple[str, ...]]:
    """The listed facets' values, each checked against the taxonomy."""
    facets: dict[str, tuple[str, ...]] = {}
    for key in LISTED_FACETS:
        values = _string_list(meta, key, line_of(key), problem)
        for position, value in enumerate(values):
            if taxonomy.facet(key).get(value) is None:
                suggestions = ", ".join(taxonomy.closest(key, value))
                problem(line_of(f"{key}:{position}"), f"unknown {key} '{value}'; closest valid values: {suggestions}")
        facets[key] = tuple(dict.fromkeys(values))
    return facets


def file_stamp(status: os.stat_result) -> tuple[int, ...] | None:
    """What changes whenever a file's content may have (git's test of the same), or None when the
    file was modified so recently that another change could still leave it the same."""
    if status.st_mtime_ns > time.time_ns() - RACY_NANOSECONDS:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:20]


def internal_links(body: str, first_line: int) -> list[tuple[str, int]]:
    links = []
    for number, line in enumerate(body.splitlines(), start=first_line):
        for match in INTERNAL_LINK.finditer(line):
            links.append((match.group(1) or match.group(2), number))
    return links


def _required_text(meta, key, line: int, problem) -> str:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        problem(line, f"'{key}' is required and must not be empty")
        return ""
    if not isinstance(value, str):
        problem(line, f"'{key}' must be text")
        return ""
    return " ".join(value.split())


def _string_list(meta, key, line: int, problem) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        problem(line, f"'{key}' must be a list of text values")
        return []
    return [str(v).strip() for v in value]


def _cost(value, taxonomy: Taxonomy, line: int, problem) -> tuple[float | None, float | None, str | None]:
    if not isinstance(value, dict):
        problem(line, "'cost' must be a mapping like {min: 150, max: 400, currency: USD}")
        return None, None, None
    unknown = set(value) - {"min", "max", "currency"}
    if unknown:
        problem(line, f"'cost' has unknown keys {sorted(unknown)}; use min, max and currency")
    low, high = value.get("min"), value.get("max", value.get("min"))
    for name, number in (("min", low), ("max", high)):
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
            problem(line, f"cost {name} must be a non-negative number, not {number!r}")
            return None, None, None
    if low > high:
        problem(line, f"cost min ({low}) is greater than max ({high})")
        return None, None, None
    currency = str(value.get("currency") or taxonomy.currency)
    if currency != taxonomy.currency:
        problem(line, f"cost currency must be {taxonomy.currency} (the taxonomy's bands are in it), not {currency}")
        return None, None, None
    return float(low), float(high), currency


def _date(value, line: int, problem, name: str = "updated") -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problem(line, f"{name} must be a date like 2026-11-01, not '{value}'")
        return None
