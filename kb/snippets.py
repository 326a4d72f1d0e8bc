"""Snippets: passages of an article's text around the words searched for, with <mark> around them.

Whoosh's highlighter runs the whole analyzer over every hit's text, token by token through
six Python filters: about 1.1 ms for a 250-word abstract here, most of a search's time.

Here the words to mark are found without visiting every word of the text. For each term
searched for, the surface words that analyze to it ("scars", "scarring" for "scar";
"dermaroller" for the synonym group "microneedling") are looked up once per index version
among the indexed texts' own words, and a regular expression of them, compiled once per term,
scans each hit's text in C.

Passages are cut, scored and chosen as Whoosh's PinpointFragmenter, BasicFragmentScorer and
top_fragments do, on the spans directly rather than through Token and Fragment objects; that
took a quarter of a search's time. Where Whoosh leaves a tie between passages to memory
addresses, the earlier passage wins (tests/test_snippets.py compares the two).

The expressions scan the text lowered (the same length, as the text's letters are ASCII here),
not with IGNORECASE, and the lookbehinds that keep a match to whole tokens come after each
whole word, not before it. Both let the regular expression engine look for the words' shared
beginning ("scar" of "scars", "scarring") as a string, and try the rest only where it stands:
with the check after the first letter it stopped at every "s", twice as slow.

Synonym phrases ("topical anaesthetic" for "numbing cream") become one expression of their
words' surface forms with stop words and punctuation allowed between them, as the index's
SynonymFilter joined them.

That lookup relies on what holds for the words it covers: text whose letters and digits are
all ASCII (so case is all that differs between a text's word and the indexed one), and terms
of two or more letters, whose stems keep the word's first two letters (English Snowball only
rewrites endings). Any other text or term takes the word-by-word path: the text split with the
analyzer's own tokenizer pattern, each distinct word analyzed once per index version, phrases
found in the sequence of analyzed words. Both give the same spans (tests/test_snippets.py
compares them on every word of the clinic's articles).
"""
from __future__ import annotations

import html
import re
import threading
from collections import defaultdict
from typing import Iterable

from whoosh.analysis import StopFilter

from kb.analysis import SynonymFilter


#: Terms the fast path can look up: two or more letters, as the indexed word lists hold them.
LOOKUP_TERM = re.compile(r"[^\W\d_]{2,}")
#: A letter or digit outside ASCII ("é", "β"): the text's words may then differ from the indexed ones
#: by more than case. Punctuation outside ASCII ("–", "±") splits words as ASCII punctuation does.
NON_ASCII_WORD_CHARACTER = re.compile(r"(?![\x00-\x7f])\w")
#: How many terms' compiled expressions are kept (terms recur across searches; compiling one costs
#: about 0.3 ms, scanning a hit's text with it a few microseconds).
PATTERNS_KEPT = 4096
#: Only this much of a text is searched for passages (Whoosh's highlighting default).
CHARLIMIT = 2**15
BETWEEN_PASSAGES = " … "
#: Just after a word of {length} letters: the word starts a token (no word character, nor one and
#: a dot, stands before it: "e.g" is one token).
TOKEN_STARTED = r"(?<!\w.{{{length}}})(?<!\w\..{{{length}}})"


