"""Seeded title catalogs of the real files' shape, quirks included, for tests and the demo.

The project does not ship the real Kaggle catalogs, so this writes four CSVs with the same names,
header and row counts (at scale 1) and the same quirks in about the same proportions (the cleaning
rules in docs/etl.md name them): durations shifted into `rating` (Hulu, Netflix), `Season` and
`Seasons`, dates with a leading space, missing ratings, Hulu without cast, Amazon without most dates
and countries, Amazon's placeholder rows (cast `1, 2, 3`), `0 min`, empty and repeated list parts,
name suffixes (`Ph.D.`), zero-width spaces, multi-line descriptions, titles with commas, and titles
shared across platforms. Same seed, same bytes.
"""

import argparse
import csv
import datetime
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streamcat.platforms import Platform
from streamcat_etl.titles_csv import TITLES_HEADER


@dataclass(frozen=True)
class Profile:
    """One platform's shape, in real row counts (scaled at generation)."""

    rows: int
    movie_share: float
    ratings: dict[str, int]
    movie_genres: Sequence[str]
    show_genres: Sequence[str]
    missing_rating: int
    missing_date: int
    leading_space_dates: int
    shifted: int
    no_duration: int
    with_cast: bool
    director_share: float
    country_share: float
    plural_season_share: float
    max_minutes: int
    zero_minutes: int = 0
    placeholders: int = 0
    empty_list_parts: int = 0
    repeated_cast: int = 0
    name_suffixes: int = 0
    zero_width: int = 0
    multiline: int = 0


_MOVIE_TV = ("TV-MA", "TV-14", "TV-PG", "R", "PG-13", "TV-Y7", "TV-Y", "PG", "TV-G", "G")

