"""Inputs of the Spark training job as the data path makes them: ratings Parquet written by the
ETL's own writer, the catalog's titles as the job reads them, the job script, in an S3 bucket;
and the job driver that names them, as StartJobRun is given it."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from streamcat.training_input import Ratings
from streamcat_etl.ratings import parquet_bytes
from streamcat_train.spark_input import titles_lines

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JOB_SCRIPT = Path(__file__).resolve().parents[2] / "etl" / "spark" / "train_job.py"


def ratings_parquet(user: list[int], rating: list[float], movie_id: list[str]) -> bytes:
    """A curated ratings file: the ETL's columns and writer (timestamps play no part)."""
    table = pa.table(
        {
            "userId": pa.array(user, pa.int32()),
            "rating": pa.array(rating, pa.float32()),
            "timestamp": pa.array(np.zeros(len(user), np.int64)),
            "movieId": pa.array(movie_id, pa.string()),
        }
    )
    return parquet_bytes(table)


def catalog_parquet(ratings: Ratings, ids: list[str]) -> bytes:
    """`ratings` (over the catalog's title indexes) as a curated ratings file."""
    movie_ids = np.array(ids, dtype=object)[ratings.item].tolist()
    return ratings_parquet(ratings.user.tolist(), ratings.rating.tolist(), movie_ids)


@dataclass(frozen=True)
class JobInputs:
    bucket: str
    ratings: list[str]
    titles: str
    script: str

    def driver(self, output: str, dims: int = 40, titles: str | None = None) -> dict[str, Any]:
        """StartJobRun's jobDriver for these inputs (`titles` overrides the titles' URI)."""
        arguments = ["--ratings", *(self.uri(key) for key in self.ratings)]
        arguments += ["--titles", self.uri(titles or self.titles)]
        arguments += ["--output", self.uri(output), "--dims", str(dims)]
        return {
            "sparkSubmit": {
                "entryPoint": self.uri(self.script),
                "entryPointArguments": arguments,
                "sparkSubmitParameters": "",
            }
        }

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def upload_inputs(
    s3: "S3Client", bucket: str, parquet: list[bytes], catalog_ids: list[str]
) -> JobInputs:
    keys = [f"curated/ratings/source={n}/part-0.parquet" for n in range(1, len(parquet) + 1)]
    for key, body in zip(keys, parquet, strict=True):
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    s3.put_object(Bucket=bucket, Key="spark/v1/titles.jsonl", Body=titles_lines(catalog_ids))
    s3.put_object(Bucket=bucket, Key="spark/train_job.py", Body=JOB_SCRIPT.read_bytes())
    return JobInputs(bucket, keys, "spark/v1/titles.jsonl", "spark/train_job.py")


def listed(s3: "S3Client", bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))
