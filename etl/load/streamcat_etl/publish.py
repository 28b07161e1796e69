"""Step 4 of a load, publish, after the swap committed: each staged ratings file's Parquet
into curated/, then the training manifest of the new catalog version, whose upload triggers
training. Nothing reaches curated/ before the catalog commits, so a failed load publishes no
partial artifact."""

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from streamcat_etl.load_state import Load
from streamcat_etl.raw_files import RatingsFile

UPLOAD_THREADS = 4
"""Parallel uploads: each is mostly waiting on S3."""


def ratings_key(curated_prefix: str, number: int) -> str:
    return f"{curated_prefix}ratings/source={number}/part-0.parquet"


def publish(load: Load, sources: list[str]) -> None:
    """`sources`: every ratings file of the new catalog, this load's and earlier ones'."""
    curated, bucket = load.settings.curated_prefix, load.settings.data_bucket
    with load.report.timed("publish_parquet"), ThreadPoolExecutor(UPLOAD_THREADS) as uploads:
        done = [
            uploads.submit(
                load.s3.upload_file, str(staged.parquet), bucket, ratings_key(curated, number)
            )
            for number, staged in load.staged.items()
        ]
        for upload in done:
            upload.result()
    numbers = sorted(n for n in map(RatingsFile.number_of, sources) if n is not None)
    if not numbers:
        return
    with load.report.timed("publish_manifest"):
        key = f"{curated}interactions/v{load.report.catalog_version}.json"
        load.s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(_manifest(load, curated, numbers)).encode(),
            ContentType="application/json",
        )
        load.report.interactions_key = key


def _manifest(load: Load, curated: str, numbers: list[int]) -> dict[str, Any]:
    """What training reads: the catalog version and the Parquet of each of its ratings files."""
    return {
        "catalog_version": load.report.catalog_version,
        "load_id": load.report.load_id,
        "ratings": [ratings_key(curated, n) for n in numbers],
    }