PROFILES: dict[Platform, Profile] = {
    Platform.AMAZON: Profile(
        rows=9668,
        movie_share=0.81,
        ratings={
            "13+": 2117,
            "16+": 1547,
            "ALL": 1268,
            "18+": 1243,
            "R": 1010,
            "PG-13": 393,
            "7+": 385,
            "PG": 253,
            "NR": 223,
            "TV-14": 208,
            "TV-PG": 169,
            "TV-NR": 105,
            "G": 93,
            "TV-G": 81,
            "TV-MA": 77,
            "TV-Y": 74,
            "TV-Y7": 39,
            "UNRATED": 33,
            "NC-17": 3,
            "AGES_18_": 3,
            "NOT_RATE": 3,
            "AGES_16_": 2,
            "ALL_AGES": 1,
        },
        movie_genres=(
            "Drama",
            "Comedy",
            "Action",
            "Suspense",
            "Kids",
            "Documentary",
            "International",
            "Romance",
            "Horror",
            "Special Interest",
            "Animation",
            "Science Fiction",
            "Western",
            "Faith and Spirituality",
            "Music Videos and Concerts",
        ),
        show_genres=("TV Shows", "Drama", "Comedy", "Kids", "Documentary", "Animation", "Action"),
        missing_rating=337,
        missing_date=9513,
        leading_space_dates=0,
        shifted=0,
        no_duration=0,
        with_cast=True,
        director_share=0.78,
        country_share=0.07,
        plural_season_share=0.28,
        max_minutes=601,
        zero_minutes=10,
        placeholders=14,
        empty_list_parts=3,
        repeated_cast=3,
        name_suffixes=9,
        zero_width=2,
        multiline=10,
    ),
    Platform.DISNEY: Profile(
        rows=1450,
        movie_share=0.73,
        ratings={
            "TV-G": 318,
            "TV-PG": 301,
            "G": 253,
            "PG": 236,
            "TV-Y7": 131,
            "TV-14": 79,
            "PG-13": 66,
            "TV-Y": 50,
            "TV-Y7-FV": 13,
        },
        movie_genres=(
            "Animation",
            "Family",
            "Comedy",
            "Action-Adventure",
            "Fantasy",
            "Documentary",
            "Musical",
            "Coming of Age",
            "Drama",
            "Animals & Nature",
        ),
        show_genres=(
            "Animation",
            "Kids",
            "Comedy",
            "Action-Adventure",
            "Docuseries",
            "Animals & Nature",
            "Family",
            "Anime",
        ),
        missing_rating=3,
        missing_date=3,
        leading_space_dates=0,
        shifted=0,
        no_duration=0,
        with_cast=True,
        director_share=0.67,
        country_share=0.85,
        plural_season_share=0.45,
        max_minutes=183,
    ),
    Platform.HULU: Profile(
        rows=3073,
        movie_share=0.48,
        ratings={
            "TV-14": 691,
            "TV-MA": 391,
            "R": 345,
            "TV-PG": 321,
            "PG-13": 163,
            "TV-G": 148,
            "PG": 105,
            "TV-Y7": 46,
            "TV-Y": 31,
            "G": 18,
        },
        movie_genres=(
            "Comedy",
            "Stand Up",
            "Crime",
            "Drama",
            "Thriller",
            "Horror",
            "Documentaries",
            "Action",
            "Romance",
            "International",
            "Black Stories",
        ),
        show_genres=(
            "Comedy",
            "Drama",
            "Animation",
            "Reality",
            "Kids",
            "Crime",
            "Anime",
            "Sitcom",
            "Adult Animation",
            "Science Fiction",
            "Latino",
        ),
        missing_rating=520,
        missing_date=28,
        leading_space_dates=0,
        shifted=292,
        no_duration=479,
        with_cast=False,
        director_share=0.001,
        country_share=0.53,
        plural_season_share=0.48,
        max_minutes=192,
        zero_width=1,
        multiline=10,
    ),
    Platform.NETFLIX: Profile(
        rows=8807,
        movie_share=0.70,
        ratings={
            "TV-MA": 3207,
            "TV-14": 2160,
            "TV-PG": 863,
            "R": 799,
            "PG-13": 490,
            "TV-Y7": 334,
            "TV-Y": 307,
            "PG": 287,
            "TV-G": 220,
            "NR": 80,
            "G": 41,
            "TV-Y7-FV": 6,
            "NC-17": 3,
            "UR": 3,
        },
        movie_genres=(
            "Dramas",
            "International Movies",
            "Comedies",
            "Documentaries",
            "Action & Adventure",
            "Independent Movies",
            "Children & Family Movies",
            "Thrillers",
            "Romantic Movies",
            "Horror Movies",
            "Stand-Up Comedy",
            "Music & Musicals",
            "Sci-Fi & Fantasy",
        ),
        show_genres=(
            "International TV Shows",
            "TV Dramas",
            "TV Comedies",
            "Crime TV Shows",
            "Kids' TV",
            "Docuseries",
            "Romantic TV Shows",
            "Reality TV",
            "British TV Shows",
            "Anime Series",
            "Spanish-Language TV Shows",
            "TV Mysteries",
        ),
        missing_rating=4,
        missing_date=10,
        leading_space_dates=88,
        shifted=3,
        no_duration=3,
        with_cast=True,
        director_share=0.70,
        country_share=0.91,
        plural_season_share=0.33,
        max_minutes=312,
        empty_list_parts=7,
        repeated_cast=2,
        zero_width=6,
        multiline=1,
    ),
}

