"""Step 2 of a load, stage: the new catalog, complete, in the staging schema. The list tables
go first, with their indexes, so the catalog's ids are known and PostgreSQL busy while the
ratings workers still read; each ratings file's sums follow as its worker finishes, then the
titles with the scores those sums give.
"""

import pyarrow as pa

from streamcat.platforms import Platform
from streamcat_etl import catalog_store
from streamcat_etl.load_state import Cursor, Load, RatingsJob, Unloadable
from streamcat_etl.report import SKIPPED


def stage(load: Load, cursor: Cursor) -> bool:
    """Whether there is a new catalog to swap in: False when nothing staged (every ratings
    file of a ratings-only batch was rejected, gone or unreadable)."""
    kept = [p.value for p in Platform if p not in load.titles]
    new_titles = [t for job in load.titles.values() for t in job.result.titles]
    with load.report.timed("stage_lists"):
        catalog_store.create_staging(cursor)
        catalog_store.copy_title_links(cursor, new_titles)
        catalog_store.keep_live_links(cursor, kept)
        ids = [t.id for t in new_titles] + catalog_store.live_ids(cursor, kept)
    load.item_ids.set_result(pa.array(ids, pa.string()))
    with load.report.timed("list_indexes"):
        catalog_store.finish_lists(cursor)
    with load.report.timed("stage_ratings"):
        for number in sorted(load.ratings):
            _apply(load, cursor, load.ratings[number])
    if not load.titles and not load.staged:
        catalog_store.drop_staging(cursor)
        return False
    with load.report.timed("stage_titles"):
        replaced = [load.ratings[n].file.source for n in load.staged]
        catalog_store.keep_live_rating_stats(cursor, replaced)
        scores = catalog_store.scores(cursor)
        catalog_store.copy_titles(cursor, new_titles, scores)
        catalog_store.keep_live_titles(cursor, kept)
    load.report.titles_in_catalog = len(ids)
    return True


def _apply(load: Load, cursor: Cursor, job: RatingsJob) -> None:
    """A ratings file's outcome: its sums into the staged catalog, or why it did not load."""
    outcome, seconds = job.staged.result()
    job.report.seconds = seconds
    if job.report.status == SKIPPED:  # superseded by a later upload of the same file
        return
    if isinstance(outcome, Unloadable):
        _not_loaded(load, job, outcome)
        return
    catalog_store.copy_rating_stats(cursor, job.file.source, outcome.stats)
    job.report.rows_read = outcome.rows_read
    job.report.rows_kept = outcome.rows_kept
    job.report.ratings_dropped_unmatched = outcome.dropped
    job.report.movies_rated = outcome.stats.num_rows
    load.staged[job.file.number] = outcome


def _not_loaded(load: Load, job: RatingsJob, outcome: Unloadable) -> None:
    if outcome.invalid is not None:
        load.reject(job.event, outcome.etag, outcome.invalid, job.report)
    elif outcome.error is not None:
        load.fail(job.event, job.report, outcome.error)
    else:
        load.skip(job.event, job.report, outcome.reason)
