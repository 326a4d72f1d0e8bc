"""An article's sources as its front matter names them: a file name, or a file with its title and link.

    sources:
      - 001_7c306c35706ba94e.txt
      - {file: 002_8e0a0899975d12b0.txt, title: "Microneedling for acne scars", url: https://example.org/a}

The file names are what the article was written from (the API's `sources` lists them as
before); a title, and a link where one is known, are what a reader is shown. `kb check` and
`kb index` reject a source with no file, an empty title, a link that is not http(s) or keys
they do not know, naming the line.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

SOURCE_KEYS = {"file", "title", "url"}
TITLE_MAX = 200


@dataclass(frozen=True)
class Source:
    file: str
    title: str | None = None
    url: str | None = None

    def to_dict(self) -> dict:
        return {"file": self.file, "title": self.title, "url": self.url}


def parse_sources(value, line: int, problem: Callable[[int, str], None]) -> tuple[Source, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, (str, dict)) else value
    if not isinstance(items, list):
        problem(line, "'sources' must be a list of file names or {file, title, url} mappings")
        return ()
    return tuple(source for item in items if (source := _source(item, line, problem)) is not None)


def _source(item, line: int, problem) -> Source | None:
    if isinstance(item, (str, int)) and not isinstance(item, bool):
        return Source(str(item).strip())
    if not isinstance(item, dict):
        problem(line, f"a source must be a file name or a {{file, title, url}} mapping, not {item!r}")
        return None
    unknown = set(item) - SOURCE_KEYS
    if unknown:
        problem(line, f"a source has unknown keys {sorted(unknown)}; use file, title and url")
    file, title, url = (item.get(key) for key in ("file", "title", "url"))
    if not isinstance(file, str) or not file.strip():
        problem(line, "a source mapping needs its file name (file: ...)")
        return None
    if not isinstance(title, str) or not title.strip() or len(title) > TITLE_MAX:
        problem(line, f"source {file}: title must be text of 1 to {TITLE_MAX} characters")
        return None
    if url is not None and not (isinstance(url, str) and urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc):
        problem(line, f"source {file}: url must be an http(s) address, not {url!r}")
        return None
    return Source(file.strip(), title.strip(), url)
