"""The ETL driven as in the cloud: objects put into the template's bucket (moto, IAM enforced)
by the deployer, the handler invoked with its role's credentials and the SQS batch of genuine S3
notifications, results read back from PostgreSQL and S3."""

import io
import itertools
import json
from typing import Any

import numpy as np
import psycopg2
import pyarrow.parquet as pq

from local.catalog_fixtures import drop_catalog
from local.lambda_context import LocalLambdaContext
from local.notifications import Upload, sqs_event
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.training_input import PART_ARRAYS, read_manifest
from streamcat_etl.handler import lambda_handler
from tests.support.cloud import act_as, deployer_s3
from tests.support.titles import csv_bytes, title_row

RATINGS_HEADER = "userId,rating,timestamp,movieId\n"
_sequencers = itertools.count(0x0062E9A5B7C0000000)


def ratings_csv(*rows: tuple[int, float, str]) -> bytes:
    """(userId, rating, movieId) rows; timestamps are arbitrary."""
    lines = [
        f"{user},{rating},{1_600_000_000 + i},{movie}\n"
        for i, (user, rating, movie) in enumerate(rows)
    ]
    return (RATINGS_HEADER + "".join(lines)).encode()


def titles_csv(*show_ids: str, **fields: str) -> bytes:
    return csv_bytes(*(title_row(show_id=s, title=f"title {s}", **fields) for s in show_ids))


def invoke_handler(event: dict[str, Any]) -> dict[str, Any]:
    """The ETL's Lambda handler with `event`, as Lambda calls it."""
    result: dict[str, Any] = lambda_handler(event, LocalLambdaContext("etl"))
    return result


class Etl:
    """One test's bucket and database, with the ETL as the only writer: from here on the test's
    process holds the ETL's role, and uploads and checks go through the deployer's client `s3`."""

    def __init__(self, database_url: str, bucket: str) -> None:
        self.database_url = database_url
        self.bucket = bucket
        self.s3 = deployer_s3()
        self.layout = S3Layout.of(get_settings())
        act_as("EtlFunction")
        drop_catalog(database_url)

    def connect(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.database_url)

    def put(self, key: str, data: bytes) -> Upload:
        """The upload as its notification names it: the version too in a versioned bucket."""
        response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        sequencer = f"{next(_sequencers):018X}"
        return Upload(key, response["ETag"].strip('"'), sequencer, response.get("VersionId"))

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return invoke_handler(event)

    def load(self, *uploads: Upload) -> dict[str, Any]:
        return self.invoke(sqs_event(self.bucket, *uploads))

    def upload_and_load(self, files: dict[str, bytes]) -> dict[str, Any]:
        return self.load(*(self.put(key, data) for key, data in files.items()))

    def rows(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, args)
                return cursor.fetchall()
        finally:
            connection.close()

    def version(self) -> int | None:
        found = self.rows("SELECT to_regclass('catalog.meta')")[0][0]
        return self.rows("SELECT max(version) FROM catalog.meta")[0][0] if found else None

    def ids(self) -> list[str]:
        return [row[0] for row in self.rows("SELECT id FROM catalog.titles ORDER BY id")]

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for obj in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        data: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return data

    def report(self, load_id: str) -> dict[str, Any]:
        key = self.layout.load_report(load_id)
        document: dict[str, Any] = json.loads(self.read(key))
        return document

    def parquet(self, number: int) -> list[dict[str, Any]]:
        data = self.read(self.layout.ratings_parquet(number))
        rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(data)).to_pylist()
        return rows

    def interactions(self, version: int) -> dict[str, list[Any]]:
        """Every rating the training input of `version` names, as columns, unmatched movieIds
        included (the trainer drops those)."""
        manifest = read_manifest(self.read(self.layout.training_manifest(version)))
        columns: dict[str, list[Any]] = {"userId": [], "movieId": [], "rating": []}
        for key in manifest.parts:
            with np.load(io.BytesIO(self.read(key))) as part:
                movie_ids, counts, user, rating2 = (part[name] for name in PART_ARRAYS)
            columns["userId"] += user.tolist()
            columns["movieId"] += np.repeat(movie_ids, counts).tolist()
            columns["rating"] += (rating2 / 2).tolist()
        return columns
