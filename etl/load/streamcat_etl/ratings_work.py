"""One ratings file's own work, run by a worker thread before the load takes its lock:
download, parse and validate, its per-movie sums (the partial aggregate the stage step merges),
its Parquet and its training part, uploaded to the load's staging prefix until the catalog
commits. It needs nothing from the catalog, so files overlap each other within an invocation,
and invocations (the event source's concurrency) overlap each other; pyarrow and numpy release
the GIL. The sums are handed over as soon as they are known, so the last files' Parquet is
written and uploaded while the catalog is scored. It touches no database: the stage step turns
its result into the file's outcome."""

from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from streamcat.s3_events import ObjectEvent
from streamcat.training_input import part_bytes
from streamcat_etl.objects import OBJECT_ERRORS, fetch
from streamcat_etl.plan import Bucket, StagedRatings, Timings, Unloadable
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
    clock = Timings()
    try:
        read = _read_and_sum(bucket.s3, event, outputs, clock)
    except BaseException as error:
        summed.set_exception(error)
        raise
    summed.set_result(read if isinstance(read, Unloadable) else read[0])
    if not isinstance(read, Unloadable):
        staged, table, movies, halves = read
        with clock.timed("parquet"):
            parquet = parquet_bytes(table.set_column(3, "movieId", movies.column))
        with clock.timed("training_part"):
            counts, user = staged.stats["votes"].to_numpy(), table["userId"].to_numpy()
            part = part_bytes(movies.ids.to_pylist(), movies.index, counts, user, halves)
        # Freed before the uploads: a worker holds one file's table at a time.
        del read, table, movies, halves
        with clock.timed("upload"):
            for body, key in ((parquet, staged.parquet_key), (part, staged.training_key)):
                bucket.s3.put_object(Bucket=bucket.name, Key=key, Body=body)
    return {part: round(seconds, 4) for part, seconds in clock.seconds.items()}


def _read_and_sum(
    s3: "S3Client", event: ObjectEvent, outputs: tuple[str, str], clock: Timings
) -> tuple[StagedRatings, pa.Table, EncodedMovies, npt.NDArray[np.uint8]] | Unloadable:
    try:
        with clock.timed("download"):
            fetched = fetch(s3, event)
    except OBJECT_ERRORS as error:
        return Unloadable("could not be read", error=error)
    if fetched is None:
        return Unloadable("gone or replaced since this notification")
    try:
        with clock.timed("read"):
            table = parse_ratings_csv(fetched.data, event.key)
    except InvalidFile as error:
        return Unloadable(str(error), invalid=error, etag=fetched.etag)
    with clock.timed("sums"):
        movies = encode_movies(table)
        halves = rating_halves(table)
        stats = rating_stats(movies, halves)
    return StagedRatings(fetched.etag, stats, *outputs, table.num_rows), table, movies, halves
