"""The four platforms: their names in the API, their id prefix and their raw file."""

from enum import StrEnum


class Platform(StrEnum):
    AMAZON = "amazon"
    DISNEY = "disney"
    HULU = "hulu"
    NETFLIX = "netflix"

    @property
    def id_prefix(self) -> str:
        """A title's id is the platform's first letter plus its `show_id`."""
        return self.value[0]

    @property
    def titles_file(self) -> str:
        return TITLES_FILES[self]

    @classmethod
    def from_titles_file(cls, name: str) -> "Platform | None":
        return next((p for p, f in TITLES_FILES.items() if f == name), None)

    @classmethod
    def from_id(cls, title_id: str) -> "Platform | None":
        return next((p for p in cls if title_id.startswith(p.id_prefix + "s")), None)


TITLES_FILES: dict[Platform, str] = {
    Platform.AMAZON: "amazon_prime_titles.csv",
    Platform.DISNEY: "disney_plus_titles.csv",
    Platform.HULU: "hulu_titles.csv",
    Platform.NETFLIX: "netflix_titles.csv",
}
