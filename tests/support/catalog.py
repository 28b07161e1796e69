"""A loaded catalog for query tests and the query benchmark, built without the ETL: schema
`catalog` from `streamcat/sql/catalog.sql`, filled with given rows by parameterized inserts."""

import datetime
import random
from dataclasses import asdict, dataclass, field
from importlib import resources

import psycopg2
from psycopg2.extras import execute_values

from streamcat.platforms import Platform

TITLE_COLUMNS = (
    "id",
    "platform",
    "show_id",
    "type",
    "title",
    "director",
    "cast_members",
    "countries",
    "genres",
    "release_year",
    "rating",
    "duration_int",
    "duration_type",
    "description",
    "score",
    "votes",
    "date_added",
)


@dataclass(frozen=True)
class CatalogTitle:
    """One `catalog.titles` row, lower case like the ETL writes it; `platform` and `show_id`
    follow from `id`."""

    id: str
    type: str = "movie"
    title: str = "a title"
    release_year: int = 2020
    rating: str = "g"
    duration_int: int | None = 90
    duration_type: str | None = "min"
    cast_members: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    director: str | None = None
    description: str | None = None
    score: float | None = None
    votes: int = 0
    date_added: datetime.date | None = None
    platform: str = field(init=False)
    show_id: str = field(init=False)

    def __post_init__(self) -> None:
        platform = Platform.from_id(self.id)
        assert platform is not None, f"{self.id!r} starts with no platform letter + 's'"
        object.__setattr__(self, "platform", platform.value)
        object.__setattr__(self, "show_id", self.id[1:])

    def row(self) -> tuple[object, ...]:
        values = asdict(self)
        for name in ("cast_members", "countries", "genres"):
            values[name] = list(values[name])
        return tuple(values[name] for name in TITLE_COLUMNS)


def create_catalog(
    database_url: str, titles: list[CatalogTitle], *, version: int = 1, load_id: str = "test"
) -> None:
    """Replaces schema `catalog` with one holding `titles` (link tables derived from their lists,
    as the ETL does) and a `meta` row, so `/health` sees a loaded catalog."""
    sql_files = resources.files("streamcat").joinpath("sql")
    schema_sql = sql_files.joinpath("catalog.sql").read_text()
    indexes_sql = sql_files.joinpath("catalog_indexes.sql").read_text()
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS catalog CASCADE")
            cursor.execute("CREATE SCHEMA catalog")
            cursor.execute("SET LOCAL search_path TO catalog")
            cursor.execute(schema_sql)
            execute_values(
                cursor,
                f"INSERT INTO titles ({', '.join(TITLE_COLUMNS)}) VALUES %s",
                [title.row() for title in titles],
                page_size=1000,
            )
            cursor.execute(_LINK_TABLES_SQL)
            cursor.execute(indexes_sql)
            cursor.execute(
                "INSERT INTO meta (version, load_id) VALUES (%s, %s)", (version, load_id)
            )
            cursor.execute("ANALYZE titles; ANALYZE title_cast; ANALYZE title_countries")
    finally:
        connection.close()


def drop_catalog(database_url: str) -> None:
    """Back to an empty database: no catalog, no staging leftovers, no ETL ledger."""
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "DROP SCHEMA IF EXISTS catalog, catalog_staging, catalog_old, etl CASCADE"
            )
    finally:
        connection.close()


_LINK_TABLES_SQL = """
INSERT INTO title_cast (title_id, platform, release_year, member)
SELECT DISTINCT id, platform, release_year, unnest(cast_members) FROM titles;
INSERT INTO title_countries (title_id, type, release_year, country)
SELECT DISTINCT id, type, release_year, unnest(countries) FROM titles;
INSERT INTO title_genres (title_id, genre)
SELECT DISTINCT id, unnest(genres) FROM titles;
"""

_COUNTRIES = ("united states", "india", "united kingdom", "canada", "niger", "nigeria", "japan")
_RATINGS = ("tv-ma", "tv-14", "pg-13", "r", "13+", "16+", "all", "g")
_GENRES = ("dramas", "comedies", "documentaries", "action & adventure", "kids")