COUNTRIES = (
    "United States",
    "India",
    "United Kingdom",
    "Canada",
    "France",
    "Japan",
    "Spain",
    "South Korea",
    "Germany",
    "Mexico",
    "China",
    "Australia",
    "Egypt",
    "Turkey",
    "Hong Kong",
    "Nigeria",
    "Niger",
    "Italy",
    "Brazil",
    "Argentina",
    "Belgium",
    "Indonesia",
    "Taiwan",
    "Philippines",
    "Thailand",
    "South Africa",
    "Colombia",
    "Netherlands",
    "Denmark",
    "Sweden",
    "Poland",
    "Ireland",
    "Norway",
    "Israel",
    "Lebanon",
    "New Zealand",
    "Chile",
    "Russia",
    "Malaysia",
    "Singapore",
    "Pakistan",
    "Saudi Arabia",
    "United Arab Emirates",
    "Switzerland",
    "Austria",
    "Czech Republic",
    "Finland",
    "Portugal",
    "Romania",
    "Hungary",
    "Greece",
    "Iceland",
    "Kenya",
    "Ghana",
    "Morocco",
    "Algeria",
    "Tunisia",
    "Jordan",
    "Qatar",
    "Kuwait",
    "Iran",
    "Iraq",
    "Syria",
    "Bangladesh",
    "Sri Lanka",
    "Nepal",
    "Vietnam",
    "Cambodia",
    "Mongolia",
    "Kazakhstan",
    "Ukraine",
    "Georgia",
    "Serbia",
    "Croatia",
    "Slovenia",
    "Bulgaria",
    "Lithuania",
    "Latvia",
    "Estonia",
    "Luxembourg",
    "Malta",
    "Cyprus",
    "Peru",
    "Venezuela",
    "Uruguay",
    "Paraguay",
    "Bolivia",
    "Ecuador",
    "Cuba",
    "Jamaica",
    "Dominican Republic",
    "Puerto Rico",
    "Guatemala",
    "Panama",
    "Senegal",
    "Cameroon",
    "Zimbabwe",
    "Namibia",
    "Ethiopia",
    "Uganda",
    "Mauritius",
    "Somalia",
    "Sudan",
)
_COUNTRY_WEIGHTS = [1.0 / (rank + 1) ** 1.1 for rank in range(len(COUNTRIES))]

