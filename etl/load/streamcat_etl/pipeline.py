"""One load: every new object of one event, in one transaction under the load lock.

Order: triage (skip stale notifications, clean titles, quarantine what is rejected), build the
staging catalog (new titles, live titles of other platforms, ratings file by file), swap, then
publish the ratings Parquet and the training input, and file the report, all under the load
lock. Nothing reaches curated/ before the catalog commits, so a failed load publishes no
partial artifact and the raised error makes SQS redeliver the batch; a load that committed but
failed to publish has filed no report, so the ledger lets the redelivery load it again.

An object that cannot be read (S3 answered an error for it, or the read broke off) fails alone:
the rest of the batch loads without it and the caller reports its messages for a retry. S3 not
reachable at all, like PostgreSQL failing, fails the load as a whole and raises.
"""

import io
import shutil
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, TYPE_CHECKING, TypeVar

import botocore.exceptions
import psycopg2.extensions
import pyarrow as pa
from aws_lambda_powertools import Logger
from psycopg2.extras import Json

from streamcat.platforms import Platform
from streamcat.s3_events import ObjectEvent
from streamcat.settings import Settings
from streamcat_etl import catalog_store, ledger
from streamcat_etl.interactions import Interactions, from_curated, from_matched, write_npz
from streamcat_etl.quarantine import error_document, quarantine
from streamcat_etl.ratings import match_catalog, rating_stats, read_ratings, write_parquet
from streamcat_etl.raw_files import ACCEPTED_NAMES, RatingsFile, TitlesFile, recognise
from streamcat_etl.reader_role import grant_readers
from streamcat_etl.report import FAILED, LOADED, REJECTED, SKIPPED, FileReport, LoadReport
from streamcat_etl.titles import TitlesResult, clean_titles
from streamcat_etl.titles_csv import MAX_TITLES_FILE_BYTES, check_size
from streamcat_etl.validation import InvalidFile, Problem

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

Cursor = psycopg2.extensions.cursor
K = TypeVar("K")
J = TypeVar("J", "_TitlesJob", "_RatingsJob")
logger = Logger(child=True)
_GONE = {"NoSuchKey", "404"}
_OBJECT_ERRORS = (
    botocore.exceptions.ClientError,
    botocore.exceptions.HTTPClientError,
    botocore.exceptions.IncompleteReadError,
)
"""Failures of one object's read: S3 answered an error for it (denied, version gone, throttled)
or the transfer broke off. botocore's ConnectionError (S3 unreachable) is not one of them."""


