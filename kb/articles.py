"""Articles: load and validate one Markdown file or a folder; render Markdown to safe HTML and plain text."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import difflib
import functools
import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator, Mapping

import frontmatter
import markdown
import nh3
import yaml

from kb.taxonomy import LISTED_FACETS, Taxonomy

log = logging.getLogger(__name__)

AUDIENCES = ("public", "staff")
KNOWN_KEYS = ("title", "summary", *LISTED_FACETS, "cost", "audience", "updated", "sources", "related")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Links between articles, written either as the site path or as the file name.
INTERNAL_LINK = re.compile(r"\]\((?:/articles/([^)#?\s]+)|([a-z0-9-]+)\.md)(?:#[^)]*)?\)")

#: Folders of at least this many articles are parsed by several processes, at most this many, in chunks this big.
PARALLEL_LOAD_MINIMUM, MAX_LOAD_PROCESSES, PARALLEL_LOAD_CHUNK = 500, 4, 64
#: A file modified this close to the moment it was read may change again within the same
#: timestamp tick without its stamp changing (git's "racily clean" case): its content is hashed next time.
RACY_NANOSECONDS = 2_000_000_000

MARKDOWN_EXTENSIONS = ["toc", "tables", "fenced_code", "sane_lists", "attr_list"]
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
#: nh3's defaults plus ids on headings, which the table of contents links to.
ALLOWED_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    **{tag: {*nh3.ALLOWED_ATTRIBUTES.get(tag, set()), "id"} for tag in HEADING_TAGS},
}


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when PyYAML has it
    """PyYAML's safe loader, except dates stay text: `updated: 2026-13-45` then gets a clear
    message with its line from `_date` instead of a ValueError from deep inside PyYAML."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Problem:
    """Why a file was rejected (or, for a broken link, what was dropped): file, line, message."""

    path: str
    line: int
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass
class Article:
    slug: str
    path: str
    title: str
    summary: str
    markdown: str
    html: str
    text: str
    headings: tuple[Heading, ...]
    facets: dict[str, tuple[str, ...]]
    audience: str = "public"
    updated: dt.date | None = None
    price_min: float | None = None
    price_max: float | None = None
    currency: str | None = None
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    links: tuple[tuple[str, int], ...] = ()
    content_hash: str = ""
    stamp: tuple[int, ...] | None = None
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    def outline(self) -> Outline:
        related = tuple(
            (slug, self.lines.get(f"related:{position}", self.lines.get("related", 1)))
            for position, slug in enumerate(self.related)
        )
        return Outline(self.slug, self.path, self.content_hash, self.stamp, related, self.links)


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
        """The same outline for its file at `path`, as stamped now. (dataclasses.replace, which
        checks every field anew, ran for each of 10,000 unchanged files on every update.)"""
        return Outline(self.slug, path, self.content_hash, stamp, self.related, self.links)

    @classmethod
    def from_json(cls, slug: str, data: dict) -> Outline:
        # Read for every article on each `kb index`: most have no related articles or links.
        stamp, related, links = data.get("stamp"), data.get("related"), data.get("links")
        return cls(
            slug, "", str(data["hash"]), tuple(map(int, stamp)) if stamp else None,
            tuple((str(s), int(line)) for s, line in related) if related else (),
            tuple((str(s), int(line)) for s, line in links) if links else (),
        )


@dataclass
class LoadResult:
    """A folder's articles: those parsed, and those known unchanged since the outlines given to
    `load_folder` (not parsed again), with every problem found across all of them."""

    articles: list[Article]
    problems: list[Problem]
    unchanged: list[Outline] = field(default_factory=list)

    @property
    def rejected(self) -> list[str]:
        return sorted({p.path for p in self.problems if p.fatal})

    @property
    def outlines(self) -> list[Outline]:
        return [a.outline() for a in self.articles] + self.unchanged

    def parse(self, outlines: list[Outline], taxonomy: Taxonomy) -> LoadResult:
        """This result with those unchanged articles parsed after all (the index needs their text)."""
        slugs = {o.slug for o in outlines}
        articles, problems = list(self.articles), list(self.problems)
        for outcome in _load_all([Path(o.path) for o in outlines], taxonomy):
            if isinstance(outcome, Article):
                articles.append(outcome)
            else:
                problems.extend(outcome)
        return LoadResult(articles, problems, [o for o in self.unchanged if o.slug not in slugs])


class ArticleInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _parse_front_matter(front: str) -> tuple[object, yaml.Node | None]:
    """The front matter's data and its node tree (for line numbers), from one parse."""
    loader = _FrontMatterLoader(front)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


_converters = threading.local()


def _markdown() -> markdown.Markdown:
    """This thread's Markdown converter, reset: building one costs more than converting an article."""
    md = getattr(_converters, "md", None)
    if md is None:
        md = _converters.md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs={"toc": {"permalink": False}})
    return md.reset()


def render_markdown(text: str) -> tuple[str, tuple[Heading, ...]]:
    """Markdown to sanitized HTML (raw HTML, scripts and javascript: links are stripped) and its headings."""
    md = _markdown()
    raw_html = md.convert(text)
    safe_html = nh3.clean(raw_html, attributes=ALLOWED_ATTRIBUTES, link_rel="noopener noreferrer")
    return safe_html, tuple(_flatten_toc(md.toc_tokens))


def _flatten_toc(tokens: list[dict]) -> list[Heading]:
    headings: list[Heading] = []
    for token in tokens:
        headings.append(Heading(int(token["level"]), token["id"], _TextExtractor.extract(token["name"])))
        headings.extend(_flatten_toc(token.get("children", [])))
    return headings


class _TextExtractor(HTMLParser):
    """Plain text of sanitized HTML, blocks separated by newlines (what snippets are cut from)."""

    BLOCKS = {"p", "li", "tr", "br", "div", "blockquote", "pre", *HEADING_TAGS}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)

    @classmethod
    def extract(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
        return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    return _TextExtractor.extract(html)


def load_article(path: Path, taxonomy: Taxonomy, display_path: str | None = None) -> Article:
    """Parse and check one article; raises ArticleInvalid with every problem found (file and line)."""
    shown = display_path or str(path)
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(shown, line, message))

    slug = path.stem
    if not SLUG.match(slug):
        problem(1, f"file name '{path.name}' must be a slug: lowercase letters, digits and '-', ending in .md")
    try:
        with open(path, "rb") as handle:
            stamp = _stamp(os.fstat(handle.fileno()))  # before reading: a later change then shows
            raw = handle.read()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ArticleInvalid([Problem(shown, 1, f"cannot read the file ({exc.strerror})")]) from exc
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
    # The front matter's first key is on line 2 of the file. The split keeps the newline that
    # ends the opening '---' line, so YAML's 0-based line numbers are one less than the file's.
    offset = 2
    mark_offset = 1
    try:
        meta, node = _parse_front_matter(front)
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed '['), the problem
        # mark where parsing gave up (often the end of the front matter): the first helps more.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + mark_offset if mark is not None else 1
        raise ArticleInvalid([Problem(shown, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    if not isinstance(meta, dict):
        raise ArticleInvalid([Problem(shown, offset, "front matter must be a mapping of 'key: value' lines")])
    lines, item_lines = _key_lines(node, mark_offset)

    for key in meta:
        if key not in KNOWN_KEYS:
            near = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else f"; known keys: {', '.join(KNOWN_KEYS)}"
            problem(lines.get(key, offset), f"unknown front matter key '{key}'{hint}")

    title = _required_text(meta, "title", lines, offset, problem)
    summary = _required_text(meta, "summary", lines, offset, problem)

    facets: dict[str, tuple[str, ...]] = {}
    for key in LISTED_FACETS:
        values = _string_list(meta, key, lines, offset, problem)
        for position, value in enumerate(values):
            if taxonomy.facet(key).get(value) is None:
                line = item_lines.get(key, {}).get(position, lines.get(key, offset))
                suggestions = ", ".join(taxonomy.closest(key, value))
                problem(line, f"unknown {key} '{value}'; closest valid values: {suggestions}")
        facets[key] = tuple(dict.fromkeys(values))

    price_min = price_max = currency = None
    if meta.get("cost") is not None:
        price_min, price_max, currency = _cost(meta["cost"], taxonomy, lines.get("cost", offset), problem)
    facets["cost"] = tuple(taxonomy.cost_bands(price_min, price_max)) if price_min is not None else ()

    audience = meta.get("audience", "public")
    if audience not in AUDIENCES:
        problem(lines.get("audience", offset), f"audience must be 'public' or 'staff', not '{audience}'")

    updated = _date(meta.get("updated"), lines.get("updated", offset), problem)
    sources = _string_list(meta, "sources", lines, offset, problem)
    related = _string_list(meta, "related", lines, offset, problem)
    for position, value in enumerate(related):
        if not SLUG.match(value):
            problem(item_lines.get("related", {}).get(position, lines.get("related", offset)), f"related '{value}' is not an article slug")

    if problems:
        raise ArticleInvalid(problems)

    body_start = text.count("\n", 0, text.find(body)) + 1 if body else 1
    html, headings = render_markdown(body)
    return Article(
        slug=slug,
        path=shown,
        title=title,
        summary=summary,
        markdown=body,
        html=html,
        text=html_to_text(html),
        headings=headings,
        facets=facets,
        audience=audience,
        updated=updated,
        price_min=price_min,
        price_max=price_max,
        currency=currency,
        sources=tuple(sources),
        related=tuple(dict.fromkeys(related)),
        links=tuple(_internal_links(body, body_start)),
        content_hash=_content_hash(raw),
        stamp=stamp,
        lines={**lines, **{f"related:{i}": line for i, line in item_lines.get("related", {}).items()}},
    )


def load_folder(folder: Path, taxonomy: Taxonomy, previous: Mapping[str, Outline] | None = None) -> LoadResult:
    """Load every *.md under `folder`; bad files become Problems while the rest load.

    `previous` (slug -> Outline, from the index's manifest) lets files whose stamp or bytes are
    the same as then skip parsing: they come back as `unchanged` outlines.
    """
    folder = Path(folder)
    to_parse: list[Path] = []
    unchanged: list[Outline] = []
    paths = _article_paths(folder)
    for path in paths:
        known = _still_the_same(previous.get(_slug_of(path)), path) if previous else None
        if known is None:
            to_parse.append(Path(path))
        else:
            unchanged.append(known)
    articles: list[Article] = []
    problems: list[Problem] = []
    for outcome in _load_all(to_parse, taxonomy):
        if isinstance(outcome, Article):
            articles.append(outcome)
        else:
            problems.extend(outcome)
    position = {path: number for number, path in enumerate(paths)}  # the paths are in order already
    everything = sorted([a.outline() for a in articles] + unchanged, key=lambda o: position[o.path])
    problems.extend(_duplicate_slugs(everything))
    rejected = {p.path for p in problems if p.fatal}
    articles = [a for a in articles if a.path not in rejected]
    unchanged = [o for o in unchanged if o.path not in rejected]
    problems.extend(_check_links([o for o in everything if o.path not in rejected]))
    return LoadResult(articles, problems, unchanged)


def _article_paths(folder: Path) -> list[str]:
    """Every *.md under `folder` in the order of sorted Paths, skipping hidden files and folders.
    A folder named like an article is listed too, so that it is reported, not silently skipped.
    Plain strings and os.walk: with 10,000 files, pathlib's objects cost more than the stat calls."""
    found = []
    for top, folders, files in os.walk(str(folder), followlinks=True):
        folders[:] = [name for name in folders if not name.startswith(".")]
        # normpath: written as str(Path(...)) writes it ("x.md", not "./x.md"), parsed or not.
        found += [os.path.normpath(os.path.join(top, name)) for name in files + folders if name.endswith(".md") and not name.startswith(".")]
    return sorted(found, key=_path_order)


def _path_order(path: str) -> list[str]:
    return path.split(os.sep)


def _slug_of(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _still_the_same(known: Outline | None, path: str) -> Outline | None:
    """`known` for this path when the file has not changed since: same stamp, or else same bytes."""
    if known is None:
        return None
    try:
        if known.stamp is not None and _stamp(os.stat(path)) == known.stamp:
            return known.found_at(path, known.stamp)
        with open(path, "rb") as handle:
            stamp = _stamp(os.fstat(handle.fileno()))
            same = _content_hash(handle.read()) == known.content_hash
    except OSError:
        return None  # parsing it reports why it can't be read
    return known.found_at(path, stamp) if same else None


def _stamp(status: os.stat_result) -> tuple[int, ...] | None:
    """What changes whenever a file's content may have (git's test of the same), or None when the
    file was modified so recently that another change could still leave it the same."""
    if status.st_mtime_ns > time.time_ns() - RACY_NANOSECONDS:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def _content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:20]


def _load_all(paths: list[Path], taxonomy: Taxonomy) -> Iterator[Article | list[Problem]]:
    """Each path's article or problems, in order; large folders are parsed by a process per core."""
    load = functools.partial(_load_or_problems, taxonomy=taxonomy)
    workers = min(os.cpu_count() or 1, MAX_LOAD_PROCESSES)
    if workers < 2 or len(paths) < PARALLEL_LOAD_MINIMUM:
        return map(load, paths)
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        return iter(list(pool.map(load, paths, chunksize=PARALLEL_LOAD_CHUNK)))


def _load_or_problems(path: Path, taxonomy: Taxonomy) -> Article | list[Problem]:
    try:
        return load_article(path, taxonomy, display_path=str(path))
    except ArticleInvalid as exc:
        return exc.problems


def _duplicate_slugs(outlines: list[Outline]) -> list[Problem]:
    """Two files in different subfolders with one name would share a URL: reject the later ones."""
    seen: dict[str, str] = {}
    problems = []
    for outline in outlines:
        if outline.slug in seen:
            problems.append(Problem(outline.path, 1, f"slug '{outline.slug}' is already used by {seen[outline.slug]}"))
        else:
            seen[outline.slug] = outline.path
    return problems


def _check_links(outlines: list[Outline]) -> list[Problem]:
    """`related` slugs and links to other articles should exist; a broken one is reported.

    The article keeps its `related` list as written: pages show the related articles that exist
    and the reader may see, so one added later appears without its neighbours being indexed again.
    """
    slugs = {o.slug for o in outlines}
    problems = []
    for outline in outlines:
        for slug, line in outline.related:
            if slug not in slugs:
                problems.append(Problem(outline.path, line, f"related article '{slug}' does not exist", fatal=False))
        for slug, line in outline.links:
            if slug not in slugs:
                problems.append(Problem(outline.path, line, f"link to article '{slug}' does not exist", fatal=False))
    return problems


def _internal_links(body: str, first_line: int) -> list[tuple[str, int]]:
    links = []
    for number, line in enumerate(body.splitlines(), start=first_line):
        for match in INTERNAL_LINK.finditer(line):
            links.append((match.group(1) or match.group(2), number))
    return links


def _key_lines(node: yaml.Node | None, offset: int) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """File line of each front matter key, and of each item of list values."""
    lines: dict[str, int] = {}
    items: dict[str, dict[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[key] = key_node.start_mark.line + offset
            if isinstance(value_node, yaml.SequenceNode):
                items[key] = {i: item.start_mark.line + offset for i, item in enumerate(value_node.value)}
    return lines, items


def _required_text(meta, key, lines, offset, problem) -> str:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        problem(lines.get(key, offset), f"'{key}' is required and must not be empty")
        return ""
    if not isinstance(value, str):
        problem(lines.get(key, offset), f"'{key}' must be text")
        return ""
    return " ".join(value.split())


def _string_list(meta, key, lines, offset, problem) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        problem(lines.get(key, offset), f"'{key}' must be a list of text values")
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


def _date(value, line: int, problem) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problem(line, f"updated must be a date like 2026-11-01, not '{value}'")
        return None
