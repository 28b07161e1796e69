"""What an object under `raw/` is, recognised by its name alone (any folder works)."""

import re
from dataclasses import dataclass

from streamcat.platforms import TITLES_FILES, Platform

_RATINGS_NAME = re.compile(r"(?:.*/)?ratings/([1-9][0-9]{0,5})\.csv")


@dataclass(frozen=True)
class TitlesFile:
    platform: Platform


@dataclass(frozen=True)
class RatingsFile:
    number: int

    @property
    def source(self) -> str:
        """Its identity in `rating_stats` and curated/: a re-upload under another folder
        replaces ratings file n rather than adding to it."""
        return f"ratings/{self.number}.csv"

    @staticmethod
    def number_of(source: str) -> int | None:
        """The n of a `source`, inverse of the property."""
        matched = _RATINGS_NAME.fullmatch(source)
        return int(matched.group(1)) if matched else None


RawFile = TitlesFile | RatingsFile

ACCEPTED_NAMES = (
    ", ".join(sorted(TITLES_FILES.values()))
    + " (the titles of one platform), or ratings/<n>.csv with n a positive integer"
    + " (one ratings file)"
)


def recognise(key: str, raw_prefix: str) -> RawFile | None:
    """None for a key that is no input file: the caller quarantines it with ACCEPTED_NAMES."""
    if not key.startswith(raw_prefix):
        return None
    name = key.rsplit("/", 1)[-1]
    platform = Platform.from_titles_file(name)
    if platform is not None:
        return TitlesFile(platform)
    matched = _RATINGS_NAME.fullmatch(key[len(raw_prefix) :])
    return RatingsFile(int(matched.group(1))) if matched else None
