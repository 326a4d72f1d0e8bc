"""Text analysis shared by indexing and searching: stemming, accent folding and taxonomy synonyms."""
from __future__ import annotations

import functools
from collections import deque
from typing import Iterator, NamedTuple

from whoosh.analysis import CharsetFilter, CompositeAnalyzer, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter, Token
from whoosh.support.charset import accent_map

from kb.dictionary import common_english_words
from kb.taxonomy import Taxonomy

#: Spelling and suggestions work on whole words of letters ("hyperpigmantation"), never numbers.
SPELL_PATTERN = r"[^\W\d_]{2,}"


#: Words that carry little topic in a question ("what does it cost", "how long is the downtime").
#: Queries weigh them less after synonyms have been found, so "right for me" still maps to its
#: group; they never decide whether an article counts as an answer (kb/matching.py); documents
#: keep them, and a title phrased as a question ("What is microneedling?") still gains a little.
QUESTION_WORDS = frozenset(
    """what which who whom whose why how where do does did doing done should could would shall might must
    i me my mine myself our ours ourselves he him his she her hers they them their theirs its am was were
    been being has had having there here these those than then so such just about any some all each own
    other too very get got
    long many much soon often after before during while vs versus ok okay""".split()
)


#: Words left unstemmed because their stem means something else here (Elasticsearch's
#: keyword_marker): "peeling" skin is not a chemical "peel".
UNSTEMMED = ("peeling",)


def base_chain():
    """Tokenize, lowercase, fold accents ('anaesthésie' == 'anaesthesie'), drop stop words, stem."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter() | StemFilter(lang="en", ignore=UNSTEMMED)


@functools.lru_cache(maxsize=1)
def common_terms() -> frozenset[str]:
    """The dictionary's common words and their terms ("pressure" and "pressur"), made once per
    process: what related forms never join (kb/related_forms.py)."""
    chain = base_chain()
    words = common_english_words()
    return words | frozenset(token.text for word in words for token in chain(word))


def spelling_analyzer():
    """Unstemmed words for spelling correction and completions: stems would suggest 'microneedl'."""
    return IndexingAnalyzer(RegexTokenizer(SPELL_PATTERN), LowercaseFilter(), CharsetFilter(accent_map))


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
        for index, length, text in self.replaced([t.text for t in kept]):
            token = kept[index]
            token.text = text
            if token.chars:
                token.endchar = kept[index + length - 1].endchar
            yield token

    def replaced(self, texts: list[str]) -> Iterator[tuple[int, int, str]]:
        """(first, length, text) of each query token: a synonym phrase's canonical token, longest
        phrase first, or the word itself."""
        index = 0
        while index < len(texts):
            for length in self.lengths:
                phrase = tuple(texts[index:index + length])
                if len(phrase) == length and phrase in self.table:
                    yield index, length, self.table[phrase]
                    index += length
                    break
            else:
                yield index, 1, texts[index]
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
    return IndexingAnalyzer(base_chain(), SynonymFilter(synonym_table(taxonomy)))


def question_terms(field_analyzer, words: frozenset[str] = QUESTION_WORDS) -> frozenset[str]:
    """The question words as the field's analyzer leaves them ("does" -> "doe"), to compare with query terms."""
    return frozenset(token.text for word in words for token in field_analyzer(word, mode="index"))


def _split_chain(analyzer) -> tuple[RegexTokenizer, list[Filter], SynonymFilter | None]:
    """(tokenizer, per-token filters, synonyms) of a chain this module can run word by word."""
    tokenizer, *filters = analyzer.items
    if not isinstance(tokenizer, RegexTokenizer) or tokenizer.gaps or any(isinstance(f, SynonymFilter) for f in filters[:-1]):
        raise ValueError("expected a RegexTokenizer, per-token filters and at most a SynonymFilter last")
    synonyms = filters.pop() if filters and isinstance(filters[-1], SynonymFilter) else None
    return tokenizer, filters, synonyms


