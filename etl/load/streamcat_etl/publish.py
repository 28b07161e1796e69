"""Step 4 of a load, publish, after the swap committed: each staged ratings file's Parquet and
training part copied from the load's staging prefix into curated/ (a copy inside S3: the
uploads happened while the catalog was staged), then the training manifest of the new catalog
version, whose upload triggers training: every ratings file's part and Parquet (this load's and
earlier ones') and their number of ratings. Nothing reaches curated/ before the catalog commits,
so a failed load publishes no partial artifact; what it staged expires with the bucket's
lifecycle rule. Returns the manifest's key."""

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from streamcat.training_input import manifest_bytes
from streamcat_etl.plan import Bucket, Timings
from streamcat_etl.raw_files import RatingsFile
from streamcat_etl.stage import StagedCatalog

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

COPY_THREADS = 8
"""Parallel copies: each mostly waits on S3, so a full load's 16 take two rounds; 8 stay within
the client's 10 pooled connections."""


def publish(
    bucket: Bucket, staged: StagedCatalog, version: int, load_id: str, timings: Timings
) -> str | None:
    """None when the catalog has nothing to train on (no ratings, or no titles)."""
    s3, name, layout = bucket.s3, bucket.name, bucket.layout
    copies = [
        (source, key)
        for number, files in staged.ratings.items()
        for source, key in (
            (files.parquet_key, layout.ratings_parquet(number)),
            (files.training_key, layout.training_part(number)),
        )
    ]
    with timings.timed("publish_files"), ThreadPoolExecutor(COPY_THREADS) as pool:
        done = [
            pool.submit(
                s3.copy_object, CopySource={"Bucket": name, "Key": source}, Bucket=name, Key=key
            )
            for source, key in copies
        ]
        for copy in done:
            copy.result()
    manifest = None
    counts = {RatingsFile.number_of(source): count for source, count in staged.sources.items()}
    numbers = sorted(n for n in counts if n is not None)
    if numbers and staged.titles:
        manifest = layout.training_manifest(version)
        body = manifest_bytes(
            load_id,
            [layout.training_part(n) for n in numbers],
            [layout.ratings_parquet(n) for n in numbers],
            sum(counts[n] for n in numbers),
        )
        with timings.timed("publish_manifest"):
            s3.put_object(Bucket=name, Key=manifest, Body=body, ContentType="application/json")
    with timings.timed("clear_staging"):
        keys: list[ObjectIdentifierTypeDef] = [{"Key": source} for source, _ in copies]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys})
    return manifest
