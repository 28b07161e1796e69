"""One ratings file's own work, run by a worker thread beside the catalog's staging: download,
read and validate, per-movie sums, then (once the new catalog's ids are known) the match, and
its Parquet uploaded under staging/ until the catalog commits. pyarrow and numpy release the
GIL, so files overlap each other and the database.

It touches neither the database nor the load's report: the stage step applies its outcome.
"""

import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from streamcat.s3_events import ObjectEvent
from streamcat_etl.load_state import RatingsOutcome, StagedRatings, Unloadable
from streamcat_etl.objects import OBJECT_ERRORS, ONE_REQUEST, fetch
from streamcat_etl.ratings import (
    encode_movies,
    match_catalog,
    rating_stats,
    read_ratings,
    write_parquet,
)
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def stage_ratings_file(
    s3: "S3Client",
    event: ObjectEvent,
    path: Path,
    item_ids: "Future[pa.Array]",
    bucket: str,
    staged_key: str,
) -> RatingsOutcome:
    """`staged_key`: where in `bucket` its Parquet waits for the catalog's commit."""
    seconds: dict[str, float] = {}
    clock = _Clock(seconds)
    try:
        with path.open("wb") as out:
            fetched = fetch(s3, event, out)
    except OBJECT_ERRORS as error:
        return Unloadable("could not be read", error=error), clock.lap("download")
    clock.lap("download")
    if fetched is None:
        return Unloadable("gone or replaced since this notification"), seconds
    etag, _ = fetched
    try:
        table = read_ratings(path, event.key)
    except InvalidFile as error:
        return Unloadable(str(error), invalid=error, etag=etag), clock.lap("read")
    finally:
        path.unlink()
    clock.lap("read")
    movies = encode_movies(table)
    stats = rating_stats(table, movies)
    clock.lap("sums")
    matched = match_catalog(table, movies, item_ids.result())
    clock.lap("wait_for_catalog_and_match")
    parquet = path.with_suffix(".parquet")
    write_parquet(matched.table, parquet)
    clock.lap("parquet")
    s3.upload_file(str(parquet), bucket, staged_key, Config=ONE_REQUEST)
    parquet.unlink()
    clock.lap("upload")
    staged = StagedRatings(
        etag, stats, staged_key, table.num_rows, matched.table.num_rows, matched.dropped
    )
    return staged, seconds


class _Clock:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.last = time.perf_counter()

    def lap(self, part: str) -> dict[str, float]:
        now = time.perf_counter()
        self.seconds[part] = round(now - self.last, 4)
        self.last = now
        return self.seconds