def generated_titles(per_platform: int = 5750, seed: int = 7) -> list[CatalogTitle]:
    """A seeded catalog of the real one's size and shape (Hulu without cast, about a third of
    titles unscored), for the benchmark when no catalog is loaded."""
    rng = random.Random(seed)
    actors = [f"actor {n}" for n in range(4000)]
    titles: list[CatalogTitle] = []
    for platform in Platform:
        for n in range(1, per_platform + 1):
            is_movie = rng.random() < 0.7
            scored = rng.random() < 0.65
            title = CatalogTitle(
                id=f"{platform.id_prefix}s{n}",
                type="movie" if is_movie else "tv show",
                title=f"{platform.value} title {n}",
                release_year=rng.randint(1940, 2021),
                rating=rng.choice(_RATINGS),
                duration_int=rng.randint(40, 200) if is_movie else rng.randint(1, 12),
                duration_type="min" if is_movie else "season",
                cast_members=tuple(rng.sample(actors, rng.randint(0, 8)))
                if platform is not Platform.HULU
                else (),
                countries=tuple(rng.sample(_COUNTRIES, rng.randint(0, 2))),
                genres=tuple(rng.sample(_GENRES, rng.randint(1, 3))),
                score=round(rng.uniform(1, 5), 3) if scored else None,
                votes=rng.randint(1, 900) if scored else 0,
            )
            titles.append(title)
    return titles


def known_titles() -> list[CatalogTitle]:
    """A small catalog whose answers are worked out by hand in the tests (and match the
    parameters of `events/*.json`): duration ties, niger vs nigeria, an actor tie, Hulu without
    cast, unscored titles, a score equal to the threshold."""
    t = CatalogTitle
    return [
        t(
            "ns1",
            release_year=2018,
            duration_int=150,
            score=4.0,
            votes=10,
            cast_members=("alice", "bob"),
            countries=("india",),
            rating="tv-ma",
        ),
        t(
            "ns2",
            release_year=2018,
            duration_int=150,
            score=3.5,
            votes=4,
            cast_members=("bob", "carol"),
            countries=("india", "united states"),
            rating="tv-ma",
        ),
        t(
            "ns10",
            release_year=2018,
            duration_int=150,
            score=4.5,
            votes=2,
            cast_members=("carol",),
            countries=("nigeria",),
            rating="tv-ma",
        ),
        t(
            "ns3",
            release_year=2018,
            duration_int=120,
            cast_members=("alice",),
            countries=("niger",),
            rating="r",
        ),
        t(
            "ns4",
            type="tv show",
            release_year=2018,
            duration_int=3,
            duration_type="season",
            score=4.9,
            votes=3,
            cast_members=("alice", "dave"),
            countries=("india",),
            rating="tv-14",
        ),
        t(
            "ns5",
            release_year=2019,
            duration_int=200,
            score=5.0,
            votes=1,
            cast_members=("erin",),
            countries=("india",),
            rating="pg-13",
        ),
        t("ns7", release_year=2017, duration_int=80, cast_members=("zoe", "yan")),
        t("ns8", release_year=2017, duration_int=85, cast_members=("yan", "zoe")),
        t(
            "hs1",
            release_year=2018,
            duration_int=100,
            score=4.2,
            votes=7,
            countries=("united states",),
            rating="tv-ma",
        ),
        t("hs2", type="tv show", release_year=2018, duration_int=5, duration_type="season"),
        t("hs3", type="tv show", release_year=2018, duration_int=None, duration_type=None),
        t(
            "as1",
            release_year=2018,
            duration_int=300,
            score=2.0,
            votes=5,
            cast_members=("alice",),
            countries=("india",),
            rating="13+",
        ),
        t("as2", release_year=2018, duration_int=90, rating="13+"),
        t(
            "ds1",
            type="tv show",
            release_year=2010,
            duration_int=10,
            duration_type="season",
            cast_members=("mickey",),
            countries=("united states",),
            rating="tv-g",
        ),
    ]
