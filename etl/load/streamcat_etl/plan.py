"""The values a load passes from step to step: what became of each announced object
(`Outcome`), what triage decided to load (`Plan`), and a ratings worker's result."""

import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from aws_lambda_powertools import Logger

from streamcat.platforms import Platform
from streamcat.s3_events import ObjectEvent
from streamcat_etl.raw_files import RatingsFile
from streamcat_etl.titles import TitlesResult
from streamcat_etl.validation import InvalidFile

LOADED, REJECTED, SKIPPED, FAILED = "loaded", "rejected", "skipped", "failed"
"""FAILED: the object could not be read (denied, its version gone, the read broken off); its SQS
messages are reported failed and retried, the rest of the batch loads without it."""

logger = Logger(child=True)


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


def changes_catalog_or_quarantine(outcomes: list[Outcome]) -> bool:
    """A file loaded or quarantined; skipped and failed ones change nothing to report."""
    return any(o.status in (LOADED, REJECTED) for o in outcomes)


def skipped(event: ObjectEvent, kind: str, reason: str) -> Outcome:
    logger.info("object skipped", extra={"key": event.key, "reason": reason})
    return Outcome(event, kind, SKIPPED, reason)


def failed(event: ObjectEvent, kind: str, error: BaseException) -> Outcome:
    """This object alone could not be read: the batch loads without it, and its messages are
    reported failed, so SQS retries just them (into the dead-letter queue after the last
    receive) instead of redelivering every good file with it."""
    logger.error(
        "object failed",
        extra={"key": event.key, "message_ids": list(event.message_ids)},
        exc_info=error,
    )
    return Outcome(event, kind, FAILED, f"could not be read: {type(error).__name__}: {error}")


@dataclass(frozen=True)
class StagedRatings:
    """One ratings file read, validated and summed: its per-movie sums, and where its Parquet
    and training part wait for the catalog's commit."""

    etag: str
    stats: pa.Table
    parquet_key: str
    training_key: str
    rows_read: int


@dataclass(frozen=True)
class Unloadable:
    """Why a ratings file did not stage: it is gone or replaced (`error` None), could not be
    read (`error` an S3 error), or failed validation (`invalid`, with the ETag it was read at)."""

    reason: str
    error: Exception | None = None
    invalid: InvalidFile | None = None
    etag: str = ""


RatingsOutcome = StagedRatings | Unloadable


@dataclass(frozen=True)
class TitlesJob:
    """A titles file cleaned and ready to stage; `outcome`: its report line once loaded."""

    event: ObjectEvent
    etag: str
    result: TitlesResult
    outcome: Outcome


@dataclass(frozen=True)
class RatingsJob:
    event: ObjectEvent
    file: RatingsFile
    summed: "Future[RatingsOutcome]"
    """Resolved by the worker once the file is summed, before its outputs are uploaded."""
    done: "Future[dict[str, float]]"
    """The worker's whole work, uploads included: the seconds each part took."""


Planned = Outcome | TitlesJob | RatingsJob


@dataclass(frozen=True)
class Plan:
    """Triage's answer: per announced object, in order, its outcome already (skipped, failed,
    rejected, superseded) or the job that loads it."""

    objects: list[Planned]

    @property
    def titles(self) -> dict[Platform, TitlesJob]:
        return {o.result.platform: o for o in self.objects if isinstance(o, TitlesJob)}

    @property
    def ratings(self) -> dict[int, RatingsJob]:
        return {o.file.number: o for o in self.objects if isinstance(o, RatingsJob)}

    def await_workers(self) -> None:
        """Every worker done, its staged Parquet and training part uploaded: the catalog
        commits only with its files' outputs in place. A failed upload raises."""
        for job in self.ratings.values():
            job.done.result()


class Timings:
    """Seconds per step of a load, summed over the step's runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[step] = self.seconds.get(step, 0.0) + elapsed
