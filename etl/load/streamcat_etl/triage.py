"""Step 1 of a load, triage: which announced objects load. Stale notifications are skipped,
titles files are read and cleaned (a rejected one quarantined), and each ratings file is handed
to a worker, which reads and reduces it while the catalog is staged."""

from concurrent.futures import Future

from streamcat.s3_events import ObjectEvent
from streamcat_etl import ledger
from streamcat_etl.load_state import Cursor, Load, RatingsJob, RatingsOutcome, TitlesJob
from streamcat_etl.objects import OBJECT_ERRORS, Fetched, fetch, identified
from streamcat_etl.ratings_work import stage_ratings_file
from streamcat_etl.raw_files import ACCEPTED_NAMES, RatingsFile, TitlesFile, recognise
from streamcat_etl.report import LOADED, FileReport
from streamcat_etl.titles import clean_titles
from streamcat_etl.titles_csv import MAX_TITLES_FILE_BYTES, check_size
from streamcat_etl.validation import InvalidFile, Problem


def triage(load: Load, cursor: Cursor, event: ObjectEvent) -> None:
    raw = load.settings.raw_prefix
    if not event.key.startswith(raw):
        file = load.report.add(FileReport(event.key, "unrecognised", LOADED))
        load.skip(event, file, f"outside {raw}: not an input of the ETL")
        return
    kind = recognise(event.key, raw)
    file = load.report.add(FileReport(event.key, _kind_name(kind), LOADED))
    try:
        event = identified(load.s3, event)
        reason = ledger.stale_reason(cursor, event)
        if reason is not None:
            load.skip(event, file, reason)
            return
        if isinstance(kind, RatingsFile):
            _start_ratings(load, event, kind, file)
            return
        with load.report.timed("download"):
            fetched = fetch(load.s3, event, MAX_TITLES_FILE_BYTES)
    except OBJECT_ERRORS as error:
        load.fail(event, file, error)
        return
    if fetched is None:
        load.skip(event, file, "gone or replaced since this notification")
        return
    if kind is None:
        name = event.key.rsplit("/", 1)[-1]
        problem = Problem(None, None, "a file named " + ACCEPTED_NAMES, repr(name))
        load.reject(event, fetched.etag, InvalidFile(event.key, [problem]), file)
        return
    _clean_titles(load, event, kind, fetched, file)


def _start_ratings(load: Load, event: ObjectEvent, kind: RatingsFile, file: FileReport) -> None:
    staging = f"{load.staging}ratings/ratings-{kind.number}-{len(load.report.files)}"
    bucket = load.settings.data_bucket
    summed: Future[RatingsOutcome] = Future()
    done = load.workers.submit(stage_ratings_file, load.s3, event, bucket, staging, summed)
    load.replace_job(load.ratings, kind.number, RatingsJob(event, kind, file, summed, done))


def _clean_titles(
    load: Load, event: ObjectEvent, kind: TitlesFile, fetched: Fetched, file: FileReport
) -> None:
    try:
        with load.report.timed("clean_titles"):
            check_size(fetched.size, event.key)
            result = clean_titles(kind.platform, fetched.data, event.key)
    except InvalidFile as error:
        load.reject(event, fetched.etag, error, file)
        return
    file.rows_read = result.rows_read
    file.rows_kept = len(result.titles)
    file.rows_rejected = result.rows_read - len(result.titles)
    file.fixes = dict(sorted(result.fixes.items()))
    load.replace_job(load.titles, kind.platform, TitlesJob(event, fetched.etag, result, file))


def _kind_name(kind: TitlesFile | RatingsFile | None) -> str:
    if kind is None:
        return "unrecognised"
    return "titles" if isinstance(kind, TitlesFile) else "ratings"