_FIRST = [
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Anupam",
    "Shah",
    "Priya",
    "Kenji",
    "Yuki",
    "Hiroshi",
    "Mei",
    "Jun",
    "Min-ho",
    "Ji-woo",
    "Carlos",
    "Sofia",
    "Lucia",
    "Mateo",
    "Amara",
    "Chidi",
    "Ngozi",
    "Fatima",
    "Omar",
    "Layla",
    "Pierre",
    "Camille",
    "Hans",
    "Greta",
    "Olga",
    "Ivan",
    "Aisha",
    "Tunde",
    "Kofi",
    "Raj",
    "Arjun",
    "Deepika",
    "Rahul",
]
_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Kapoor",
    "Khan",
    "Kumar",
    "Sharma",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Kim",
    "Lee",
    "Park",
    "Chen",
    "Wang",
    "Li",
    "Silva",
    "Santos",
    "Fernandez",
    "Lopez",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Dubois",
    "Martin",
    "Bernard",
    "Muller",
    "Schmidt",
    "Ivanov",
    "Petrov",
    "Hassan",
    "Ali",
    "Nguyen",
    "Tran",
    "Rossi",
    "Bianchi",
    "Novak",
    "Kowalski",
    "Jensen",
    "Hansen",
    "O'Brien",
    "Murphy",
]
_WORDS = [
    "night",
    "river",
    "silent",
    "last",
    "house",
    "love",
    "war",
    "city",
    "dark",
    "secret",
    "summer",
    "road",
    "king",
    "queen",
    "lost",
    "girl",
    "boy",
    "heart",
    "stone",
    "fire",
    "sea",
    "star",
    "dream",
    "wild",
    "blood",
    "moon",
    "shadow",
    "song",
    "winter",
    "home",
    "time",
    "world",
    "life",
    "story",
    "game",
    "family",
    "friends",
    "island",
    "ghost",
    "legend",
    "hunter",
    "angel",
    "devil",
    "storm",
]
_SUFFIXES = ("Ph.D.", "Jr.")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def generate_catalogs(out_dir: Path, seed: int = 7, scale: float = 1.0) -> dict[Platform, Path]:
    """Write the four catalogs under their real names; scale 1 gives the real row counts."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    people = _people(rng, max(200, round(30_000 * scale)))
    shared = _shared_titles(rng, round(897 * scale))
    descriptions = _descriptions(rng, 2000)
    # A long tail: the best-known actors appear in dozens of titles, as in the real data.
    cast_weights = list(itertools.accumulate(1.0 / (rank + 300) for rank in range(len(people))))
    paths = {}
    for platform, profile in PROFILES.items():
        rows = _catalog(rng, profile, scale, people, cast_weights, shared, descriptions)
        path = out_dir / platform.titles_file
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(TITLES_HEADER)
            writer.writerows(rows)
        paths[platform] = path
    return paths


def _people(rng: random.Random, count: int) -> list[str]:
    """Distinct names, the plainest (`Mary Smith`) first so the most cast are familiar."""
    plain = [f"{first} {last}" for first, last in itertools.product(_FIRST, _LAST)]
    rng.shuffle(plain)
    initials = sorted({first[0] for first in _FIRST})
    middle = [
        f"{first} {initial}. {last}"
        for first, initial, last in itertools.product(_FIRST, initials, _LAST)
    ]
    return (plain + rng.sample(middle, min(len(middle), count)))[:count]


def _shared_titles(rng: random.Random, count: int) -> list[str]:
    return [_title(rng, index) for index in range(count)]


def _title(rng: random.Random, index: int) -> str:
    words = rng.sample(_WORDS, rng.randint(1, 4))
    name = " ".join(word.capitalize() for word in words)
    if index % 37 == 0:
        name = f"{name}, {rng.choice(_WORDS).capitalize()} & {rng.choice(_WORDS).capitalize()}"
    return f"The {name} {index}" if index % 5 == 0 else f"{name} {index}"


def _scaled(count: int, scale: float, rows: int) -> int:
    """Real counts scaled, yet at least one of each quirk the real file has."""
    return min(rows, max(1, round(count * scale))) if count else 0


def _catalog(
    rng: random.Random,
    profile: Profile,
    scale: float,
    people: list[str],
    cast_weights: list[float],
    shared: list[str],
    descriptions: list[str],
) -> list[list[str]]:
    rows = max(1, round(profile.rows * scale))
    picks = _Picks(rng, rows)
    shifted = picks.take(_scaled(profile.shifted, scale, rows))
    no_duration = shifted | picks.take(_scaled(profile.no_duration - profile.shifted, scale, rows))
    missing_rating = picks.take(_scaled(profile.missing_rating, scale, rows))
    placeholders = picks.take(_scaled(profile.placeholders, scale, rows))
    zero_minutes = picks.take(_scaled(profile.zero_minutes, scale, rows))
    quirks = {
        name: picks.take(_scaled(count, scale, rows))
        for name, count in (
            ("empty_part", profile.empty_list_parts),
            ("repeat", profile.repeated_cast),
            ("suffix", profile.name_suffixes),
            ("zero_width", profile.zero_width),
            ("multiline", profile.multiline),
        )
    }
    no_date = set(rng.sample(range(rows), _scaled(profile.missing_date, scale, rows)))
    dated = sorted(set(range(rows)) - no_date)
    spaced = set(rng.sample(dated, _scaled(profile.leading_space_dates, scale, len(dated))))
    on_shelf = min(len(shared), rows // 8)
    shared_at = dict(
        zip(rng.sample(range(rows), on_shelf), rng.sample(shared, on_shelf), strict=True)
    )
    ratings, weights = list(profile.ratings), list(profile.ratings.values())
    rating_draws = rng.choices(ratings, weights, k=rows)
    out = []
    for index in range(rows):
        movie = index in no_duration or index in zero_minutes or rng.random() < profile.movie_share
        duration = _duration(rng, profile, movie)
        rating = "" if index in missing_rating else rating_draws[index]
        if index in shifted:
            rating, duration = duration, ""
        elif index in no_duration:
            duration = ""
        if index in zero_minutes:
            duration = "0 min"
        cast = _cast(rng, profile, people, cast_weights, quirks, index)
        director = rng.choice(people) if rng.random() < profile.director_share else ""
        title = shared_at.get(index) or _title(rng, rows * 7 + index)
        description = _description(rng, descriptions, quirks, index)
        if index in placeholders:
            title, director, cast = f"Title before 1C onboarding - {index}", "1", "1, 2, 3"
        out.append(
            [
                f"s{index + 1}",
                "Movie" if movie else "TV Show",
                title,
                director,
                cast,
                _countries(rng, profile, quirks, index),
                "" if index in no_date else (" " if index in spaced else "") + _date(rng),
                str(_year(rng)),
                rating,
                duration,
                _genres(rng, profile, movie),
                description,
            ]
        )
    return out


class _Picks:
    """Disjoint random row sets, so one row carries at most one rare quirk."""

    def __init__(self, rng: random.Random, rows: int) -> None:
        self._free = list(range(rows))
        rng.shuffle(self._free)

    def take(self, count: int) -> set[int]:
        taken, self._free = self._free[:count], self._free[count:]
        return set(taken)


def _duration(rng: random.Random, profile: Profile, movie: bool) -> str:
    if movie:
        return f"{min(profile.max_minutes, max(1, round(rng.gauss(95, 25))))} min"
    seasons = (
        1
        if rng.random() > profile.plural_season_share
        else rng.choice((2, 2, 2, 3, 3, 4, 5, 7, 10))
    )
    return f"{seasons} Season" + ("s" if seasons > 1 or rng.random() < 0.02 else "")


def _cast(
    rng: random.Random,
    profile: Profile,
    people: list[str],
    weights: list[float],
    quirks: dict[str, set[int]],
    index: int,
) -> str:
    quirky = any(index in quirks[name] for name in ("repeat", "suffix", "empty_part"))
    if not profile.with_cast or (rng.random() < 0.1 and not quirky):
        return ""
    members = list(dict.fromkeys(rng.choices(people, cum_weights=weights, k=rng.randint(1, 8))))
    if index in quirks["repeat"]:
        members.append(members[0])
    if index in quirks["suffix"]:
        members.insert(1, rng.choice(_SUFFIXES))
    if index in quirks["empty_part"]:
        members.insert(len(members) // 2, "")
    return ", ".join(members)


def _genres(rng: random.Random, profile: Profile, movie: bool) -> str:
    genres = profile.movie_genres if movie else profile.show_genres
    return ", ".join(rng.sample(genres, rng.randint(1, 3)))


def _countries(
    rng: random.Random, profile: Profile, quirks: dict[str, set[int]], index: int
) -> str:
    if rng.random() >= profile.country_share:
        return ""
    count = 1 if rng.random() < 0.8 else rng.randint(2, 4)
    names = list(dict.fromkeys(rng.choices(COUNTRIES, _COUNTRY_WEIGHTS, k=count)))
    text = ", ".join(names)
    return text + "," if index in quirks["empty_part"] else text


def _descriptions(rng: random.Random, count: int) -> list[str]:
    """A pool drawn from per row: descriptions only need to look like text, and fast."""
    return [
        " ".join(rng.choices(_WORDS, k=rng.randint(8, 30))).capitalize() + "." for _ in range(count)
    ]


def _description(
    rng: random.Random, pool: list[str], quirks: dict[str, set[int]], index: int
) -> str:
    text = rng.choice(pool)
    if index in quirks["multiline"]:
        text = text.replace(" ", "\n", 1)
    if index in quirks["zero_width"]:
        text = "\u200b" + text
    return text


def _date(rng: random.Random) -> str:
    day = datetime.date(2008, 1, 1) + datetime.timedelta(days=rng.randrange(5000))
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _year(rng: random.Random) -> int:
    return 2021 - min(100, int(rng.expovariate(1 / 8)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    for platform, path in generate_catalogs(args.out_dir, args.seed, args.scale).items():
        print(f"{platform.value}: {path}")


if __name__ == "__main__":
    main()
