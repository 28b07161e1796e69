"""What one load knows as it goes, shared by its steps (triage, read, stage, swap, publish):
the objects it loads, what became of each, and the outcome of each ratings file's work."""

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import psycopg2.extensions
import pyarrow as pa
from aws_lambda_powertools import Logger

from streamcat.platforms import Platform
from streamcat.s3_events import ObjectEvent
from streamcat.settings import Settings
from streamcat_etl.quarantine import error_document, quarantine
from streamcat_etl.raw_files import RatingsFile
from streamcat_etl.report import FAILED, REJECTED, SKIPPED, FileReport, LoadReport
from streamcat_etl.titles import TitlesResult
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

Cursor = psycopg2.extensions.cursor
K = TypeVar("K")
J = TypeVar("J", "TitlesJob", "RatingsJob")
logger = Logger(child=True)


@dataclass(frozen=True)
class StagedRatings:
    """One ratings file read, validated and reduced: its per-movie sums, and its ratings as
    Parquet and as training input under the load's staging prefix, ready to publish."""

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
"""What the catalog needs of a ratings file, known once it is read and summed."""


@dataclass
class TitlesJob:
    event: ObjectEvent
    etag: str
    result: TitlesResult
    report: FileReport


@dataclass
class RatingsJob:
    event: ObjectEvent
    file: RatingsFile
    report: FileReport
    summed: "Future[RatingsOutcome]"
    """Resolved by the worker once the file is summed, before its outputs are uploaded."""
    done: "Future[dict[str, float]]"
    """The worker's whole work, uploads included: the seconds each part took."""


@dataclass
class Load:
    report: LoadReport
    connection: psycopg2.extensions.connection
    s3: "S3Client"
    settings: Settings
    workers: ThreadPoolExecutor
    """Runs each ratings file's download, read, sums and Parquet, before the lock."""
    titles: dict[Platform, TitlesJob] = field(default_factory=dict)
    ratings: dict[int, RatingsJob] = field(default_factory=dict)
    staged: dict[int, StagedRatings] = field(default_factory=dict)
    """The ratings files staged into the new catalog, by number."""
    sums_staged: set[int] = field(default_factory=set)
    """The staged files whose sums are in the staging schema already."""
    failed: list[ObjectEvent] = field(default_factory=list)

    @property
    def staging(self) -> str:
        """This load's prefix for outputs that wait for the catalog's commit."""
        return f"{self.settings.staging_prefix}{self.report.load_id}/"

    def reject(self, event: ObjectEvent, etag: str, error: InvalidFile, file: FileReport) -> None:
        prefix = self.settings.quarantine_prefix
        with self.report.timed("quarantine"):
            fresh = quarantine(self.s3, event, etag, error, prefix)
        if not fresh:
            file.status, file.reason = SKIPPED, f"already quarantined as {prefix}{event.key}"
            return
        logger.warning("file rejected", extra={"key": event.key, "error": str(error)})
        file.status, file.reason, file.rows_rejected = REJECTED, str(error), error.total
        file.problems = error_document(event, etag, error)["problems"]
        file.quarantine_key = prefix + event.key

    def fail(self, event: ObjectEvent, file: FileReport, error: Exception) -> None:
        """This object alone could not be read: the batch loads without it, and its messages
        are reported failed, so SQS retries just them (into the dead-letter queue after the
        last receive) instead of redelivering every good file with it."""
        logger.error(
            "object failed",
            extra={"key": event.key, "message_ids": list(event.message_ids)},
            exc_info=error,
        )
        file.status = FAILED
        file.reason = f"could not be read: {type(error).__name__}: {error}"
        self.failed.append(event)

    def skip(self, event: ObjectEvent, file: FileReport, reason: str) -> None:
        logger.info("object skipped", extra={"key": event.key, "reason": reason})
        file.status, file.reason = SKIPPED, reason

    def replace_job(self, jobs: dict[K, J], slot: K, job: J) -> None:
        """Two uploads of one input in one batch (e.g. two folders): the later one wins."""
        earlier = jobs.get(slot)
        if earlier is not None:
            earlier.report.status = SKIPPED
            earlier.report.reason = f"superseded by {job.event.key} in the same batch"
        jobs[slot] = job
