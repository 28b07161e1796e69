"""Step 3 of a load, swap: the staged catalog gets its version and replaces the live one, and
the ledger records every object it holds, all in the load's transaction: a reader sees the old
catalog or the new one, never a mix. Returns the new version."""

from streamcat.catalog import LIVE
from streamcat.db import Cursor
from streamcat.settings import Settings
from streamcat_etl import catalog_store, ledger
from streamcat_etl.reader_role import grant_readers
from streamcat_etl.stage import StagedCatalog


def swap_in(
    cursor: Cursor, staged: StagedCatalog, live: int | None, load_id: str, settings: Settings
) -> int:
    """`live`: the live catalog's version (None before the first load)."""
    version = (live or 0) + 1
    catalog_store.stamp_version(cursor, version, load_id)
    catalog_store.make_staging_live(cursor)
    grant_readers(cursor, settings, LIVE)
    for event, etag in staged.loaded:
        ledger.record_loaded(cursor, event, etag, load_id)
    return version
