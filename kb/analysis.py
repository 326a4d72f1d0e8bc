"""Text analysis shared by indexing and searching: stemming, accent folding and taxonomy synonyms."""
from __future__ import annotations

from collections import deque

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

from kb.taxonomy import Taxonomy

#: Spelling and suggestions work on whole words of letters ("hyperpigmantation"), never numbers.
SPELL_PATTERN = r"[^\W\d_]{2,}"


#: Words that carry little topic in a question ("what does it cost", "why do I break out"). Queries
#: weigh them less after synonyms have been found, so "how much" and "right for me" still map to
#: their group; documents keep them, and a title phrased as a question ("What is microneedling?")
#: still gains from them a little.
QUESTION_WORDS = frozenset(
    """what which who whom whose why how where do does did doing done should could would shall might must
    i me my mine myself our ours ourselves he him his she her hers they them their theirs its am was were
    been being has had having there here these those than then so such just about any some all each own
    other too very get got""".split()
)


def base_chain():
    """Tokenize, lowercase, fold accents ('anaesthésie' == 'anaesthesie'), drop stop words, stem."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter() | StemFilter(lang="en")


def spelling_analyzer():
    """Unstemmed words for spelling correction and completions: stems would suggest 'microneedl'."""
    return RegexTokenizer(SPELL_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


class SynonymFilter(Filter):
    """Makes every phrase of a synonym group one token, so variants match each other.

    Indexing keeps the original tokens and adds the group's canonical token spanning the
    phrase ("micro-needling" -> micro, needl, microneedling), so highlighting still marks
    the words the article used. Querying replaces the phrase by the canonical token only
    ("micro needling" -> microneedling), so every variant runs the very same query: with OR
    semantics, keeping 'micro' would also match 'micro-injuries' and change the results.
    """

    def __init__(self, table: dict[tuple[str, ...], str]):
        self.table = table
        self.lengths = sorted({len(key) for key in table}, reverse=True)
        # A phrase can only end on one of these words: every other token skips the lookups.
        self.last_words = frozenset(key[-1] for key in table)

    def __eq__(self, other):
        return isinstance(other, SynonymFilter) and self.table == other.table

    def __call__(self, tokens):
        if not self.table:
            return tokens
        first = next(tokens, None)
        if first is None:
            return iter(())
        if first.mode == "query":
            return self._replace(first, tokens)
        return self._add(first, tokens)

    def _add(self, first, tokens):
        window: deque[tuple[str, int, int]] = deque(maxlen=self.lengths[0] if self.lengths else 1)
        token = first
        while token is not None:
            yield token
            if not token.stopped:
                # (text, pos, startchar) of the recent non-stop tokens a phrase can span
                window.append((token.text, getattr(token, "pos", 0), getattr(token, "startchar", 0)))
                if token.text in self.last_words:
                    yield from self._canonical_tokens(token, window)
            token = next(tokens, None)

    def _canonical_tokens(self, token, window):
        """The canonical token of every synonym phrase that ends at `token`, spanning that phrase."""
        endchar = getattr(token, "endchar", 0)
        recent = list(window)
        for length in self.lengths:
            if length > len(recent):
                continue
            phrase = tuple(text for text, _, _ in recent[-length:])
            canonical = self.table.get(phrase)
            if canonical is None or (length == 1 and canonical == phrase[0]):
                continue
            _, pos, startchar = recent[-length]
            # Whoosh reuses one Token object down the chain: rewrite it for the extra token.
            token.text, token.stopped = canonical, False
            if token.positions:
                token.pos = pos
            if token.chars:
                token.startchar, token.endchar = startchar, endchar
            yield token

    def _replace(self, first, tokens):
        items = [first.copy()] + [t.copy() for t in tokens]
        kept = [t for t in items if not t.stopped]
        index = 0
        while index < len(kept):
            for length in self.lengths:
                phrase = tuple(t.text for t in kept[index:index + length])
                if len(phrase) == length and phrase in self.table:
                    token = kept[index]
                    token.text = self.table[phrase]
                    if token.chars:
                        token.endchar = kept[index + length - 1].endchar
                    yield token
                    index += length
                    break
            else:
                yield kept[index]
                index += 1


def synonym_table(taxonomy: Taxonomy) -> dict[tuple[str, ...], str]:
    """Each synonym phrase, analyzed as text is, mapped to its group's canonical token."""
    chain = base_chain()
    table: dict[tuple[str, ...], str] = {}
    for group in taxonomy.synonym_groups():
        for phrase in (group.canonical, *group.phrases):
            key = tuple(token.text for token in chain(phrase, mode="query"))
            if key:
                table.setdefault(key, group.canonical)
    return table


def text_analyzer(taxonomy: Taxonomy):
    """The analyzer of every searchable text field."""
    return base_chain() | SynonymFilter(synonym_table(taxonomy))


def question_terms(field_analyzer, words: frozenset[str] = QUESTION_WORDS) -> frozenset[str]:
    """The question words as the field's analyzer leaves them ("does" -> "doe"), to compare with query terms."""
    return frozenset(token.text for word in words for token in field_analyzer(word, mode="index"))


def query_tokens(analyzer, text: str) -> list[str]:
    """The distinct terms a user's text searches for, in order; raw text never reaches a query parser."""
    return list(dict.fromkeys(token.text for token in analyzer(text, mode="query")))
