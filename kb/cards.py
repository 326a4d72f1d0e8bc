"""What a hit shows of each document of one index version, and the orders documents sort in."""
from __future__ import annotations

import numpy as np
import orjson

from kb.taxonomy import FACET_KEYS
from kb.whoosh_internals import ColumnBytes

#: A hit's fields, in the order the API has always given them.
CARD_FIELDS = ("slug", "title", "url", "summary", "updated", "audience", "facets")


class Cards:
    """Each document's hit fields (None for deleted documents), read from the stored fields once
    per index version: reading them per hit costs more than the rest of a search.

    A card's "facets" dict is shared by every document with the same facet values; `card()`
    gives a copy of the rest for the caller to change.
    """

    def __init__(self, reader):
        doc_count = reader.doc_count_all()
        self._cards: list[dict | None] = [None] * doc_count
        combinations: dict[tuple, dict[str, list[str]]] = {}
        # From the "card" column (kb/index.py): the stored fields would unpickle each article's HTML too.
        column = ColumnBytes(reader.column_reader("card"))
        try:
            for docnum in reader.all_doc_ids():
                card = orjson.loads(column[docnum])
                values = tuple(tuple(card["facets"].get(key, ())) for key in FACET_KEYS)
                facets = combinations.get(values)
                if facets is None:
                    facets = combinations[values] = {key: list(chosen) for key, chosen in zip(FACET_KEYS, values)}
                card["facets"] = facets
                card["url"] = f"/articles/{card['slug']}"
                self._cards[docnum] = {key: card[key] for key in CARD_FIELDS}
        finally:
            column.close()
        # Ties (equal scores, dates or titles) are broken by slug: document numbers change with
        # every build and update, so ordering by them would reorder equal articles at random.
        slugs = [card["slug"] if card else "" for card in self._cards]
        self.slug_rank = _ranks(slugs)
        self._title_rank = _ranks(list(zip(reader.column_reader("title_sort"), slugs)))
        self._updated_days = np.array(list(reader.column_reader("updated_days")), dtype=np.int64)

    def __getitem__(self, docnum: int) -> dict | None:
        """The shared card itself (None for a deleted document): read it, never change it."""
        return self._cards[docnum]

    def __iter__(self):
        return iter(self._cards)

    def card(self, docnum: int) -> dict:
        return self._cards[docnum].copy()

    def field(self, docnum: int, name: str):
        return self._cards[docnum][name]

    def link(self, docnum: int) -> dict:
        """The slug, title and URL of a document: what a list of related articles shows."""
        return {key: self._cards[docnum][key] for key in ("slug", "title", "url")}

    def sort_order(self, sort: str, candidates: np.ndarray) -> np.ndarray:
        """Positions of `candidates` in `sort` order: "updated" is newest first (then by title),
        "title" alphabetical; equal titles by slug."""
        if sort == "updated":
            return np.lexsort((self._title_rank[candidates], -self._updated_days[candidates]))
        return np.argsort(self._title_rank[candidates], kind="stable")


def _ranks(keys: list) -> np.ndarray:
    """Each key's position in sorted order (live documents' keys are distinct; deleted ones' keep document order)."""
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return ranks
