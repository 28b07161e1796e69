"""One load: every new object of one event, merged into the catalog under the load lock.

Its four steps, each in its own module and timed in the report: triage (skip stale
notifications, clean titles, quarantine what is rejected, start a worker per ratings file),
stage (the complete new catalog in the staging schema, with each ratings file's sums and
Parquet from its worker), swap (the schema rename), publish (the ratings Parquet and the
training manifest); then the report is filed. Only the merge holds the lock, from stage on:
when the lock is taken, an invocation waits for its workers before waiting for it, so parallel
invocations read their files at the same time; when it is free, the titles are staged and
indexed while the workers still read. A failed load publishes nothing and raises, so SQS
redelivers the batch; a load that committed but failed to publish has filed no report, so the
ledger lets the redelivery load it again.

An object that cannot be read (S3 answered an error for it, or the read broke off) fails alone:
the rest of the batch loads without it and the caller reports its messages for a retry. S3 not
reachable at all, like PostgreSQL failing, fails the load as a whole and raises.
"""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg2.extensions
from psycopg2.extras import Json

from streamcat.memory import peak_rss_mb
from streamcat.s3_events import ObjectEvent
from streamcat.settings import Settings
from streamcat_etl import catalog_store, ledger
from streamcat_etl.load_state import Load
from streamcat_etl.publish import publish
from streamcat_etl.report import LoadReport
from streamcat_etl.stage import await_uploads, stage_ratings, stage_scores, stage_titles
from streamcat_etl.swap import swap
from streamcat_etl.triage import triage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RATINGS_WORKERS = max(2, os.cpu_count() or 1)
"""Ratings files read at once in one invocation: a worker holds one file's table at a time,
so the peak grows with this and the largest file, never with the number of files."""


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
    with ThreadPoolExecutor(RATINGS_WORKERS, thread_name_prefix="ratings") as workers:
        load = Load(report, connection, s3, settings, workers)
        with report.timed("triage"), connection, connection.cursor() as cursor:
            for event in events:
                triage(load, cursor, event)
        with ExitStack() as held:
            with report.timed("lock"):
                early = held.enter_context(catalog_store.load_lock(connection, wait=False))
            if not early:
                with report.timed("stage_ratings"):
                    stage_ratings(load)
                    await_uploads(load)
                with report.timed("lock"):
                    held.enter_context(catalog_store.load_lock(connection))
            _merge(load, ratings_pending=early)
    return report, load.failed


def _merge(load: Load, ratings_pending: bool) -> None:
    """Under the load lock: the new catalog staged and swapped in one transaction, then its
    artifacts published and the report filed."""
    with load.connection, load.connection.cursor() as cursor:
        ledger.ensure_schema(cursor)
        version = catalog_store.live_version(cursor)
        load.report.previous_version = load.report.catalog_version = version
        with load.report.timed("stage"):
            staged = _stage(load, cursor, ratings_pending)
        if staged:
            with load.report.timed("swap"):
                swap(load, cursor)
    if load.report.swapped:
        with load.report.timed("publish"):
            publish(load, _live_sources(load.connection))
    if load.report.changed_anything:
        with load.report.timed("file_report"):
            _file_report(load)


def _stage(load: Load, cursor: psycopg2.extensions.cursor, ratings_pending: bool) -> bool:
    """`ratings_pending`: the workers may still be reading (the lock was free after triage)."""
    if not load.titles and not load.ratings:
        return False
    ids = stage_titles(load, cursor)
    if ratings_pending:
        with load.report.timed("stage_ratings"):
            stage_ratings(load, cursor)
    scored = stage_scores(load, cursor, ids)
    with load.report.timed("await_uploads"):
        await_uploads(load)
    return scored


def _live_sources(connection: psycopg2.extensions.connection) -> list[str]:
    with connection, connection.cursor() as cursor:
        return catalog_store.rating_sources(cursor, catalog_store.LIVE)


def _file_report(load: Load) -> None:
    report, settings = load.report, load.settings
    report.peak_rss_mb = peak_rss_mb()
    key = f"{settings.reports_prefix}loads/{report.load_id}.json"
    load.s3.put_object(
        Bucket=settings.data_bucket,
        Key=key,
        Body=report.to_json().encode(),
        ContentType="application/json",
    )
    with load.connection, load.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO etl.loads (load_id, started_at, catalog_version, report)"
            " VALUES (%s, %s, %s, %s)",
            (report.load_id, report.started_at, report.catalog_version, Json(report.to_dict())),
        )
