"""A loaded model answering from memory: title or id to its index, index to recommendations.

A title text held by several catalog entries (the same title on several platforms, or repeated
within Amazon) resolves deterministically to the entry with the most votes, then the lowest id;
the answer names the id used.
"""

from dataclasses import dataclass
from functools import cached_property

from streamcat.recommend.artifact import ModelDocument
from streamcat.recommend.suggestions import TrigramIndex


def normalize_title(text: str) -> str:
    """Lower case, trimmed, inner whitespace collapsed: how the catalog stores titles."""
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class Recommendation:
    id: str
    title: str
    platform: str
    score: float | None


class Recommender:
    def __init__(self, document: ModelDocument) -> None:
        self.version = document["version"]
        self.trained_at = document["trained_at"]
        self._ids = document["ids"]
        self._titles = document["titles"]
        self._platforms = document["platforms"]
        self._scores = document["scores"]
        self._neighbours = document["neighbours"]
        self._by_id = {title_id: i for i, title_id in enumerate(self._ids)}
        votes = document["votes"]
        self._by_title: dict[str, int] = {}
        for i in sorted(range(len(self._ids)), key=lambda i: (-votes[i], self._ids[i])):
            self._by_title.setdefault(normalize_title(self._titles[i]), i)

    def __len__(self) -> int:
        return len(self._ids)

    def find_id(self, title_id: str) -> int | None:
        return self._by_id.get(title_id.strip().lower())

    def find_title(self, title: str) -> int | None:
        return self._by_title.get(normalize_title(title))

    def entry(self, index: int) -> Recommendation:
        return Recommendation(
            self._ids[index], self._titles[index], self._platforms[index], self._scores[index]
        )

    def recommend(self, index: int, count: int = 5) -> list[Recommendation]:
        """The `count` most similar titles, best first (never the title or a copy of it)."""
        return [self.entry(j) for j in self._neighbours[index][:count]]

    @cached_property
    def _trigrams(self) -> TrigramIndex:
        """Built on the first unknown title only: most containers never need it."""
        return TrigramIndex(list(self._by_title))

    def suggest(self, text: str, count: int = 5) -> list[str]:
        """Catalog titles closest to `text` (trigram similarity, as pg_trgm computes it)."""
        return self._trigrams.closest(normalize_title(text), count)
