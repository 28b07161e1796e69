"""Catalogs for tests and benchmarks, built without the ETL.

`create_catalog` replaces schema `catalog` (from `streamcat/sql/catalog.sql`) with one holding
given `CatalogTitle` rows, filled by parameterized inserts; `generated_titles` is a seeded
catalog of the real one's size and shape. `generated_rated_catalog` generates ratings for a
titles folder (real or `local.titles_generator` catalogs) and reads them back as the trainer's
inputs, the titles cleaned by the ETL's own rules and scored, also as `CatalogTitle` rows.
"""

import datetime
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psycopg2
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2.extras import execute_values

from local.ratings_generator import generate_ratings
from streamcat.catalog import INDEX_FILES, SCHEMA_FILE, TITLE_COLUMNS, TITLE_LINKS, schema_sql
from streamcat.platforms import Platform
from streamcat.training_input import Ratings, part_bytes
from streamcat_etl.titles import CleanTitle, clean_titles
from streamcat_train.catalog_titles import CatalogTitles


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
    catalog_sql = schema_sql(SCHEMA_FILE)
    links_sql = schema_sql(TITLE_LINKS)
    indexes_sql = "".join(schema_sql(name) for name in INDEX_FILES)
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS catalog CASCADE")
            cursor.execute("CREATE SCHEMA catalog")
            cursor.execute("SET LOCAL search_path TO catalog")
            cursor.execute(catalog_sql)
            execute_values(
                cursor,
                f"INSERT INTO titles ({', '.join(TITLE_COLUMNS)}) VALUES %s",
                [title.row() for title in titles],
                page_size=1000,
            )
            cursor.execute(links_sql)
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


_COUNTRIES = ("united states", "india", "united kingdom", "canada", "niger", "nigeria", "japan")
_RATINGS = ("tv-ma", "tv-14", "pg-13", "r", "13+", "16+", "all", "g")
_GENRES = ("dramas", "comedies", "documentaries", "action & adventure", "kids")


def generated_titles(per_platform: int = 5750, seed: int = 7) -> list[CatalogTitle]:
    """A seeded catalog of the real one's size and shape (Hulu without cast, about a third of
    titles unscored), for the benchmark when no catalog is loaded."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
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


@dataclass(frozen=True)
class RatedCatalog:
    catalog: CatalogTitles
    ratings: Ratings
    clean: list[CleanTitle]

    def catalog_rows(self) -> list[CatalogTitle]:
        """The titles as `catalog.titles` rows, with their scores."""
        return [
            CatalogTitle(
                id=t.id,
                type=t.type,
                title=t.title,
                release_year=t.release_year,
                rating=t.rating,
                duration_int=t.duration_int,
                duration_type=t.duration_type,
                cast_members=t.cast_members,
                countries=t.countries,
                genres=t.genres,
                director=t.director,
                description=t.description,
                score=None if np.isnan(score) else float(score),
                votes=int(votes),
            )
            for t, score, votes in zip(
                self.clean, self.catalog.scores, self.catalog.votes, strict=True
            )
        ]

    def training_part_bytes(self) -> bytes:
        """The ratings as the ETL publishes one ratings file's training part."""
        return part_bytes(
            self.catalog.ids,
            self.ratings.item.astype(np.int32),
            np.bincount(self.ratings.item, minlength=len(self.catalog.ids)),
            self.ratings.user.astype(np.int32),
            (self.ratings.rating * 2).astype(np.uint8),
        )


def clean_catalog(titles_dir: Path) -> list[CleanTitle]:
    """All four platforms' titles, ordered by id as the trainer reads them."""
    titles: list[CleanTitle] = []
    for platform in Platform:
        path = titles_dir / platform.titles_file
        titles.extend(clean_titles(platform, path.read_bytes(), str(path)).titles)
    return sorted(titles, key=lambda t: t.id)


def read_ratings_dir(ratings_dir: Path, ids: list[str]) -> Ratings:
    """Every `<n>.csv` in the folder, matched against `ids` (unknown movieIds dropped)."""
    tables = [
        pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types={"movieId": pa.string()})
        )
        for path in sorted(ratings_dir.glob("*.csv"))
    ]
    table = pa.concat_tables(tables)
    position = {title_id: i for i, title_id in enumerate(ids)}
    encoded = table["movieId"].combine_chunks().dictionary_encode()
    to_catalog = np.array([position.get(m, -1) for m in encoded.dictionary.to_pylist()])
    item = to_catalog[encoded.indices.to_numpy()]
    known = item >= 0
    return Ratings(
        user=table["userId"].to_numpy()[known].astype(np.int64),
        item=item[known].astype(np.int64),
        rating=table["rating"].to_numpy()[known].astype(np.float32),
    )


def rated_catalog(
    titles_dir: Path, ratings_dir: Path, version: int = 1, clean: list[CleanTitle] | None = None
) -> RatedCatalog:
    titles = clean if clean is not None else clean_catalog(titles_dir)
    ids = [t.id for t in titles]
    ratings = read_ratings_dir(ratings_dir, ids)
    votes: npt.NDArray[np.int64] = np.bincount(ratings.item, minlength=len(ids))
    sums = np.bincount(ratings.item, weights=ratings.rating, minlength=len(ids))
    scores = np.divide(sums, votes, out=np.full(len(ids), np.nan), where=votes > 0)
    catalog = CatalogTitles(
        version=version,
        ids=ids,
        platforms=[t.platform for t in titles],
        types=[t.type for t in titles],
        titles=[t.title for t in titles],
        directors=[[d.strip() for d in (t.director or "").split(",") if d.strip()] for t in titles],
        cast=[list(t.cast_members) for t in titles],
        countries=[list(t.countries) for t in titles],
        genres=[list(t.genres) for t in titles],
        descriptions=[t.description or "" for t in titles],
        scores=scores,
        votes=votes,
    )
    return RatedCatalog(catalog, ratings, titles)


def generated_rated_catalog(
    titles_dir: Path, work_dir: Path, n_ratings: int, seed: int = 42
) -> RatedCatalog:
    """Generate ratings into `work_dir` (once per arguments) and read them back."""
    ratings_dir = work_dir / f"ratings_{n_ratings}_{seed}"
    if not (ratings_dir / "1.csv").exists():
        generate_ratings(titles_dir, ratings_dir, n_ratings=n_ratings, seed=seed)
    return rated_catalog(titles_dir, ratings_dir)