class Snippets:
    """Makes snippets for one index version's text analyzer; remembers each word's analysis.

    `vocabulary` is every word of the indexed texts as the spelling fields keep them (lower
    case, accents folded, letters only): the surface words the fast path may look for.
    """

    def __init__(self, analyzer, *, maxchars: int, surround: int, fragments: int, vocabulary: Iterable[str] = ()):
        tokenizer = analyzer.items[0]
        self._word = tokenizer.expression
        self._analyzer = analyzer
        synonyms = next((f for f in analyzer.items if isinstance(f, SynonymFilter)), None)
        self._phrases: dict[str, list[tuple[str, ...]]] = {}
        self._single_words: dict[str, list[str]] = defaultdict(list)  # canonical -> one-word stems of its group
        for phrase, canonical in (synonyms.table.items() if synonyms else ()):
            if len(phrase) > 1:
                self._phrases.setdefault(canonical, []).append(phrase)
            else:
                self._single_words[canonical].append(phrase[0])
        # Bounded by the words of the indexed texts: snippets are only made from them.
        self._terms: dict[str, tuple[str, ...]] = {}
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for word in vocabulary:
            self._by_prefix[word[:2]].append(word)
        self._surface: dict[str, tuple[str, ...]] = {}
        self._stems: dict[str, tuple[str, ...]] = {}
        self._patterns: dict[str, list[re.Pattern]] = {}
        self._patterns_lock = threading.Lock()
        # What may stand between a phrase's words: non-word characters and stopped tokens (stop
        # words, and tokens shorter than the filter's minimum size).
        stops = next((f for f in analyzer.items if isinstance(f, StopFilter)), None)
        stopped = [re.escape(w) for w in stops.stops] + [r"\w" * size for size in range(1, stops.min)] if stops else []
        self._between = rf"\W+(?:{_token_of(stopped)}\W+)*" if stopped else r"\W+"
        self._maxchars, self._surround, self._fragments = maxchars, surround, fragments

    def _terms_of(self, word: str) -> tuple[str, ...]:
        """The word's indexed term and its one-word synonyms' canonical terms; () for a stop word."""
        terms = self._terms.get(word)
        if terms is None:
            tokens = [(t.text, t.stopped) for t in self._analyzer(word, mode="index", removestops=False)]
            terms = self._terms[word] = tuple(text for text, stopped in tokens if not stopped)
        return terms

    def _surface_words(self, term: str) -> tuple[str, ...]:
        """The indexed texts' words that analyze to `term`, directly or through a one-word synonym."""
        found = self._surface.get(term)
        if found is None:
            prefixes = {term[:2], *(stem[:2] for stem in self._single_words.get(term, ()))}
            found = tuple(word for prefix in prefixes for word in self._by_prefix.get(prefix, ()) if term in self._terms_of(word))
            self._surface[term] = found
        return found

    def _stem_words(self, stem: str) -> tuple[str, ...]:
        """The indexed texts' words whose own term (their first, before any synonym) is `stem`: a phrase's links."""
        found = self._stems.get(stem)
        if found is None:
            found = self._stems[stem] = tuple(w for w in self._by_prefix.get(stem[:2], ()) if self._terms_of(w)[:1] == (stem,))
        return found

    def _patterns_for(self, term: str) -> list[re.Pattern]:
        """Expressions whose matches are the spans to mark for `term`: one for its words, one per synonym phrase."""
        found = self._patterns.get(term)
        if found is not None:
            return found
        found = []
        # One expression per shared beginning: the regular expression engine then looks for that
        # beginning as a string ("mi" of "microneedling"), while an alternation of words that
        # start differently ("microneedling|dermapen") is tried at every "m" and "d", five times
        # slower. A whole token matches at one place only, so the split finds the same spans.
        by_beginning: dict[str, list[str]] = defaultdict(list)
        for word in self._surface_words(term):
            by_beginning[word[:2]].append(word)
        found += [re.compile(_first_token_of(words)) for words in by_beginning.values()]
        for phrase in self._phrases.get(term, ()):
            links = [self._stem_words(stem) for stem in phrase]
            if all(links):
                # Stop words may stand between a phrase's words, as in the index ("skin (the) needling").
                # Only the first word is consumed, the rest is a lookahead: occurrences that
                # overlap are all found, as the word-by-word path finds them.
                first, *rest = links
                rest = [_token_of(map(re.escape, link)) for link in rest]
                found.append(re.compile(f"{_first_token_of(first)}(?=({self._between}{self._between.join(rest)}))"))
        with self._patterns_lock:  # threaded servers share the engine
            if len(self._patterns) >= PATTERNS_KEPT:
                self._patterns.pop(next(iter(self._patterns)))
            self._patterns[term] = found
        return found

    def _can_look_up(self, words: frozenset[str]) -> bool:
        return all(
            LOOKUP_TERM.fullmatch(w) and all(LOOKUP_TERM.fullmatch(stem) for phrase in self._phrases.get(w, ()) for stem in phrase)
            for w in words
        )

    def _lookup_patterns(self, words: frozenset[str]) -> list[tuple[re.Pattern, bool]] | None:
        """The words' expressions, each with whether it is a phrase's (its rest is group 1); None when
        the words cannot be looked up."""
        if not self._can_look_up(words):
            return None
        return [(pattern, pattern.groups > 0) for term in words for pattern in self._patterns_for(term)]

    def _spans_by_lookup(self, text: str, words: frozenset[str]) -> list[tuple[int, int]]:
        return _found(text, self._lookup_patterns(words) or [])

    def snippets(self, texts: Iterable[str], words: frozenset[str]) -> list[str]:
        """For each text, up to `fragments` passages around `words` (indexed terms); '' when none occurs."""
        patterns = self._lookup_patterns(words)
        found = []
        for text in texts:
            if patterns is not None and (text.isascii() or not NON_ASCII_WORD_CHARACTER.search(text)):
                spans = _found(text, patterns)
            else:
                spans = self._spans_word_by_word(text, words)
            found.append(self._passages_of(text, _merged(spans)) if spans else "")
        return found

    def snippet(self, text: str, words: frozenset[str]) -> str:
        return self.snippets([text], words)[0]

    def _passages_of(self, text: str, marks: list[tuple[int, int]]) -> str:
        return passages_html(text, marks, self._maxchars, self._surround, self._fragments)

    def _spans_word_by_word(self, text: str, words: frozenset[str]) -> list[tuple[int, int]]:
        limit = CHARLIMIT
        phrases = [phrase for word in words for phrase in self._phrases.get(word, ())]
        spans: list[tuple[int, int]] = []
        sequence: list[tuple[str, int, int]] = []  # (term, start, end) of each non-stop word, for phrases
        for match in self._word.finditer(text, 0, limit):
            terms = self._terms_of(match.group())
            if not terms:
                continue
            if not words.isdisjoint(terms):
                spans.append(match.span())
            if phrases:
                sequence.append((terms[0], match.start(), match.end()))
        for phrase in phrases:
            size = len(phrase)
            for i in range(len(sequence) - size + 1):
                if all(sequence[i + k][0] == phrase[k] for k in range(size)):
                    spans.append((sequence[i][1], sequence[i + size - 1][2]))
        return spans


