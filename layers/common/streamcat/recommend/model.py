"""A loaded model answering from memory: title or id to its index, index to recommendations.

A title text held by several catalog entries (the same title on several platforms, or repeated
within Amazon) resolves deterministically to the entry with the most votes, then the lowest id;
the answer names the id used. The model's titles are already normalised (`normalize_title`, by
the trainer); queries are normalised the same way.
"""

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from streamcat.recommend.artifact import ModelDocument
from streamcat.recommend.suggestions import TrigramIndex
from streamcat.title_text import normalize_title


def _resolved_titles(titles: list[str], votes: list[int], ids: list[str]) -> dict[str, int]:
    """Title -> index; a title held by several entries goes to the most voted, then the lowest
    id. Built in C for the unique titles (most), by hand for the few repeated ones: this runs
    in every cold start."""
    by_title = dict(zip(titles, range(len(titles)), strict=True))
    if len(by_title) == len(titles):
        return by_title
    repeated = {title for title, count in Counter(titles).items() if count > 1}
    for i, title in enumerate(titles):
        if title in repeated:
            best = by_title[title]
            if (-votes[i], ids[i]) < (-votes[best], ids[best]):
                by_title[title] = i
    return by_title


@dataclass(frozen=True)
class TitleEntry:
    """One catalog entry of the model: the title asked about, or one recommended for it."""

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
        self._per_title = document["neighbours_per_title"]
        self._by_id = dict(zip(self._ids, range(len(self._ids)), strict=True))
        self._by_title = _resolved_titles(self._titles, document["votes"], self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def find_id(self, title_id: str) -> int | None:
        return self._by_id.get(title_id.strip().lower())

    def find_title(self, title: str) -> int | None:
        return self._by_title.get(normalize_title(title))

    def entry(self, index: int) -> TitleEntry:
        return TitleEntry(
            self._ids[index], self._titles[index], self._platforms[index], self._scores[index]
        )

    def recommend(self, index: int, count: int = 5) -> list[TitleEntry]:
        """The `count` most similar titles, best first (never the title or a copy of it)."""
        start = index * self._per_title
        return [
            self.entry(j) for j in self._neighbours[start : start + min(count, self._per_title)]
        ]

    @cached_property
    def _trigrams(self) -> TrigramIndex:
        """Built on the first unknown title only: most containers never need it."""
        return TrigramIndex(list(self._by_title))

    def suggest(self, text: str, count: int = 5) -> list[str]:
        """Catalog titles closest to `text` (trigram similarity, as pg_trgm computes it)."""
        index: TrigramIndex = self._trigrams
        return index.closest(normalize_title(text), count)
