"""Step 3 of a load, swap: the staged catalog, indexed and scored, gets its version, replaces the
live one, and the ledger records every object it holds, all in the load's transaction: a reader
sees the old catalog or the new one, never a mix."""

from streamcat_etl import catalog_store, ledger
from streamcat_etl.load_state import Cursor, Load, RatingsJob, TitlesJob
from streamcat_etl.reader_role import grant_readers


def swap(load: Load, cursor: Cursor) -> None:
    version = (load.report.previous_version or 0) + 1
    with load.report.timed("rename"):
        catalog_store.stamp_version(cursor, version, load.report.load_id)
        catalog_store.swap(cursor)
        grant_readers(cursor, load.settings, catalog_store.LIVE)
        loaded: list[TitlesJob | RatingsJob] = [*load.titles.values()]
        loaded += [load.ratings[n] for n in load.staged]
        for job in loaded:
            etag = job.etag if isinstance(job, TitlesJob) else load.staged[job.file.number].etag
            ledger.record_loaded(cursor, job.event, etag, load.report.load_id)
    load.report.swapped = True
    load.report.catalog_version = version
