"""The values a load hands from step to step: what became of each announced object (`Outcome`),
what triage decided to load (`Plan`), and what a ratings worker made of its file."""

import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from aws_lambda_powertools import Logger

from streamcat.s3_events import ObjectEvent
from streamcat.s3_layout import S3Layout
from streamcat_etl.raw_files import RatingsFile
from streamcat_etl.titles import TitlesResult
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOADED, REJECTED, SKIPPED, FAILED = "loaded", "rejected", "skipped", "failed"
"""FAILED: the object could not be read (denied, its version gone, the read broken off); its SQS
messages are reported failed and retried, the rest of the batch loads without it."""

logger = Logger(child=True)


@dataclass(frozen=True)
class Bucket:
    """Where a load reads its uploads and writes what it makes of them."""

    s3: "S3Client"
    name: str
    layout: S3Layout


@dataclass(frozen=True)
class Outcome:
    """What became of one announced object: its line in the load's report."""

    event: ObjectEvent
    kind: str
    """'titles', 'ratings' or 'unrecognised'."""
    status: str
    reason: str | None = None
    """Why it was skipped or failed, or the rejection's message."""
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    fixes: dict[str, int] = field(default_factory=dict)
    """Rows changed per cleaning rule (titles)."""
    problems: list[dict[str, Any]] = field(default_factory=list)
    ratings_dropped_unmatched: int = 0
    movies_rated: int = 0
    quarantine_key: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """A ratings file's own work (download, read, sums, Parquet), done beside the steps."""


def skipped(event: ObjectEvent, kind: str, reason: str) -> Outcome:
    logger.info("object skipped", extra={"key": event.key, "reason": reason})
    return Outcome(event, kind, SKIPPED, reason)


def failed(event: ObjectEvent, kind: str, error: BaseException) -> Outcome:
    """This object alone could not be read: its messages are reported failed, so SQS retries
    just them instead of redelivering every good file of the batch with it."""
    extra = {"key": event.key, "message_ids": list(event.message_ids)}
    logger.error("object failed", extra=extra, exc_info=error)
    return Outcome(event, kind, FAILED, f"could not be read: {type(error).__name__}: {error}")


@dataclass(frozen=True)
class StagedRatings:
    """One ratings file parsed and summed, its Parquet and training part staged."""

    etag: str
    stats: pa.Table
    parquet_key: str
    training_key: str
    rows_read: int


@dataclass(frozen=True)
class Unloadable:
    """Why a ratings file did not stage: gone or replaced (no `error`), unreadable (`error`),
    or rejected (`invalid`, with the ETag it was read at)."""

    reason: str
    error: Exception | None = None
    invalid: InvalidFile | None = None
    etag: str = ""


@dataclass(frozen=True)
class TitlesJob:
    event: ObjectEvent
    etag: str
    result: TitlesResult
    outcome: Outcome
    """Its report line once loaded."""


@dataclass(frozen=True)
class RatingsJob:
    event: ObjectEvent
    file: RatingsFile
    summed: "Future[StagedRatings | Unloadable]"
    """Resolved by the worker once the file is summed, before its outputs are uploaded."""
    done: "Future[dict[str, float]]"
    """The worker's whole work, uploads included: the seconds each part took."""


Planned = Outcome | TitlesJob | RatingsJob


@dataclass(frozen=True)
class Plan:
    """Per announced object, in order, its outcome already or the job that loads it."""

    objects: list[Planned]

    def await_workers(self) -> None:
        """Every worker done, its outputs uploaded: the catalog commits only with its files'
        outputs in place. A failed upload raises."""
        for job in self.objects:
            if isinstance(job, RatingsJob):
                job.done.result()


@dataclass
class Timings:
    """Seconds per step of a load, summed over the step's runs."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[step] = self.seconds.get(step, 0.0) + elapsed
