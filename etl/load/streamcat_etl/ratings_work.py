"""One ratings file's own work, run by a worker thread before the load takes its lock:
download, parse and validate, its per-movie sums (the partial aggregate the stage step merges),
its Parquet and its training part, uploaded to the load's staging prefix until the catalog
commits. It needs nothing from the catalog, so files overlap each other within an invocation,
and invocations (the event source's concurrency) overlap each other; pyarrow and numpy release
the GIL. The sums are handed over as soon as they are known, so the last files' Parquet is
written and uploaded while the catalog is scored. It touches no database: the stage step turns
its result into the file's outcome."""

import time
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from streamcat.s3_events import ObjectEvent
from streamcat.training_input import part_bytes
from streamcat_etl.objects import OBJECT_ERRORS, fetch
from streamcat_etl.plan import Bucket, StagedRatings, Unloadable
from streamcat_etl.ratings import (
    EncodedMovies,
    encode_movies,
    parquet_bytes,
    parse_ratings_csv,
    rating_halves,
    rating_stats,
)
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def stage_ratings_file(
    bucket: Bucket,
    event: ObjectEvent,
    outputs: tuple[str, str],
    summed: "Future[StagedRatings | Unloadable]",
) -> dict[str, float]:
    """`summed` gets the file's result once its sums are known (or why it does not load); its
    Parquet and training part are then uploaded to `outputs`, where they wait for the catalog's
    commit. Returns the seconds each part of the work took."""
    clock = _Clock()
    try:
        read = _read_and_sum(bucket.s3, event, outputs, clock)
    except BaseException as error:
        summed.set_exception(error)
        raise
    if isinstance(read, Unloadable):
        summed.set_result(read)
        return clock.seconds
    staged, table, movies, halves = read
    summed.set_result(staged)
    parquet = parquet_bytes(table.set_column(3, "movieId", movies.column))
    clock.lap("parquet")
    user = table["userId"].to_numpy().astype(np.int32, copy=False)
    part = part_bytes(
        movies.ids.to_pylist(), movies.index, staged.stats["votes"].to_numpy(), user, halves
    )
    clock.lap("training_part")
    # Freed before the uploads: a worker holds one file's table at a time.
    del read, table, movies, halves
    for body, key in ((parquet, staged.parquet_key), (part, staged.training_key)):
        bucket.s3.put_object(Bucket=bucket.name, Key=key, Body=body)
    clock.lap("upload")
    return clock.seconds


def _read_and_sum(
    s3: "S3Client", event: ObjectEvent, outputs: tuple[str, str], clock: "_Clock"
) -> tuple[StagedRatings, pa.Table, EncodedMovies, npt.NDArray[np.uint8]] | Unloadable:
    try:
        fetched = fetch(s3, event)
    except OBJECT_ERRORS as error:
        clock.lap("download")
        return Unloadable("could not be read", error=error)
    clock.lap("download")
    if fetched is None:
        return Unloadable("gone or replaced since this notification")
    try:
        table = parse_ratings_csv(fetched.data, event.key)
    except InvalidFile as error:
        clock.lap("read")
        return Unloadable(str(error), invalid=error, etag=fetched.etag)
    clock.lap("read")
    movies = encode_movies(table)
    halves = rating_halves(table)
    stats = rating_stats(movies, halves)
    clock.lap("sums")
    return StagedRatings(fetched.etag, stats, *outputs, table.num_rows), table, movies, halves


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, part: str) -> None:
        now = time.perf_counter()
        self.seconds[part] = round(now - self.last, 4)
        self.last = now
