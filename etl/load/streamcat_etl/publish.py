"""Step 4 of a load, publish, after the swap committed: each staged ratings file's Parquet and
training part copied from the load's staging prefix into curated/ (a copy inside S3: the
uploads happened while the catalog was staged), then the training manifest of the new catalog
version, whose upload triggers training. Nothing reaches curated/ before the catalog commits,
so a failed load publishes no partial artifact; what it staged expires with the bucket's
lifecycle rule."""

import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from streamcat_etl.load_state import Load
from streamcat_etl.raw_files import RatingsFile

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

COPY_THREADS = 8
"""Parallel copies: each mostly waits on S3, so a full load's 16 take two rounds; 8 stay within
the client's 10 pooled connections."""


def ratings_key(curated_prefix: str, number: int) -> str:
    return f"{curated_prefix}ratings/source={number}/part-0.parquet"


def training_key(curated_prefix: str, number: int) -> str:
    """Outside `interactions/`, whose uploads trigger training: only the manifest should."""
    return f"{curated_prefix}training/source={number}/part-0.npz"


def publish(load: Load, sources: list[str]) -> None:
    """`sources`: every ratings file of the new catalog, this load's and earlier ones'."""
    curated, bucket = load.settings.curated_prefix, load.settings.data_bucket
    copies = [
        (staged_key, final_key(curated, number))
        for number, staged in load.staged.items()
        for staged_key, final_key in (
            (staged.parquet_key, ratings_key),
            (staged.training_key, training_key),
        )
    ]
    with load.report.timed("publish_files"), ThreadPoolExecutor(COPY_THREADS) as pool:
        done = [
            pool.submit(
                load.s3.copy_object,
                CopySource={"Bucket": bucket, "Key": source},
                Bucket=bucket,
                Key=key,
            )
            for source, key in copies
        ]
        for copy in done:
            copy.result()
    numbers = sorted(n for n in map(RatingsFile.number_of, sources) if n is not None)
    if numbers and load.report.titles_in_catalog:  # a catalog of no titles has nothing to train
        with load.report.timed("publish_manifest"):
            _put_manifest(load, curated, numbers)
    with load.report.timed("clear_staging"):
        keys: list[ObjectIdentifierTypeDef] = [{"Key": source} for source, _ in copies]
        if keys:
            load.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def _put_manifest(load: Load, curated: str, numbers: list[int]) -> None:
    """What training reads: the catalog version, and each of its ratings files' Parquet and
    training part."""
    key = f"{curated}interactions/v{load.report.catalog_version}.json"
    manifest: dict[str, Any] = {
        "catalog_version": load.report.catalog_version,
        "load_id": load.report.load_id,
        "ratings": [ratings_key(curated, n) for n in numbers],
        "training": [training_key(curated, n) for n in numbers],
    }
    load.s3.put_object(
        Bucket=load.settings.data_bucket,
        Key=key,
        Body=json.dumps(manifest).encode(),
        ContentType="application/json",
    )
    load.report.interactions_key = key
