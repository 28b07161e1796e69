"""Step 1 of a load, triage: which announced objects load. Stale notifications are skipped,
titles files are read and cleaned (a rejected one quarantined), and each ratings file is handed
to a worker, which parses and sums it while the catalog is staged. Returns the plan."""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from streamcat.db import Cursor
from streamcat.s3_events import ObjectEvent
from streamcat_etl import ledger, quarantine
from streamcat_etl.objects import OBJECT_ERRORS, fetch, identified
from streamcat_etl.plan import (
    LOADED,
    Bucket,
    Outcome,
    Plan,
    Planned,
    RatingsJob,
    StagedRatings,
    Timings,
    TitlesJob,
    Unloadable,
    failed,
    skipped,
)
from streamcat_etl.ratings_work import stage_ratings_file
from streamcat_etl.raw_files import ACCEPTED_NAMES, RatingsFile, TitlesFile, recognise
from streamcat_etl.titles import clean_titles
from streamcat_etl.titles_csv import MAX_TITLES_FILE_BYTES, check_size
from streamcat_etl.validation import InvalidFile, Rejection


def triage(
    cursor: Cursor,
    events: list[ObjectEvent],
    bucket: Bucket,
    workers: ThreadPoolExecutor,
    load_id: str,
    timings: Timings,
) -> Plan:
    """`workers`: where each ratings file's work runs, before the lock."""
    objects: list[Planned] = []

    def start_worker(event: ObjectEvent, file: RatingsFile) -> RatingsJob:
        outputs = bucket.layout.staged_outputs(load_id, file.number, len(objects))
        summed: Future[StagedRatings | Unloadable] = Future()
        done = workers.submit(stage_ratings_file, bucket, event, outputs, summed)
        return RatingsJob(event, file, summed, done)

    for event in events:
        planned = _plan(cursor, event, bucket, timings, start_worker)
        objects = [_superseded(earlier, planned) for earlier in objects] + [planned]
    return Plan(objects)


def _plan(
    cursor: Cursor,
    event: ObjectEvent,
    bucket: Bucket,
    timings: Timings,
    start_worker: Callable[[ObjectEvent, RatingsFile], RatingsJob],
) -> Planned:
    raw = bucket.layout.raw
    if not event.key.startswith(raw):
        return skipped(event, "unrecognised", f"outside {raw}: not an input of the ETL")
    kind = recognise(event.key, raw)
    name = _kind_name(kind)
    try:
        event = identified(bucket.s3, event)
        reason = ledger.stale_reason(cursor, event)
        if reason is not None:
            return skipped(event, name, reason)
        if isinstance(kind, RatingsFile):
            return start_worker(event, kind)
        with timings.timed("download"):
            fetched = fetch(bucket.s3, event, MAX_TITLES_FILE_BYTES)
    except OBJECT_ERRORS as error:
        return failed(event, name, error)
    if fetched is None:
        return skipped(event, name, "gone or replaced since this notification")
    try:
        if kind is None:
            found = repr(event.key.rsplit("/", 1)[-1])
            expected = "a file named " + ACCEPTED_NAMES
            raise InvalidFile(event.key, [Rejection(None, None, expected, found)])
        with timings.timed("clean_titles"):
            check_size(fetched.size, event.key)
            result = clean_titles(kind.platform, fetched.data, event.key)
    except InvalidFile as error:
        with timings.timed("quarantine"):
            return quarantine.reject(bucket, event, fetched.etag, error, name)
    kept = len(result.titles)
    outcome = Outcome(
        event,
        name,
        LOADED,
        rows_read=result.rows_read,
        rows_kept=kept,
        rows_rejected=result.rows_read - kept,
        fixes=dict(sorted(result.fixes.items())),
    )
    return TitlesJob(event, fetched.etag, result, outcome)


def _superseded(earlier: Planned, later: Planned) -> Planned:
    """Two uploads of one input in one batch (e.g. two folders): the later one wins."""
    if isinstance(earlier, TitlesJob) and isinstance(later, TitlesJob):
        same = earlier.result.platform == later.result.platform
    elif isinstance(earlier, RatingsJob) and isinstance(later, RatingsJob):
        same = earlier.file.number == later.file.number
    else:
        return earlier
    reason = f"superseded by {later.event.key} in the same batch"
    return skipped(earlier.event, _kind_name(earlier), reason) if same else earlier


def _kind_name(kind: object) -> str:
    if isinstance(kind, TitlesFile | TitlesJob):
        return "titles"
    return "ratings" if isinstance(kind, RatingsFile | RatingsJob) else "unrecognised"
