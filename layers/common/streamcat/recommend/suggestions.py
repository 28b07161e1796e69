"""Closest titles to an unknown one, computed in Python over the model's titles (the local
PostgreSQL has no pg_trgm). Trigram similarity (the share of trigrams two texts have in common,
over the trigrams either has) finds the candidates quickly; it favours short titles, so the
candidates are then ranked by how much of the typed text they match in order."""

import re
from collections import Counter
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+")


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: per alphanumeric word, lower case, padded '  word '."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


CANDIDATES = 25
"""Trigram candidates re-ranked per lookup: enough to hold the in-order best, cheap to rank."""


class TrigramIndex:
    """An inverted index trigram -> texts, so a lookup touches only texts sharing a trigram."""

    def __init__(self, texts: list[str]) -> None:
        self._texts = texts
        self._sizes: list[int] = []
        self._postings: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            grams = trigrams(text)
            self._sizes.append(len(grams))
            for gram in grams:
                self._postings.setdefault(gram, []).append(i)

    def closest(self, text: str, count: int) -> list[str]:
        """Up to `count` texts by similarity, best first, ties alphabetically; none in common,
        none returned."""
        grams = trigrams(text)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._postings.get(gram, ()))
        candidates = sorted(
            shared.items(),
            key=lambda hit: (
                -hit[1] / (len(grams) + self._sizes[hit[0]] - hit[1]),
                self._texts[hit[0]],
            ),
        )[: max(count, CANDIDATES)]
        typed = text.lower()
        ranked = sorted(
            (self._texts[i] for i, _ in candidates),
            key=lambda title: (-SequenceMatcher(None, typed, title).ratio(), title),
        )
        return ranked[:count]