def _found(text: str, patterns: list[tuple[re.Pattern, bool]]) -> list[tuple[int, int]]:
    """Spans of the patterns' matches that start a token, unsorted; one found by two patterns is listed twice."""
    lowered = text.lower()  # the surface words are lower case; no IGNORECASE (see the module's notes)
    spans = []
    for pattern, phrase in patterns:
        if phrase:
            spans += [(match.start(), match.end(1)) for match in pattern.finditer(lowered, 0, CHARLIMIT)]
        else:
            spans += [match.span() for match in pattern.finditer(lowered, 0, CHARLIMIT)]
    return spans


def _token_of(alternatives: Iterable[str]) -> str:
    """An expression for any of `alternatives` (expressions) ending a token of the tokenizer's
    \\w+(\\.?\\w+)*: no word character or ".word" just after it. That it also starts one holds
    where it follows \\W+ after a token that ends there; `_first_token_of` checks it otherwise."""
    alternatives = "|".join(sorted(alternatives, key=len, reverse=True))
    return rf"(?:{alternatives})(?!\w)(?!\.\w)"


def _first_token_of(words: Iterable[str]) -> str:
    """An expression for any of `words` (letters) as a whole token: `_token_of`, and no word
    character or "word." just before it. That check comes after the word, not before it: an
    expression that starts with a lookbehind is tried at every position of the text, while one
    that starts with letters lets the regular expression engine skip to where they stand."""
    return _token_of(re.escape(word) + TOKEN_STARTED.format(length=len(word)) for word in words)


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
    groups = _groups(marks, maxchars, surround)
    if len(groups) > count:
        groups = _best(text, marks, groups, count)
    # Only &, < and > change under escaping; most texts have none of them.
    format_passage = _escaped_passage if "&" in text or "<" in text or ">" in text else _passage
    return BETWEEN_PASSAGES.join([format_passage(text, marks, first, last, surround) for first, last in groups])


def _groups(marks: list[tuple[int, int]], maxchars: int, surround: int) -> list[tuple[int, int]]:
    """Whoosh's PinpointFragmenter: marks at most `surround` apart are grouped while the group spans
    at most `maxchars`; marks past CHARLIMIT are left out."""
    groups = []
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
        groups.append((first, last))
        first = last + 1
    return groups


def _best(text: str, marks: list[tuple[int, int]], groups: list[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """The `count` groups to show, in text order. Whoosh's BasicFragmentScorer: the number of marks
    times 100 times the number of distinct marked strings (case counts); ties go to the earlier
    group. A group of one mark scores 100 and one of more at least 200, so only the latter need
    scoring: the best of them, then the earliest single marks."""
    crowded = [number for number, (first, last) in enumerate(groups) if first != last]
    if not crowded:
        return groups[:count]
    if len(crowded) > count:
        scores = {}
        for number in crowded:
            first, last = groups[number]
            scores[number] = (last - first + 1) * len({text[a:b] for a, b in marks[first : last + 1]})
        crowded = sorted(crowded, key=scores.__getitem__, reverse=True)[:count]  # stable: ties keep text order
    chosen = set(crowded)
    for number, (first, last) in enumerate(groups):
        if len(chosen) == count:
            break
        if first == last:
            chosen.add(number)
    return [groups[number] for number in sorted(chosen)]


def _trimmed(text: str, left: int, right: int, surround: int) -> tuple[int, int]:
    """The passage (start, end) of marks from `left` to `right`: `surround` characters added each
    side, then cut back to whole words (Whoosh's autotrim), never cutting into a mark."""
    start, end = max(0, left - surround), min(len(text), right + surround)
    space = text.find(" ", start, end)
    if space > 0:
        start = space + 1
    space = text.rfind(" ", start, end)
    if space > 0:
        end = space
    return min(start, left), max(end, right)


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
