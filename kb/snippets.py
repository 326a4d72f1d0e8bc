"""Snippets: passages of an article's text around the words searched for, with <mark> around them.

Whoosh's highlighter runs the whole analyzer over every hit's text again, token by token. Here
the words to mark come from the index itself: the body field recorded where each term stands
as it was indexed (kb/spans.py), so a hit's marks are a lookup per searched term, exactly
the tokens the analyzer found, synonym phrases spanning their words included.

Passages are grouped, scored and chosen by the rules of Whoosh's PinpointFragmenter,
BasicFragmentScorer and top_fragments, applied to the spans directly rather than through
Token and Fragment objects. Where Whoosh leaves a tie between passages to memory addresses,
the earlier passage wins (tests/test_snippets.py compares the two).
"""
from __future__ import annotations

import html
from typing import Iterable

from kb.spans import CHARLIMIT, spans, term_keys

BETWEEN_PASSAGES = " … "
#: Where a passage crosses from one block (heading, paragraph, list item, table cell) into the
#: next: the text keeps blocks on lines of their own, which HTML would run together.
BLOCK_BREAK = " · "


def snippets_html(hits: Iterable[tuple[str, bytes]], terms: Iterable[str], maxchars: int, surround: int, count: int) -> list[str]:
    """For each hit (its text, its spans value), up to `count` passages around `terms` (indexed
    terms); '' where none of them occurs."""
    keys = term_keys(terms)
    found = []
    for text, value in hits:
        marks = spans(value, keys)
        found.append(passages_html(text, _merged(marks), maxchars, surround, count) if marks else "")
    return found


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined ("numbing cream" and "cream")."""
    spans = sorted(spans)
    previous_end = -1
    for start, end in spans:
        if start <= previous_end:
            break
        previous_end = end
    else:
        return spans  # the usual case: separate words, nothing to join
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


# -- passages --------------------------------------------------------------------------------------
# A group is (first, last): the first and last of the marks one passage holds.


def passages_html(text: str, marks: list[tuple[int, int]], maxchars: int, surround: int, count: int) -> str:
    """The `count` best passages around the marks (sorted, merged spans), in text order, as HTML.

    Only the chosen groups are cut back to whole words: the scores depend on their marks alone.
    Cut passages start in the order of their groups (a later group's start is never earlier;
    tied starts keep the group order), so the chosen groups in order are Whoosh's text order."""
    groups = _chosen_groups(text, marks, maxchars, surround, count)
    # Only &, < and > change under escaping; most texts have none of them.
    format_passage = _escaped_passage if "&" in text or "<" in text or ">" in text else _passage
    passages = BETWEEN_PASSAGES.join([format_passage(text, marks, first, last, surround) for first, last in groups])
    return passages.replace("\n", BLOCK_BREAK)


def _chosen_groups(text: str, marks: list[tuple[int, int]], maxchars: int, surround: int, count: int) -> list[tuple[int, int]]:
    """The `count` groups to show, in text order, in one pass over the marks.

    Whoosh's PinpointFragmenter groups marks at most `surround` apart while the group spans at
    most `maxchars` (marks past CHARLIMIT are left out); its BasicFragmentScorer gives a group
    the number of its marks times 100 times the number of distinct marked strings (case
    counts), ties going to the earlier group. A group of one mark scores 100 and one of more at
    least 200, so only the latter need scoring: the best of them, then the earliest single
    marks. Single marks past the first `count` can never be shown and are not kept."""
    crowded: list[tuple[int, int]] = []
    singles: list[tuple[int, int]] = []
    first, size = 0, len(marks)
    while first < size:
        left, right = marks[first]
        if right > CHARLIMIT:
            break
        last, length = first, right - left
        while last + 1 < size and length < maxchars:
            next_start, next_end = marks[last + 1]
            if next_end - right > surround or next_end - left > maxchars:
                break
            last += 1
            right = next_end
            length += next_end - next_start
        if last != first:
            crowded.append((first, last))
        elif len(singles) < count:
            singles.append((first, first))
        first = last + 1
    if not crowded:
        return singles
    if len(crowded) > count:
        # sorted() is stable: ties keep text order.
        crowded = sorted(crowded, key=lambda group: _crowded_score(text, marks, group), reverse=True)[:count]
    chosen = crowded + singles[: count - len(crowded)]
    chosen.sort()
    return chosen


def _crowded_score(text: str, marks: list[tuple[int, int]], group: tuple[int, int]) -> int:
    first, last = group
    return (last - first + 1) * len({text[a:b] for a, b in marks[first : last + 1]})


def _trimmed(text: str, left: int, right: int, surround: int) -> tuple[int, int]:
    """The passage (start, end) of marks from `left` to `right`: `surround` characters added each
    side, then cut back to whole words (Whoosh's autotrim), never cutting into a mark."""
    # Comparisons rather than min() and max(): this runs for every passage shown.
    start = left - surround if left > surround else 0
    end = right + surround
    space = text.find(" ", start, end)  # an end past the text is the text's end
    if space > 0:
        start = space + 1
    space = text.rfind(" ", start, end)
    if space > 0:
        end = space
    elif end > len(text):
        end = len(text)
    return (start if start < left else left), (end if end > right else right)


def _passage(text: str, marks: list[tuple[int, int]], first: int, last: int, surround: int) -> str:
    """The passage of marks `first` to `last` with the marks in <mark>, for text with nothing to escape."""
    if first == last:  # most passages: one mark
        left, right = marks[first]
        start, end = _trimmed(text, left, right, surround)
        return f"{text[start:left]}<mark>{text[left:right]}</mark>{text[right:end]}"
    start, end = _trimmed(text, marks[first][0], marks[last][1], surround)
    output = []
    at = start
    for mark_start, mark_end in marks[first : last + 1]:
        output += (text[at:mark_start], "<mark>", text[mark_start:mark_end], "</mark>")
        at = mark_end
    output.append(text[at:end])
    return "".join(output)


def _escaped_passage(text: str, marks: list[tuple[int, int]], first: int, last: int, surround: int) -> str:
    """The passage of marks `first` to `last` as HTML: the marks in <mark>, every character escaped."""
    start, end = _trimmed(text, marks[first][0], marks[last][1], surround)
    output = []
    at = start
    for mark_start, mark_end in marks[first : last + 1]:
        output += (html.escape(text[at:mark_start], quote=False), "<mark>", html.escape(text[mark_start:mark_end], quote=False), "</mark>")
        at = mark_end
    output.append(html.escape(text[at:end], quote=False))
    return "".join(output)
