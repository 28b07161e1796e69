"""Step 1 of a load, triage: which announced objects load. Stale notifications are skipped,
titles files are read and cleaned (a rejected one quarantined), and each ratings file is handed
to a worker, which reads and sums it while the catalog is staged. Returns the plan."""

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from streamcat.db import Cursor
from streamcat.s3_events import ObjectEvent
from streamcat.s3_layout import S3Layout
from streamcat_etl import ledger, quarantine
from streamcat_etl.objects import OBJECT_ERRORS, Fetched, fetch, identified
from streamcat_etl.plan import (
    LOADED,
    Outcome,
    Plan,
    Planned,
    RatingsJob,
    RatingsOutcome,
    Timings,
    TitlesJob,
    failed,
    skipped,
)
from streamcat_etl.ratings_work import stage_ratings_file
from streamcat_etl.raw_files import ACCEPTED_NAMES, RatingsFile, TitlesFile, recognise
from streamcat_etl.titles import clean_titles
from streamcat_etl.titles_csv import MAX_TITLES_FILE_BYTES, check_size
from streamcat_etl.validation import InvalidFile, Rejection

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class _Triage:
    """One batch's objects, in order; a later upload of the same input supersedes an earlier
    one (e.g. two folders)."""

    def __init__(
        self,
        s3: "S3Client",
        bucket: str,
        layout: S3Layout,
        workers: ThreadPoolExecutor,
        load_id: str,
    ) -> None:
        self.s3, self.bucket, self.layout = s3, bucket, layout
        self.workers, self.load_id = workers, load_id
        self.objects: list[Planned] = []

    def add(self, planned: Planned) -> None:
        for index, earlier in enumerate(self.objects):
            if _same_input(earlier, planned):
                reason = f"superseded by {planned.event.key} in the same batch"
                self.objects[index] = skipped(earlier.event, _kind(earlier), reason)
        self.objects.append(planned)

    def plan(self, cursor: Cursor, event: ObjectEvent, timings: Timings) -> Planned:
        if not event.key.startswith(self.layout.raw):
            return skipped(event, "unrecognised", f"outside {self.layout.raw}: no ETL input")
        kind = recognise(event.key, self.layout.raw)
        name = _kind_name(kind)
        try:
            event = identified(self.s3, event)
            reason = ledger.stale_reason(cursor, event)
            if reason is not None:
                return skipped(event, name, reason)
            if isinstance(kind, RatingsFile):
                return self._start_ratings(event, kind)
            with timings.timed("download"):
                fetched = fetch(self.s3, event, MAX_TITLES_FILE_BYTES)
        except OBJECT_ERRORS as error:
            return failed(event, name, error)
        if fetched is None:
            return skipped(event, name, "gone or replaced since this notification")
        if kind is None:
            found = repr(event.key.rsplit("/", 1)[-1])
            rejection = Rejection(None, None, "a file named " + ACCEPTED_NAMES, found)
            invalid = InvalidFile(event.key, [rejection])
            with timings.timed("quarantine"):
                return quarantine.reject(self.s3, self.layout, event, fetched.etag, invalid, name)
        return self._clean_titles(event, kind, fetched, timings)

    def _start_ratings(self, event: ObjectEvent, kind: RatingsFile) -> RatingsJob:
        outputs = self.layout.staged_outputs(self.load_id, kind.number, len(self.objects))
        summed: Future[RatingsOutcome] = Future()
        done = self.workers.submit(stage_ratings_file, self.s3, event, self.bucket, outputs, summed)
        return RatingsJob(event, kind, summed, done)

    def _clean_titles(
        self, event: ObjectEvent, kind: TitlesFile, fetched: Fetched, timings: Timings
    ) -> Planned:
        try:
            with timings.timed("clean_titles"):
                check_size(fetched.size, event.key)
                result = clean_titles(kind.platform, fetched.data, event.key)
        except InvalidFile as error:
            with timings.timed("quarantine"):
                return quarantine.reject(self.s3, self.layout, event, fetched.etag, error, "titles")
        kept = len(result.titles)
        outcome = Outcome(
            event,
            "titles",
            LOADED,
            rows_read=result.rows_read,
            rows_kept=kept,
            rows_rejected=result.rows_read - kept,
            fixes=dict(sorted(result.fixes.items())),
        )
        return TitlesJob(event, fetched.etag, result, outcome)


def triage(
    cursor: Cursor,
    events: list[ObjectEvent],
    s3: "S3Client",
    bucket: str,
    layout: S3Layout,
    workers: ThreadPoolExecutor,
    load_id: str,
    timings: Timings,
) -> Plan:
    """`bucket`: where the workers stage their outputs."""
    batch = _Triage(s3, bucket, layout, workers, load_id)
    for event in events:
        batch.add(batch.plan(cursor, event, timings))
    return Plan(batch.objects)


def _same_input(earlier: Planned, later: Planned) -> bool:
    if isinstance(earlier, TitlesJob) and isinstance(later, TitlesJob):
        return earlier.result.platform == later.result.platform
    if isinstance(earlier, RatingsJob) and isinstance(later, RatingsJob):
        return earlier.file.number == later.file.number
    return False


def _kind(planned: Planned) -> str:
    if isinstance(planned, Outcome):
        return planned.kind
    return "titles" if isinstance(planned, TitlesJob) else "ratings"


def _kind_name(kind: TitlesFile | RatingsFile | None) -> str:
    if kind is None:
        return "unrecognised"
    return "titles" if isinstance(kind, TitlesFile) else "ratings"
