"""One load: every new object of one event, merged into the catalog under the load lock.

Each step is a module, returns what the next needs and is timed: triage (the plan: stale
notifications skipped, titles cleaned, rejected files quarantined, a worker started per ratings
file), stage (the complete new catalog in the staging schema), swap (the new version made
live), publish (the ratings Parquet and the training manifest), then the report, assembled from
their results and filed. Only the merge holds the lock, from stage on: when the lock is taken,
an invocation waits for its workers before waiting for it, so parallel invocations read their
files at the same time; when it is free, the titles are staged and indexed while the workers
still read. A failed load publishes nothing and raises, so SQS redelivers the batch; a load that
committed but failed to publish has filed no report, so the ledger lets the redelivery load it
again.

An object that cannot be read (S3 answered an error for it, or the read broke off) fails alone:
the rest of the batch loads without it and the caller reports its messages for a retry. S3 not
reachable at all, like PostgreSQL failing, fails the load as a whole and raises.
"""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg2.extensions

from streamcat.memory import peak_rss_mb
from streamcat.s3_events import ObjectEvent
from streamcat.s3_layout import S3Layout
from streamcat.settings import Settings
from streamcat_etl import catalog_store, ledger
from streamcat_etl.plan import FAILED, Plan, Timings, changes_catalog_or_quarantine
from streamcat_etl.publish import publish
from streamcat_etl.report import LoadReport, file_report
from streamcat_etl.stage import StagedCatalog, stage
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


@dataclass(frozen=True)
class _Merged:
    staged: StagedCatalog
    previous_version: int | None
    version: int | None
    """The version swapped in; None when nothing was."""


def run_load(
    events: list[ObjectEvent],
    connection: psycopg2.extensions.connection,
    s3: "S3Client",
    settings: Settings,
    load_id: str | None = None,
) -> tuple[LoadReport, list[ObjectEvent]]:
    """The load's report, and the objects that failed on their own (the caller has their SQS
    messages retried); a failure of the load as a whole raises."""
    load_id = load_id or new_load_id()
    started_at = datetime.now(UTC).isoformat()
    layout, bucket, timings = S3Layout.of(settings), settings.data_bucket, Timings()
    with ThreadPoolExecutor(RATINGS_WORKERS, thread_name_prefix="ratings") as workers:
        with timings.timed("triage"), connection, connection.cursor() as cursor:
            plan = triage(cursor, events, s3, bucket, layout, workers, load_id, timings)
        with ExitStack() as held:
            with timings.timed("lock"):
                lock_was_free = held.enter_context(catalog_store.load_lock(connection, wait=False))
            if not lock_was_free:
                with timings.timed("stage_ratings"):
                    plan.await_workers()
                with timings.timed("lock"):
                    held.enter_context(catalog_store.load_lock(connection))
            merged = _stage_and_swap(connection, plan, s3, layout, load_id, settings, timings)
            manifest = None
            if merged.version is not None:
                with timings.timed("publish"):
                    manifest = publish(
                        s3, bucket, layout, merged.staged, merged.version, load_id, timings
                    )
            report = LoadReport(
                load_id,
                started_at,
                merged.previous_version,
                merged.version or merged.previous_version,
                merged.version is not None,
                merged.staged.titles,
                manifest,
                merged.staged.outcomes,
                timings.seconds,
                peak_rss_mb(),
            )
            if changes_catalog_or_quarantine(merged.staged.outcomes):
                with timings.timed("file_report"):
                    file_report(s3, bucket, layout, connection, report)
    return report, [o.event for o in merged.staged.outcomes if o.status == FAILED]


def _stage_and_swap(
    connection: psycopg2.extensions.connection,
    plan: Plan,
    s3: "S3Client",
    layout: S3Layout,
    load_id: str,
    settings: Settings,
    timings: Timings,
) -> _Merged:
    """Under the load lock, in one transaction: the new catalog staged, then swapped in."""
    with connection, connection.cursor() as cursor:
        ledger.ensure_schema(cursor)
        previous = catalog_store.live_version(cursor)
        with timings.timed("stage"):
            staged = stage(cursor, plan, s3, layout, timings)
        if not staged.loaded:
            return _Merged(staged, previous, None)
        with timings.timed("swap"):
            version = swap_in(cursor, staged, previous, load_id, settings)
    return _Merged(staged, previous, version)
