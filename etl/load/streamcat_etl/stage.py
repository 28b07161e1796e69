"""Step 2 of a load, stage: the complete new catalog in the staging schema, under the load lock.
The titles and their lists come first, unscored, with every index but the scores'; each
ratings file's sums (from a worker started at triage) are then waited for; then the sums of
every ratings file (this load's, and the live catalog's for the others) score the titles in one
update, while the workers still upload the last files' Parquet, which the load waits for last.
When the lock was free at the end of triage, the titles are staged while the workers still
read; otherwise the workers finish before the load waits for the lock, so that parallel
invocations read their files at the same time.
"""

import pyarrow as pa
import pyarrow.compute as pc

from streamcat.platforms import Platform
from streamcat_etl import catalog_store, ledger
from streamcat_etl.load_state import Cursor, Load, RatingsJob, TitlesJob, Unloadable
from streamcat_etl.report import LOADED, SKIPPED


def stage_ratings(load: Load, cursor: Cursor | None = None) -> None:
    """Wait for each ratings file's outcome: summed, or why it did not load. With a `cursor`
    (the staging schema exists), each file's sums are copied in as soon as they are known."""
    for number in sorted(load.ratings):
        job = load.ratings[number]
        outcome = job.summed.result()
        if job.report.status == SKIPPED:  # superseded, or loaded by another invocation
            continue
        if isinstance(outcome, Unloadable):
            _not_loaded(load, job, outcome)
            continue
        job.report.rows_read = job.report.rows_kept = outcome.rows_read
        job.report.movies_rated = outcome.stats.num_rows
        load.staged[number] = outcome
        if cursor is not None:
            _copy_sums(load, cursor, number)


def await_uploads(load: Load) -> None:
    """Wait for every worker to finish, its staged Parquet and training part uploaded: the
    catalog commits only with its files' outputs in place. A failed upload raises."""
    for job in load.ratings.values():
        job.report.seconds = job.done.result()


def stage_titles(load: Load, cursor: Cursor) -> pa.Array:
    """The staging schema with the new catalog's titles, unscored, the list tables derived from
    them, and their indexes; returns its ids. Objects another invocation loaded since triage are
    dropped from this load first."""
    _drop_loaded_meanwhile(load, cursor)
    kept = [p.value for p in Platform if p not in load.titles]
    new_titles = [t for job in load.titles.values() for t in job.result.titles]
    with load.report.timed("stage_titles"):
        catalog_store.create_staging(cursor)
        catalog_store.copy_titles(cursor, new_titles)
        catalog_store.keep_live_titles(cursor, kept)
        catalog_store.derive_title_links(cursor)
        ids = [t.id for t in new_titles] + catalog_store.live_ids(cursor, kept)
    with load.report.timed("indexes"):
        catalog_store.index_staging(cursor)
    return pa.array(ids, pa.string())


def stage_scores(load: Load, cursor: Cursor, ids: pa.Array) -> bool:
    """The sums and the titles' scores; False (and no staging schema) when nothing is left to
    load: every file rejected, gone, unreadable or loaded meanwhile."""
    if not load.titles and not load.staged:
        catalog_store.drop_staging(cursor)
        return False
    with load.report.timed("scores"):
        for number in sorted(set(load.staged) - load.sums_staged):
            _copy_sums(load, cursor, number)
        replaced = [load.ratings[n].file.source for n in load.staged]
        catalog_store.keep_live_rating_stats(cursor, replaced)
        catalog_store.score_titles(cursor)
    _count_unmatched(load, ids)
    load.report.titles_in_catalog = len(ids)
    return True


def _copy_sums(load: Load, cursor: Cursor, number: int) -> None:
    catalog_store.copy_rating_stats(
        cursor, load.ratings[number].file.source, load.staged[number].stats
    )
    load.sums_staged.add(number)


def _drop_loaded_meanwhile(load: Load, cursor: Cursor) -> None:
    """Triage's ledger check ran before the lock: another invocation may have loaded the same
    object (or a newer one) since. Checked again here, under the lock."""
    jobs: list[TitlesJob | RatingsJob] = [*load.titles.values()]
    jobs += [job for job in load.ratings.values() if job.report.status == LOADED]
    for job in jobs:
        reason = ledger.stale_reason(cursor, job.event)
        if reason is None:
            continue
        load.skip(job.event, job.report, reason)
        if isinstance(job, TitlesJob):
            del load.titles[job.result.platform]
        else:
            load.staged.pop(job.file.number, None)


def _count_unmatched(load: Load, ids: pa.Array) -> None:
    """SPEC 2: ratings of movieIds that match no title count toward no score; counted here."""
    for number, staged in load.staged.items():
        unmatched = pc.invert(pc.is_in(staged.stats["movie_id"], value_set=ids))
        votes = pc.sum(pc.filter(staged.stats["votes"], unmatched)).as_py() or 0
        load.ratings[number].report.ratings_dropped_unmatched = votes


def _not_loaded(load: Load, job: RatingsJob, outcome: Unloadable) -> None:
    if outcome.invalid is not None:
        load.reject(job.event, outcome.etag, outcome.invalid, job.report)
    elif outcome.error is not None:
        load.fail(job.event, job.report, outcome.error)
    else:
        load.skip(job.event, job.report, outcome.reason)
