"""Markdown to sanitized HTML, its headings, and the plain text that is indexed and cut into snippets."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown
import nh3

MARKDOWN_EXTENSIONS = ["toc", "tables", "fenced_code", "sane_lists", "attr_list"]
TABLE_START = re.compile(r"<table\b[^>]*>")
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
#: nh3's defaults plus ids on headings, which the table of contents links to.
ALLOWED_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    **{tag: {*nh3.ALLOWED_ATTRIBUTES.get(tag, set()), "id"} for tag in HEADING_TAGS},
}


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


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
    return _scrolling_tables(safe_html), tuple(_flatten_toc(md.toc_tokens))


def _scrolling_tables(safe_html: str) -> str:
    """Each table in a box of its own that scrolls sideways on a narrow screen (the page never
    does), reachable with the keyboard so that its hidden part can be scrolled into view."""
    boxed = TABLE_START.sub(lambda match: f'<div class="table-scroll" role="region" aria-label="Table" tabindex="0">{match.group()}', safe_html)
    return boxed.replace("</table>", "</table></div>")


def _flatten_toc(tokens: list[dict]) -> list[Heading]:
    headings: list[Heading] = []
    for token in tokens:
        headings.append(Heading(int(token["level"]), token["id"], html_to_text(token["name"])))
        headings.extend(_flatten_toc(token.get("children", [])))
    return headings


class _TextExtractor(HTMLParser):
    """Plain text of sanitized HTML: one line per block (heading, paragraph, list item, table
    cell), so that snippets can show where one block ends; line breaks inside a block are spaces."""

    BLOCKS = {"p", "li", "tr", "td", "th", "dt", "dd", "br", "div", "blockquote", "pre", *HEADING_TAGS}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
