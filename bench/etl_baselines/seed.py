"""The seed project's ETL, done its way but producing our outputs: pandas `read_csv` of every
file, the titles cleaned in pandas, `to_sql` for the catalog tables, `groupby` for the scores,
`to_parquet` for each file's ratings. The cleaning reproduces ours (streamcat_etl.titles) on
well-formed files; like the seed, it validates nothing: a malformed file is loaded as it comes,
or fails with pandas' error. `clean_titles` is shared with the DuckDB baseline.
"""

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import psycopg2

from bench.etl_baselines.common import (
    create_catalog,
    download_raw,
    finish_catalog,
    parquet_key,
    ratings_source,
    timed,
)
from streamcat.catalog import TITLE_COLUMNS
from streamcat.platforms import Platform

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MISSING_RATING = "g"
LETTER = r"[^\W\d_]"
"""A letter in any script, as ours checks list parts and directors."""
DURATION = r"(-?\d{1,9}) ?(min|seasons?)"
NAME_SUFFIXES = frozenset({"jr.", "jr", "sr.", "sr", "ph.d.", "phd", "m.d.", "ii", "iii", "iv"})
RAW_COLUMNS = [
    *("show_id", "type", "title", "director", "cast", "country", "date_added", "release_year"),
    *("rating", "duration", "listed_in", "description"),
]


@dataclass
class CleanCatalog:
    """The titles (list columns as Python lists, no score yet) and the three link tables."""

    titles: pd.DataFrame
    cast: pd.DataFrame
    countries: pd.DataFrame
    genres: pd.DataFrame


def run(
    s3: "S3Client",
    bucket: str,
    database_url: str,
    raw_prefix: str = "raw/",
    curated_prefix: str = "curated/",
    schema: str = "catalog",
) -> dict[str, Any]:
    """Raw CSVs under `raw_prefix` to the catalog in `schema` and the ratings Parquet."""
    from sqlalchemy import create_engine

    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as folder:
        workdir = Path(folder)
        with timed(steps, "download"):
            titles_files, ratings_files = download_raw(s3, bucket, raw_prefix, workdir)
        with timed(steps, "clean_titles"):
            catalog = clean_titles(titles_files)
        with timed(steps, "read_ratings"):
            ratings = pd.concat(
                [pd.read_csv(path).assign(source=n) for n, path in sorted(ratings_files.items())],
                ignore_index=True,
            )
        with timed(steps, "groupby"):
            stats = (
                ratings.groupby(["source", "movieId"], sort=False)["rating"]
                .agg(rating_sum="sum", votes="count")
                .reset_index()
                .rename(columns={"movieId": "movie_id"})
            )
            stats["source"] = stats["source"].map(ratings_source)
            scores = ratings.groupby("movieId", sort=False)["rating"].agg(
                score="mean", votes="count"
            )
            titles = catalog.titles.join(scores, on="id")
            titles["votes"] = titles["votes"].fillna(0).astype("int64")
        engine = create_engine(
            "postgresql+psycopg2://", creator=lambda: psycopg2.connect(database_url)
        )
        with timed(steps, "to_sql"):
            connection = psycopg2.connect(database_url)
            with connection, connection.cursor() as cursor:
                create_catalog(cursor, schema)
            connection.close()
            with engine.begin() as db:
                for name, frame in (
                    ("titles", titles[list(TITLE_COLUMNS)]),
                    ("title_cast", catalog.cast),
                    ("title_countries", catalog.countries),
                    ("title_genres", catalog.genres),
                    ("rating_stats", stats),
                ):
                    frame.to_sql(name, db, schema=schema, if_exists="append", index=False)
                proxied: Any = db.connection.cursor()  # psycopg2's, under SQLAlchemy's proxy
                finish_catalog(proxied, schema, f"seed-{uuid.uuid4().hex[:8]}")
            engine.dispose()
        with timed(steps, "to_parquet"):
            for number, part in ratings.groupby("source", sort=True):
                key = parquet_key(curated_prefix, int(number))  # type: ignore[arg-type]
                path = workdir / f"curated-{number}.parquet"
                part.drop(columns="source").astype(
                    {"userId": "int32", "rating": "float32", "timestamp": "int64"}
                ).to_parquet(path, index=False, compression="zstd")
                s3.upload_file(str(path), bucket, key)
    return {
        "steps_s": steps,
        "titles": len(titles),
        "ratings_read": len(ratings),
        "ratings_matched": int(ratings["movieId"].isin(titles["id"]).sum()),
    }