class WordTerms:
    """Each word's terms through a tokenizer's per-token filters, remembered.

    Whoosh's filter chain runs Python code per token, while texts reuse a small vocabulary. The
    filters work on one token at a time, so a word analyzes the same alone as within a text;
    only synonym phrases depend on the words around them, and are left to the caller.
    """

    #: Words whose analysis is kept (least recently used go first: text is unbounded).
    WORDS_KEPT = 50_000

    def __init__(self, tokenizer: RegexTokenizer, filters: list[Filter], mode: str):
        self._chain = CompositeAnalyzer(tokenizer, *filters)
        self._mode = mode
        self._remember()

    def _remember(self) -> None:
        self.terms = functools.lru_cache(maxsize=self.WORDS_KEPT)(self._analyze)

    def __getstate__(self):
        # An indexing analyzer is pickled into the index's schema: never with its articles' words.
        return {"_chain": self._chain, "_mode": self._mode}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._remember()

    def _analyze(self, word: str) -> tuple[str, ...]:
        return tuple(token.text for token in self._chain(word, mode=self._mode))

    def __call__(self, word: str) -> tuple[str, ...]:
        return self.terms(word)


class IndexingAnalyzer(CompositeAnalyzer):
    """A chain of a RegexTokenizer, per-token filters and at most a SynonymFilter last, giving
    Whoosh's tokens, with indexing done word by word (`WordTerms`).

    The word-by-word path takes the calls Whoosh's fields make when indexing (no positions,
    stop words removed); any other call runs Whoosh's own chain.
    """

    #: The keyword arguments of the calls the word-by-word path answers.
    INDEXING_CALL = frozenset({"mode", "chars", "boosts"})

    def __init__(self, *items):
        super().__init__(*items)
        tokenizer, filters, self._synonyms = _split_chain(self)
        self._expression = tokenizer.expression
        self._words = WordTerms(tokenizer, filters, mode="index")

    def __call__(self, value, **kwargs):
        if kwargs.get("mode") != "index" or not self.INDEXING_CALL.issuperset(kwargs):
            return super().__call__(value, **kwargs)
        tokens = self._tokens(value, **kwargs)
        return self._synonyms(tokens) if self._synonyms is not None else tokens

    def _tokens(self, value: str, chars: bool = False, **kwargs):
        """What the tokenizer and filters yield, as Whoosh's RegexTokenizer does: one Token rewritten."""
        token = Token(False, chars, removestops=True, **kwargs)
        terms_of = self._words.terms
        for match in self._expression.finditer(value):
            for text in terms_of(match.group()):
                token.text, token.boost, token.stopped = text, 1.0, False
                if chars:
                    token.startchar, token.endchar = match.span()
                yield token


class QueryTerm(NamedTuple):
    """One term a query searches for, and the words of the query (lowercase) that made it:
    one word, or the words of a synonym phrase ("how much")."""

    term: str
    words: tuple[str, ...]


class QueryAnalyzer:
    """A user's text to the terms it searches for, as `analyzer(text, mode="query")` gives them;
    raw text never reaches a query parser. Each word's analysis is remembered (`WordTerms`).
    """

    def __init__(self, analyzer):
        tokenizer, filters, self._synonyms = _split_chain(analyzer)
        self._words = tokenizer.expression
        self._terms = WordTerms(tokenizer, filters, mode="query")

    def __call__(self, text: str) -> list[str]:
        """The distinct terms, in the order they first appear."""
        return list(dict.fromkeys(term for term, _ in self.terms(text)))

    def terms(self, text: str) -> list[QueryTerm]:
        """Every term in order, repeats included, with the words that made it."""
        pairs: list[tuple[str, str]] = []
        for match in self._words.finditer(text):
            word = match.group()
            pairs += [(term, word.lower()) for term in self._terms(word)]
        if self._synonyms is None:
            return [QueryTerm(term, (word,)) for term, word in pairs]
        return [
            QueryTerm(term, tuple(dict.fromkeys(word for _, word in pairs[first:first + length])))
            for first, length, term in self._synonyms.replaced([term for term, _ in pairs])
        ]
