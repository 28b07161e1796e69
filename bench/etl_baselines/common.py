"""What both baselines share: the raw files from S3, the catalog schema in PostgreSQL (the
layer's catalog.sql and its index files, as ours runs them), the Parquet keys, and the
per-step timings they report."""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg2 import sql

from streamcat.catalog import INDEX_FILES
from streamcat.db import Cursor
from streamcat.platforms import Platform

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


RATINGS_NAME = re.compile(r"(?:.*/)?ratings/([1-9][0-9]{0,5})\.csv")
"""`raw/ratings/<n>.csv`, as ours names a ratings file; its `source` is `ratings/<n>.csv`."""


@contextmanager
def timed(steps: dict[str, float], name: str) -> Iterator[None]:
    """Adds the block's seconds to `steps[name]`, as ours reports `steps_s`."""
    began = time.perf_counter()
    try:
        yield
    finally:
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - began


def ratings_source(number: int) -> str:
    """A ratings file's identity in `rating_stats`, as ours writes it."""
    return f"ratings/{number}.csv"


def parquet_key(curated_prefix: str, number: int) -> str:
    return f"{curated_prefix}ratings/source={number}/part-0.parquet"


def download_raw(
    s3: "S3Client", bucket: str, raw_prefix: str, workdir: Path
) -> tuple[dict[Platform, Path], dict[int, Path]]:
    """Every titles and every ratings file under `raw_prefix`, downloaded into `workdir`."""
    titles: dict[Platform, Path] = {}
    ratings: dict[int, Path] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=raw_prefix):
        for key in (obj["Key"] for obj in page.get("Contents", [])):
            name = key.rsplit("/", 1)[-1]
            if (platform := Platform.from_titles_file(name)) is not None:
                path = titles[platform] = workdir / name
            elif matched := RATINGS_NAME.fullmatch(key[len(raw_prefix) :]):
                path = ratings[int(matched.group(1))] = workdir / f"ratings-{matched.group(1)}.csv"
            else:
                continue
            s3.download_file(bucket, key, str(path))
    return titles, ratings


def create_catalog(cursor: Cursor, schema: str) -> None:
    """An empty catalog in `schema`: catalog.sql run with it as the search path."""
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    _run_schema_file(cursor, schema, "sql/catalog.sql")


def finish_catalog(cursor: Cursor, schema: str, load_id: str) -> None:
    """The version row and the indexes, built after the data as ours builds them."""
    cursor.execute(
        sql.SQL("INSERT INTO {}.meta (version, load_id) VALUES (1, %s)").format(
            sql.Identifier(schema)
        ),
        (load_id,),
    )
    for name in INDEX_FILES:
        _run_schema_file(cursor, schema, name)


def _run_schema_file(cursor: Cursor, schema: str, name: str) -> None:
    cursor.execute("SELECT set_config('search_path', %s, true)", (schema,))
    cursor.execute(resources.files("streamcat").joinpath(name).read_text())
    cursor.execute("SELECT set_config('search_path', 'public', true)")
