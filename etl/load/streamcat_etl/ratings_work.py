"""One ratings file's own work, run by a worker thread before the load takes its lock:
download, read and validate, its per-movie sums (the partial aggregate the stage step merges),
its Parquet and its training part, uploaded under staging/ until the catalog commits. It needs
nothing from the catalog, so files overlap each other within an invocation, and invocations
(the event source's concurrency) overlap each other; pyarrow and numpy release the GIL.

It touches neither the database nor the load's report: the load applies its outcome.
"""

import time
from pathlib import Path
from typing import TYPE_CHECKING

from streamcat.s3_events import ObjectEvent
from streamcat_etl.load_state import RatingsOutcome, StagedRatings, Unloadable
from streamcat_etl.objects import OBJECT_ERRORS, ONE_REQUEST, fetch
from streamcat_etl.ratings import (
    encode_movies,
    rating_stats,
    read_ratings,
    write_parquet,
)
from streamcat_etl.training_input import write_training_part
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def stage_ratings_file(
    s3: "S3Client",
    event: ObjectEvent,
    path: Path,
    bucket: str,
    staging: str,
) -> RatingsOutcome:
    """`staging`: the key prefix in `bucket` where its Parquet and training part wait for the
    catalog's commit (`<staging>.parquet`, `<staging>.npz`)."""
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
    rows = table.num_rows
    movies = encode_movies(table)
    stats = rating_stats(table, movies)
    clock.lap("sums")
    parquet, part = path.with_suffix(".parquet"), path.with_suffix(".npz")
    write_parquet(table.set_column(3, "movieId", movies.column), parquet)
    clock.lap("parquet")
    write_training_part(part, table, movies, stats)
    clock.lap("training_part")
    del table, movies  # freed before the uploads: a worker holds one file's table at a time
    staged = StagedRatings(etag, stats, f"{staging}.parquet", f"{staging}.npz", rows)
    for local, key in ((parquet, staged.parquet_key), (part, staged.training_key)):
        s3.upload_file(str(local), bucket, key, Config=ONE_REQUEST)
        local.unlink()
    clock.lap("upload")
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
