"""Step 2 of a load, stage: the complete new catalog in the staging schema, under the load lock.
The titles and their lists come first, unscored, with every index but the scores'; each ratings
file's sums (from its worker) are copied in as they come; then the sums of every ratings file
(this load's, and the live catalog's for the others) score the titles in one update, while the
workers still upload the last files' Parquet, which the load waits for last. Returns the staged
catalog, with the final outcome of every object."""

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from streamcat.catalog import STAGING
from streamcat.db import Cursor
from streamcat.platforms import Platform
from streamcat.s3_events import ObjectEvent
from streamcat_etl import catalog_store, ledger, quarantine
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


@dataclass(frozen=True)
class StagedCatalog:
    outcomes: list[Outcome]
    """One per announced object, in order."""
    loaded: list[tuple[ObjectEvent, str]] = field(default_factory=list)
    """The objects it holds, with the ETag of the bytes loaded; none when nothing was left to
    load, and then no staging schema is left behind."""
    ratings: dict[int, StagedRatings] = field(default_factory=dict)
    """This load's ratings files, by number, whose outputs wait to be published."""
    sources: dict[str, int] = field(default_factory=dict)
    """Every ratings file it holds, this load's and earlier ones', with its number of ratings."""
    titles: int | None = None


def stage(cursor: Cursor, plan: Plan, bucket: Bucket, timings: Timings) -> StagedCatalog:
    """`bucket`: where a ratings file that fails validation is quarantined."""
    plan = Plan([_still_new(cursor, planned) for planned in plan.objects])
    titles = {o.result.platform: o for o in plan.objects if isinstance(o, TitlesJob)}
    ratings = sorted(
        ((o.file.number, i, o) for i, o in enumerate(plan.objects) if isinstance(o, RatingsJob)),
        key=lambda found: found[0],
    )
    if not titles and not ratings:
        return StagedCatalog(_settled(plan, {}))
    ids = _stage_titles(cursor, titles, timings)
    outcomes = {i: o.outcome for i, o in enumerate(plan.objects) if isinstance(o, TitlesJob)}
    staged: dict[int, tuple[int, RatingsJob, StagedRatings]] = {}
    with timings.timed("stage_ratings"):
        for number, index, job in ratings:
            result = job.summed.result()
            if isinstance(result, Unloadable):
                outcomes[index] = _not_loaded(bucket, job, result)
                continue
            staged[number] = (index, job, result)
            catalog_store.copy_rating_stats(cursor, job.file.source, result.stats)
    if not titles and not staged:
        catalog_store.drop_staging(cursor)
        return StagedCatalog(_settled(plan, outcomes))
    with timings.timed("scores"):
        replaced = [job.file.source for _, job, _ in staged.values()]
        catalog_store.keep_live_rating_stats(cursor, replaced)
        catalog_store.score_titles(cursor)
    with timings.timed("await_uploads"):
        plan.await_workers()
    for index, job, result in staged.values():
        outcomes[index] = _loaded_ratings(job, result, ids)
    loaded = [(job.event, job.etag) for job in titles.values()]
    loaded += [(job.event, result.etag) for _, job, result in staged.values()]
    return StagedCatalog(
        _settled(plan, outcomes),
        loaded,
        {number: result for number, (_, _, result) in staged.items()},
        catalog_store.rating_counts(cursor, STAGING),
        len(ids),
    )


def _still_new(cursor: Cursor, planned: Planned) -> Planned:
    """Triage's ledger check ran before the lock: another invocation may have loaded the same
    object (or a newer one) since. Checked again here, under the lock."""
    reason = None if isinstance(planned, Outcome) else ledger.stale_reason(cursor, planned.event)
    if reason is None or isinstance(planned, Outcome):
        return planned
    return skipped(planned.event, "titles" if isinstance(planned, TitlesJob) else "ratings", reason)


def _stage_titles(cursor: Cursor, titles: dict[Platform, TitlesJob], timings: Timings) -> pa.Array:
    """The new titles, unscored, the live ones of the platforms this load does not replace,
    the list tables and their indexes; returns the staged catalog's ids."""
    kept = [p.value for p in Platform if p not in titles]
    new_titles = [t for job in titles.values() for t in job.result.titles]
    with timings.timed("stage_titles"):
        catalog_store.create_staging(cursor)
        catalog_store.copy_titles(cursor, new_titles)
        catalog_store.keep_live_titles(cursor, kept)
        catalog_store.derive_title_links(cursor)
        ids = [t.id for t in new_titles] + catalog_store.live_ids(cursor, kept)
    with timings.timed("indexes"):
        catalog_store.index_staging(cursor)
    return pa.array(ids, pa.string())


def _loaded_ratings(job: RatingsJob, staged: StagedRatings, ids: pa.Array) -> Outcome:
    """Ratings of movieIds that match no title count toward no score: counted here."""
    unmatched = pc.invert(pc.is_in(staged.stats["movie_id"], value_set=ids))
    dropped = pc.sum(pc.filter(staged.stats["votes"], unmatched)).as_py() or 0
    return Outcome(
        job.event,
        "ratings",
        LOADED,
        rows_read=staged.rows_read,
        rows_kept=staged.rows_read,
        ratings_dropped_unmatched=dropped,
        movies_rated=staged.stats.num_rows,
        seconds=job.done.result(),
    )


def _not_loaded(bucket: Bucket, job: RatingsJob, why: Unloadable) -> Outcome:
    if why.invalid is not None:
        return quarantine.reject(bucket, job.event, why.etag, why.invalid, "ratings")
    if why.error is not None:
        return failed(job.event, "ratings", why.error)
    return skipped(job.event, "ratings", why.reason)


def _settled(plan: Plan, outcomes: dict[int, Outcome]) -> list[Outcome]:
    """Every object's outcome: a job's from `outcomes`, by its position."""
    return [o if isinstance(o, Outcome) else outcomes[i] for i, o in enumerate(plan.objects)]
