"""A folder of articles: every file loaded or rejected, unchanged files recognised without
parsing them, and the checks across files (duplicate slugs, related articles, links)."""
from __future__ import annotations

import concurrent.futures
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from kb.articles import Article, ArticleInvalid, Outline, Problem, content_hash, file_stamp, load_article
from kb.taxonomy import Taxonomy

#: Folders of at least this many articles are parsed by several processes, at most this many, in chunks this big.
PARALLEL_LOAD_MINIMUM, MAX_LOAD_PROCESSES, PARALLEL_LOAD_CHUNK = 500, 4, 64


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


def load_folder(folder: Path, taxonomy: Taxonomy, previous: Mapping[str, Outline] | None = None) -> LoadResult:
    """Load every *.md under `folder`; bad files become Problems while the rest load.

    `previous` (slug -> Outline, from the index's manifest) lets files whose stamp or bytes are
    the same as then skip parsing: they come back as `unchanged` outlines.
    """
    to_parse: list[Path] = []
    unchanged: list[Outline] = []
    paths = article_paths(Path(folder))
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
    position = {path: number for number, path in enumerate(paths)}
    everything = sorted([a.outline() for a in articles] + unchanged, key=lambda o: position[o.path])
    problems.extend(_duplicate_slugs(everything))
    rejected = {p.path for p in problems if p.fatal}
    articles = [a for a in articles if a.path not in rejected]
    unchanged = [o for o in unchanged if o.path not in rejected]
    problems.extend(check_links([o for o in everything if o.path not in rejected]))
    return LoadResult(articles, problems, unchanged)


def article_paths(folder: Path) -> list[str]:
    """Every *.md under `folder` in the order of sorted Paths, skipping hidden files and folders.
    A folder named like an article is listed too, so that it is reported, not silently skipped.
    Plain strings and os.walk rather than pathlib: this runs over every file on every `kb index`."""
    found = []
    for top, folders, files in os.walk(str(folder), followlinks=True):
        folders[:] = [name for name in folders if not name.startswith(".")]
        # normpath: written as str(Path(...)) writes it ("x.md", not "./x.md"), parsed or not.
        found += [os.path.normpath(os.path.join(top, name)) for name in files + folders if name.endswith(".md") and not name.startswith(".")]
    return sorted(found, key=lambda path: path.split(os.sep))


def _slug_of(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _still_the_same(known: Outline | None, path: str) -> Outline | None:
    """`known` for this path when the file has not changed since: same stamp, or else same bytes."""
    if known is None:
        return None
    try:
        if known.stamp is not None and file_stamp(os.stat(path)) == known.stamp:
            return known.found_at(path, known.stamp)
        with open(path, "rb") as handle:
            stamp = file_stamp(os.fstat(handle.fileno()))
            same = content_hash(handle.read()) == known.content_hash
    except OSError:
        return None  # parsing it reports why it can't be read
    return known.found_at(path, stamp) if same else None


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


def check_links(outlines: list[Outline]) -> list[Problem]:
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
