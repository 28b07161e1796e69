"""The ETL as a data engineer would write it with DuckDB, the strongest single-machine tool
for the job (its statements in duckdb.sql): every ratings file read at once by the parallel
`read_csv`, the per-file stats and the scores by `GROUP BY`, the ratings written by `COPY ... TO`
Parquet, the catalog loaded into PostgreSQL with COPY (CSV written by DuckDB). The 23k titles
are cleaned by the seed baseline's pandas code (the same rules; at 23k rows not where the time
goes); DuckDB joins the scores to them and writes every PostgreSQL table.
"""

import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from bench.etl_baselines.common import (
    create_catalog,
    download_raw,
    finish_catalog,
    parquet_key,
    timed,
)
from bench.etl_baselines.outputs import CATALOG_TABLES
from bench.etl_baselines.seed import clean_titles
from bench.harness import statements

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SQL = statements(Path(__file__).with_suffix(".sql"))


def run(
    s3: "S3Client",
    bucket: str,
    database_url: str,
    raw_prefix: str = "raw/",
    curated_prefix: str = "curated/",
    schema: str = "catalog",
) -> dict[str, Any]:
    """Raw CSVs under `raw_prefix` to the catalog in `schema` and the ratings Parquet."""
    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-duckdb-") as folder:
        workdir = Path(folder)
        with timed(steps, "download"):
            titles_files, ratings_files = download_raw(s3, bucket, raw_prefix, workdir)
        with timed(steps, "clean_titles"):
            catalog = clean_titles(titles_files)
            titles = catalog.titles.assign(
                cast_members=catalog.titles["cast_members"].map(_pg_array),
                countries=catalog.titles["countries"].map(_pg_array),
                genres=catalog.titles["genres"].map(_pg_array),
            )
        db = duckdb.connect(config={"preserve_insertion_order": False})
        try:
            db.register("clean_titles", titles)
            db.register("clean_cast", catalog.cast)
            db.register("clean_countries", catalog.countries)
            db.register("clean_genres", catalog.genres)
            with timed(steps, "read_ratings"):
                db.execute(
                    SQL["read_ratings"], [[str(p) for _, p in sorted(ratings_files.items())]]
                )
            with timed(steps, "group_by"):
                db.execute(SQL["rating_stats"])
                db.execute(SQL["titles"])
            with timed(steps, "copy_to_postgres"):
                _load_catalog(db, database_url, schema, workdir)
            with timed(steps, "parquet"):
                out = workdir / "curated"
                db.execute(SQL["parquet"].format(out=out))
                for number in sorted(ratings_files):
                    written = sorted((out / f"source={number}").glob("*.parquet"))
                    if [p.name for p in written] != ["part-0.parquet"]:
                        raise RuntimeError(f"DuckDB wrote {written} for ratings file {number}")
                    s3.upload_file(str(written[0]), bucket, parquet_key(curated_prefix, number))
            counts = db.execute(
                "SELECT (SELECT count(*) FROM titles), (SELECT count(*) FROM ratings)"
            ).fetchone()
        finally:
            db.close()
    return {
        "steps_s": steps,
        "titles": counts[0] if counts else None,
        "ratings_read": counts[1] if counts else None,
    }


def _load_catalog(
    db: duckdb.DuckDBPyConnection, database_url: str, schema: str, workdir: Path
) -> None:
    """Each table written as CSV by DuckDB, COPYed into PostgreSQL in one transaction."""
    sources = ("titles", "clean_cast", "clean_countries", "clean_genres", "rating_stats")
    files = {}
    for source, (table, columns) in zip(sources, CATALOG_TABLES.items(), strict=True):
        path = workdir / f"{table}.csv"
        names = ", ".join(f'"{c}"' for c in columns)
        db.execute(f"COPY (SELECT {names} FROM {source}) TO '{path}' (FORMAT csv, HEADER false)")
        files[table] = (path, columns)
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            create_catalog(cursor, schema)
            for table, (path, columns) in files.items():
                query = sql.SQL("COPY {}.{} ({}) FROM STDIN WITH (FORMAT csv)").format(
                    sql.Identifier(schema),
                    sql.Identifier(table),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                )
                with path.open() as data:
                    cursor.copy_expert(query, data)
            finish_catalog(cursor, schema, f"duckdb-{uuid.uuid4().hex[:8]}")
    finally:
        connection.close()


def _pg_array(members: list[str]) -> str:
    """A PostgreSQL array literal, every element quoted (commas, braces, quotes safe)."""
    quoted = ('"' + m.replace("\\", "\\\\").replace('"', '\\"') + '"' for m in members)
    return "{" + ",".join(quoted) + "}"
