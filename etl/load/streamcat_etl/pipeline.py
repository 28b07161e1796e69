"""One load: every new object of one event, merged into the catalog under the load lock.

Each step is a module that returns what the next one needs, and is timed: triage (the plan),
stage (the new catalog, with every object's outcome), swap (the new version), publish (the
manifest's key), then the report, assembled from their results and filed. Only the merge holds
the lock, from stage on: when the lock is taken, an invocation waits for its workers before
waiting for it, so parallel invocations read their files at the same time; when it is free, the
titles are staged and indexed while the workers still read. A failed load publishes nothing and
raises, so SQS redelivers the batch; a load that committed but failed to publish has filed no
report, so the ledger lets the redelivery load it again."""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg2.extensions

from streamcat.memory import peak_rss_mb
from streamcat.s3_events import ObjectEvent
from streamcat.s3_layout import S3Layout
from streamcat.settings import Settings
from streamcat_etl import catalog_store, ledger
from streamcat_etl.plan import FAILED, LOADED, REJECTED, Bucket, Timings
from streamcat_etl.publish import publish
from streamcat_etl.report import LoadReport, file_report
from streamcat_etl.stage import stage
from streamcat_etl.swap import swap_in
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
    load_id, started_at = load_id or new_load_id(), datetime.now(UTC).isoformat()
    bucket, timings = Bucket(s3, settings.data_bucket, S3Layout.of(settings)), Timings()
    with ThreadPoolExecutor(RATINGS_WORKERS, thread_name_prefix="ratings") as workers:
        with timings.timed("triage"), connection, connection.cursor() as cursor:
            plan = triage(cursor, events, bucket, workers, load_id, timings)
        with ExitStack() as held:
            with timings.timed("lock"):
                lock_was_free = held.enter_context(catalog_store.load_lock(connection, wait=False))
            if not lock_was_free:
                with timings.timed("stage_ratings"):
                    plan.await_workers()
                with timings.timed("lock"):
                    held.enter_context(catalog_store.load_lock(connection))
            with connection, connection.cursor() as cursor:
                ledger.ensure_schema(cursor)
                live = catalog_store.live_version(cursor)
                with timings.timed("stage"):
                    staged = stage(cursor, plan, bucket, timings)
                version = None
                if staged.loaded:
                    with timings.timed("swap"):
                        version = swap_in(cursor, staged, live, load_id, settings)
            manifest = None
            if version is not None:
                with timings.timed("publish"):
                    manifest = publish(bucket, staged, version, load_id, timings)
            report = LoadReport(
                load_id=load_id,
                started_at=started_at,
                previous_version=live,
                catalog_version=version or live,
                swapped=version is not None,
                titles_in_catalog=staged.titles,
                interactions_key=manifest,
                files=staged.outcomes,
                timings_s=timings.seconds,
                peak_rss_mb=peak_rss_mb(),
            )
            if any(o.status in (LOADED, REJECTED) for o in staged.outcomes):  # else no change
                with timings.timed("file_report"):
                    file_report(bucket, connection, report)
    return report, [o.event for o in staged.outcomes if o.status == FAILED]