def new_load_id() -> str:
    """Sortable by time, unique across concurrent containers."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def run_load(
    events: list[ObjectEvent],
    connection: psycopg2.extensions.connection,
    s3: "S3Client",
    settings: Settings,
    load_id: str | None = None,
) -> tuple[LoadReport, list[ObjectEvent]]:
    """The load's report, and the objects that failed on their own (the caller has their SQS
    messages retried); a failure of the load as a whole raises."""
    report = LoadReport(load_id or new_load_id())
    with TemporaryDirectory(prefix="streamcat-etl-") as workdir:
        load = _Load(report, connection, s3, settings, Path(workdir))
        load.run(events)
    return report, load.failed


@dataclass
class _RatingsJob:
    event: ObjectEvent
    file: RatingsFile
    etag: str
    path: Path
    report: FileReport


@dataclass
class _TitlesJob:
    event: ObjectEvent
    etag: str
    result: TitlesResult
    report: FileReport


@dataclass
class _Load:
    report: LoadReport
    connection: psycopg2.extensions.connection
    s3: "S3Client"
    settings: Settings
    workdir: Path
    titles: dict[Platform, _TitlesJob] = field(default_factory=dict)
    ratings: dict[int, _RatingsJob] = field(default_factory=dict)
    loaded_ratings: dict[int, Interactions] = field(default_factory=dict)
    item_ids: pa.Array | None = None
    failed: list[ObjectEvent] = field(default_factory=list)

    def run(self, events: list[ObjectEvent]) -> None:
        with ExitStack() as held:
            with self.report.timed("lock"):
                held.enter_context(catalog_store.load_lock(self.connection))
            self._load(events)

    def _load(self, events: list[ObjectEvent]) -> None:
        with self.connection, self.connection.cursor() as cursor:
            ledger.ensure_schema(cursor)
            version = catalog_store.live_version(cursor)
            self.report.previous_version = self.report.catalog_version = version
            for event in events:
                self._triage(cursor, event)
            if self.titles or self.ratings:
                self._build_and_swap(cursor)
        if self.report.swapped:
            self._publish()
        if self.report.changed_anything:
            self._file_report()

    def _triage(self, cursor: Cursor, event: ObjectEvent) -> None:
        raw = self.settings.raw_prefix
        if not event.key.startswith(raw):
            self._skip(event, "unrecognised", f"outside {raw}: not an input of the ETL")
            return
        kind = recognise(event.key, raw)
        try:
            event = self._identified(event)
            reason = ledger.stale_reason(cursor, event)
            if reason is not None:
                self._skip(event, _kind_name(kind), reason)
                return
            with self.report.timed("download"):
                if isinstance(kind, RatingsFile):
                    path = self.workdir / f"ratings-{kind.number}-{len(self.report.files)}.csv"
                    with path.open("wb") as out:
                        fetched = self._fetch(event, out)
                else:
                    buffer = io.BytesIO()
                    fetched = self._fetch(event, buffer, MAX_TITLES_FILE_BYTES)
        except _OBJECT_ERRORS as error:
            self._fail(event, _kind_name(kind), error)
            return
        if fetched is None:
            self._skip(event, _kind_name(kind), "gone or replaced since this notification")
            return
        etag, size = fetched
        if kind is None:
            name = event.key.rsplit("/", 1)[-1]
            problem = Problem(None, None, "a file named " + ACCEPTED_NAMES, repr(name))
            file = self.report.add(FileReport(event.key, "unrecognised", REJECTED))
            self._reject(event, etag, InvalidFile(event.key, [problem]), file)
        elif isinstance(kind, RatingsFile):
            self._replace_job(
                self.ratings,
                kind.number,
                _RatingsJob(
                    event,
                    kind,
                    etag,
                    path,
                    self.report.add(FileReport(event.key, "ratings", LOADED)),
                ),
            )
        else:
            self._clean_titles(event, etag, kind, size, buffer)

    def _clean_titles(
        self, event: ObjectEvent, etag: str, kind: TitlesFile, size: int, buffer: io.BytesIO
    ) -> None:
        try:
            with self.report.timed("clean_titles"):
                check_size(size, event.key)
                result = clean_titles(kind.platform, buffer.getvalue(), event.key)
        except InvalidFile as error:
            self._reject(
                event, etag, error, self.report.add(FileReport(event.key, "titles", REJECTED))
            )
            return
        file = self.report.add(
            FileReport(
                event.key,
                "titles",
                LOADED,
                rows_read=result.rows_read,
                rows_kept=len(result.titles),
                rows_rejected=result.rows_read - len(result.titles),
                fixes=dict(sorted(result.fixes.items())),
            )
        )
        self._replace_job(self.titles, kind.platform, _TitlesJob(event, etag, result, file))

    def _build_and_swap(self, cursor: Cursor) -> None:
        with self.report.timed("stage_titles"):
            catalog_store.create_staging(cursor)
            new_titles = (t for job in self.titles.values() for t in job.result.titles)
            catalog_store.copy_titles(cursor, new_titles)
            kept = [p.value for p in Platform if p not in self.titles]
            catalog_store.keep_live_titles(cursor, kept)
            self.item_ids = catalog_store.catalog_ids(cursor)
        for number in sorted(self.ratings):
            self._stage_ratings(cursor, self.ratings[number])
        if not self.titles and not self.loaded_ratings:
            catalog_store.drop_staging(cursor)
            return
        with self.report.timed("scores_and_swap"):
            catalog_store.keep_live_rating_stats(
                cursor, [RatingsFile(n).source for n in self.loaded_ratings]
            )
            catalog_store.apply_scores(cursor)
            version = (self.report.previous_version or 0) + 1
            catalog_store.finish_staging(cursor, version, self.report.load_id)
            catalog_store.swap(cursor)
            grant_readers(cursor, self.settings, catalog_store.LIVE)
            loaded: list[_TitlesJob | _RatingsJob] = [*self.titles.values()]
            loaded += [self.ratings[n] for n in self.loaded_ratings]
            for done in loaded:
                ledger.record_loaded(cursor, done.event, done.etag, self.report.load_id)
        self.report.swapped = True
        self.report.catalog_version = version
        self.report.titles_in_catalog = len(self.item_ids)

    def _stage_ratings(self, cursor: Cursor, job: _RatingsJob) -> None:
        assert self.item_ids is not None
        try:
            with self.report.timed("read_ratings"):
                table = read_ratings(job.path, job.event.key)
        except InvalidFile as error:
            self._reject(job.event, job.etag, error, job.report)
            return
        with self.report.timed("rating_stats"):
            stats = rating_stats(table)
            catalog_store.copy_rating_stats(cursor, job.file.source, stats)
        with self.report.timed("match_and_parquet"):
            matched = match_catalog(table, self.item_ids)
            write_parquet(matched.table, self._parquet_path(job.file.number))
            self.loaded_ratings[job.file.number] = from_matched(matched.table, matched.item)
        job.report.rows_read = table.num_rows
        job.report.rows_kept = matched.table.num_rows
        job.report.ratings_dropped_unmatched = matched.dropped
        job.report.movies_rated = stats.num_rows
        job.path.unlink()

    def _publish(self) -> None:
        """After the commit: the ratings Parquet, then the training input of the new version."""
        assert self.item_ids is not None
        curated = self.settings.curated_prefix
        with self.report.timed("publish_parquet"):
            for number in self.loaded_ratings:
                key = _parquet_key(curated, number)
                self.s3.upload_file(str(self._parquet_path(number)), self.settings.data_bucket, key)
        with self.report.timed("interactions"):
            parts = self._all_interactions()
            if not parts:
                return
            path = self.workdir / "interactions.npz"
            write_npz(path, self.item_ids, parts)
            key = f"{curated}interactions/v{self.report.catalog_version}.npz"
            self.s3.upload_file(str(path), self.settings.data_bucket, key)
            self.report.interactions_key = key

    def _all_interactions(self) -> list[Interactions]:
        """This load's ratings, plus every other loaded file's read back from curated/."""
        assert self.item_ids is not None
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT source FROM catalog.rating_stats")
            sources = {row[0] for row in cursor.fetchall()}
        parts = dict(self.loaded_ratings)
        numbers = {n for n in map(RatingsFile.number_of, sources) if n is not None}
        for number in sorted(numbers - set(parts)):
            path = self.workdir / f"curated-{number}.parquet"
            key = _parquet_key(self.settings.curated_prefix, number)
            try:
                self.s3.download_file(self.settings.data_bucket, key, str(path))
            except botocore.exceptions.ClientError:
                logger.warning("ratings file has no curated Parquet", extra={"key": key})
                continue
            parts[number] = from_curated(path, self.item_ids)
        return [parts[n] for n in sorted(parts)]

    def _file_report(self) -> None:
        document = self.report.to_dict()
        key = f"{self.settings.reports_prefix}loads/{self.report.load_id}.json"
        self.s3.put_object(
            Bucket=self.settings.data_bucket,
            Key=key,
            Body=self.report.to_json().encode(),
            ContentType="application/json",
        )
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO etl.loads (load_id, started_at, catalog_version, report)"
                " VALUES (%s, %s, %s, %s)",
                (
                    self.report.load_id,
                    self.report.started_at,
                    self.report.catalog_version,
                    Json(document),
                ),
            )

    def _identified(self, event: ObjectEvent) -> ObjectEvent:
        """S3's notifications always name the ETag; a hand-written event (events/*.json) cannot
        know it. Take it, and the version, from HeadObject: the ledger then recognises an
        object already loaded, and the download reads that very version. A key gone meanwhile
        is left to `_fetch` to skip."""
        if event.etag:
            return event
        try:
            head = self.s3.head_object(**_object_request(event))  # type: ignore[arg-type]
        except botocore.exceptions.ClientError as error:
            if _gone(error, event):
                return event
            raise
        version_id = event.version_id or head.get("VersionId") or None
        return replace(event, etag=head["ETag"].strip('"'), version_id=version_id)

    def _fetch(
        self, event: ObjectEvent, out: IO[bytes], max_bytes: int | None = None
    ) -> tuple[str, int] | None:
        """The object's ETag and size, its bytes into `out`; None when it is gone or replaced.
        An object over `max_bytes` is not read at all, so its size alone rejects it."""
        try:
            response = self.s3.get_object(**_object_request(event))  # type: ignore[arg-type]
        except botocore.exceptions.ClientError as error:
            if _gone(error, event):
                return None
            raise
        etag = response["ETag"].strip('"')
        if event.etag and etag != event.etag:
            response["Body"].close()
            return None
        size = response["ContentLength"]
        if max_bytes is not None and size > max_bytes:
            response["Body"].close()
            return etag, size
        shutil.copyfileobj(response["Body"], out, 1 << 20)
        return etag, size

    def _reject(self, event: ObjectEvent, etag: str, error: InvalidFile, file: FileReport) -> None:
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

    def _fail(self, event: ObjectEvent, kind: str, error: Exception) -> None:
        """This object alone could not be read: the batch loads without it, and its messages
        are reported failed, so SQS retries just them (into the dead-letter queue after the
        last receive) instead of redelivering every good file with it."""
        logger.error(
            "object failed",
            extra={"key": event.key, "message_ids": list(event.message_ids)},
            exc_info=error,
        )
        reason = f"could not be read: {type(error).__name__}: {error}"
        self.report.add(FileReport(event.key, kind, FAILED, reason=reason))
        self.failed.append(event)

    def _skip(self, event: ObjectEvent, kind: str, reason: str) -> None:
        logger.info("object skipped", extra={"key": event.key, "reason": reason})
        self.report.add(FileReport(event.key, kind, SKIPPED, reason=reason))

    def _replace_job(self, jobs: dict[K, J], slot: K, job: J) -> None:
        """Two uploads of one input in one batch (e.g. two folders): the later one wins."""
        earlier = jobs.get(slot)
        if earlier is not None:
            earlier.report.status = SKIPPED
            earlier.report.reason = f"superseded by {job.event.key} in the same batch"
        jobs[slot] = job

    def _parquet_path(self, number: int) -> Path:
        return self.workdir / f"curated-{number}.parquet"


def _object_request(event: ObjectEvent) -> dict[str, str]:
    request = {"Bucket": event.bucket, "Key": event.key}
    if event.version_id:
        request["VersionId"] = event.version_id
    return request


def _gone(error: botocore.exceptions.ClientError, event: ObjectEvent) -> bool:
    """A key deleted since its notification is normal (a user's delete, or the quarantine of
    an earlier delivery in an unversioned bucket): skipped. A version the event names is
    immutable and a delete only hides it behind a marker, so its absence means announced data
    was destroyed before it loaded: a failure, to end in the dead-letter queue and be seen."""
    code = error.response.get("Error", {}).get("Code")
    return event.version_id is None and code in _GONE


def _parquet_key(curated_prefix: str, number: int) -> str:
    return f"{curated_prefix}ratings/source={number}/part-0.parquet"


def _kind_name(kind: TitlesFile | RatingsFile | None) -> str:
    if kind is None:
        return "unrecognised"
    return "titles" if isinstance(kind, TitlesFile) else "ratings"