def clean_titles(files: dict[Platform, Path]) -> CleanCatalog:
    """Every platform's file read with pandas and cleaned column by column."""
    parts = [_clean_platform(platform, path) for platform, path in sorted(files.items())]
    titles = pd.concat([p.titles for p in parts], ignore_index=True)
    return CleanCatalog(
        titles,
        pd.concat([p.cast for p in parts], ignore_index=True),
        pd.concat([p.countries for p in parts], ignore_index=True),
        pd.concat([p.genres for p in parts], ignore_index=True),
    )


def _clean_platform(platform: Platform, path: Path) -> CleanCatalog:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    frame = raw[RAW_COLUMNS].apply(_normalize)
    rating, duration = frame["rating"], frame["duration"]
    shifted = rating.str.fullmatch(DURATION) & (duration == "")
    duration = duration.where(~shifted, rating)
    rating = rating.where(~shifted & (rating != ""), MISSING_RATING)
    parsed = duration.str.extract(f"^{DURATION}$")
    amount = pd.to_numeric(parsed[0]).astype("Int64")
    known = amount.notna() & (amount != 0)
    unit = parsed[1].map({"min": "min", "season": "season", "seasons": "season"})
    dates = pd.to_datetime(frame["date_added"], format="%B %d, %Y", errors="coerce")
    dates = dates.fillna(pd.to_datetime(frame["date_added"], format="%Y-%m-%d", errors="coerce"))
    director = frame["director"]
    titles = pd.DataFrame(
        {
            "id": platform.id_prefix + frame["show_id"],
            "platform": platform.value,
            "show_id": frame["show_id"],
            "type": frame["type"],
            "title": frame["title"],
            "director": director.where(director.str.contains(LETTER), None),
            "date_added": dates.dt.date.astype(object).where(dates.notna(), None),
            "release_year": frame["release_year"].astype("int64"),
            "rating": rating,
            "duration_int": amount.where(known),
            "duration_type": unit.where(known, None),
            "description": frame["description"].where(frame["description"] != "", None),
        }
    )
    cast = _members(frame["cast"], join_suffixes=True)
    countries = _members(frame["country"], join_suffixes=False)
    genres = _members(frame["listed_in"], join_suffixes=False)
    for name, members in (("cast_members", cast), ("countries", countries), ("genres", genres)):
        titles[name] = _lists(members, len(titles))
    return CleanCatalog(
        titles,
        _link(titles, cast, ["id", "platform", "release_year"], "member"),
        _link(titles, countries, ["id", "type", "release_year"], "country"),
        _link(titles, genres, ["id"], "genre"),
    )


def _normalize(column: pd.Series) -> pd.Series:
    """Zero-width characters out, lower case, runs of whitespace as one space, trimmed."""
    column = column.str.replace("[\u200b\ufeff]", "", regex=True).str.lower()
    return column.str.replace(r"\s+", " ", regex=True).str.strip()


def _members(column: pd.Series, join_suffixes: bool) -> pd.DataFrame:
    """One row per (row of the file, member), in the file's order: split on commas,
    trimmed, parts without a letter dropped, suffixes joined to the name before, repeats
    dropped."""
    parts = column.str.split(",").explode().str.strip()
    parts = parts[parts.str.contains(LETTER)]
    frame = pd.DataFrame({"row": parts.index.to_numpy(), "member": parts.to_numpy()})
    if join_suffixes:
        suffix = (frame["member"].isin(NAME_SUFFIXES) & frame["row"].duplicated()).to_numpy()
        if suffix.any():
            members = frame["member"].to_numpy(copy=True)
            names = np.flatnonzero(~suffix)
            before = names[np.cumsum(~suffix) - 1]
            for at in np.flatnonzero(suffix):
                members[before[at]] = f"{members[before[at]]}, {members[at]}"
            frame = frame.assign(member=members)[~suffix]
    return frame.drop_duplicates(["row", "member"]).reset_index(drop=True)


def _lists(members: pd.DataFrame, rows: int) -> list[list[str]]:
    """Each row's members as a list, from the (row-ordered) member rows."""
    counts = np.bincount(members["row"].to_numpy(), minlength=rows)
    split = np.split(members["member"].to_numpy(), np.cumsum(counts)[:-1])
    return [part.tolist() for part in split]


def _link(
    titles: pd.DataFrame, members: pd.DataFrame, columns: list[str], name: str
) -> pd.DataFrame:
    linked = titles[columns].iloc[members["row"].to_numpy()].reset_index(drop=True)
    linked[name] = members["member"].to_numpy()
    return linked.rename(columns={"id": "title_id"})
