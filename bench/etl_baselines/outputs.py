"""Digests of an ETL's outputs, so two pipelines' outputs are compared without holding both:
each catalog table as its sorted rows (text form, PostgreSQL's own) hashed in SQL, each
ratings Parquet as its rows sorted (a multiset: the row order of a file is no output) and
hashed column by column, with its schema."""

import hashlib
import io
from typing import TYPE_CHECKING

import numpy as np
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg2 import sql

from streamcat.catalog import TITLE_COLUMNS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CATALOG_TABLES: dict[str, tuple[str, ...]] = {
    "titles": TITLE_COLUMNS,
    "title_cast": ("title_id", "platform", "release_year", "member"),
    "title_countries": ("title_id", "type", "release_year", "country"),
    "title_genres": ("title_id", "genre"),
    "rating_stats": ("source", "movie_id", "rating_sum", "votes"),
}
PARQUET_SCHEMA = pa.schema(
    [
        ("userId", pa.int32()),
        ("rating", pa.float32()),
        ("timestamp", pa.int64()),
        ("movieId", pa.string()),
    ]
)
Digests = dict[str, str]


class OutputsDifferError(AssertionError):
    """A baseline's outputs are not ours: its figures would compare different jobs."""


def catalog_digests(database_url: str, schema: str = "catalog") -> Digests:
    """`<table>`: `<rows> rows <md5 of the sorted rows>` for every table a load fills."""
    found = {}
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            for table, columns in CATALOG_TABLES.items():
                row = sql.SQL("ROW({})::text").format(
                    sql.SQL(", ").join(map(sql.Identifier, columns))
                )
                cursor.execute(
                    sql.SQL(
                        "SELECT count(*), md5(coalesce(string_agg(r, E'\\n' ORDER BY r), ''))"
                        ' FROM (SELECT {row} COLLATE "C" AS r FROM {schema}.{table}) AS s'
                    ).format(row=row, schema=sql.Identifier(schema), table=sql.Identifier(table))
                )
                count, digest = cursor.fetchone() or (0, "")
                found[table] = f"{count} rows {digest}"
    finally:
        connection.close()
    return found


def parquet_digests(s3: "S3Client", bucket: str, curated_prefix: str = "curated/") -> Digests:
    """`<key>`: `<rows> rows <sha256 of the sorted rows>` for every ratings Parquet."""
    found = {}
    prefix = f"{curated_prefix}ratings/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            data = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            found[obj["Key"]] = table_digest(pq.read_table(io.BytesIO(data)))
    return found


def table_digest(table: pa.Table) -> str:
    """The rows as a multiset: sorted on every column, then hashed; a schema other than ours
    (names, types) is a difference too."""
    table = table.replace_schema_metadata(None)
    if not table.schema.equals(PARQUET_SCHEMA):
        return f"schema {table.schema.to_string()!r}"
    keys = [("movieId", "ascending"), ("userId", "ascending"), ("timestamp", "ascending")]
    ordered = table.sort_by([*keys, ("rating", "ascending")])
    digest = hashlib.sha256()
    for name in PARQUET_SCHEMA.names:
        column = ordered[name].combine_chunks()
        digest.update(name.encode())
        digest.update(str(column.null_count).encode())
        if pa.types.is_string(column.type):
            offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
            offsets = offsets[column.offset : column.offset + len(column) + 1]
            data = column.buffers()[2]
            digest.update((offsets - offsets[0]).tobytes())
            if data is not None:
                digest.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
        else:
            digest.update(column.to_numpy(zero_copy_only=False).tobytes())
    return f"{table.num_rows} rows {digest.hexdigest()}"


def differences(expected: Digests, found: Digests) -> list[str]:
    """What differs, one line each; empty when the outputs are the same."""
    return [
        f"{name}: expected {expected.get(name, 'nothing')}, found {found.get(name, 'nothing')}"
        for name in sorted(expected.keys() | found.keys())
        if expected.get(name) != found.get(name)
    ]
