"""Idempotency: which version of each raw object the live catalog holds, so a redelivered
notification or a re-uploaded file changes nothing.

A notification is stale when its object (same ETag, and version when known) is already
loaded, or when its sequencer is older than the loaded one for that key: S3 may deliver twice,
late or out of order. An object counts as loaded only once its load has filed its report in
`etl.loads`, i.e. also published its artifacts: a load whose catalog committed but whose
publishing failed is redone by the redelivery. Callers hold the load lock, so reading then
writing here cannot race."""

from importlib import resources

from streamcat.db import Cursor
from streamcat.s3_events import ObjectEvent, is_older

SCHEMA = "etl"
"""Where sql/etl.sql puts the ledger and the load reports."""


def ensure_schema(cursor: Cursor) -> None:
    cursor.execute(resources.files("streamcat_etl").joinpath("sql/etl.sql").read_text())


def stale_reason(cursor: Cursor, event: ObjectEvent) -> str | None:
    """Why this notification needs no load, or None when it brings something new (as it
    always does before the first load has created the ledger)."""
    cursor.execute("SELECT to_regclass('etl.loaded_objects') IS NOT NULL")
    row = cursor.fetchone()
    if not (row and row[0]):
        return None
    cursor.execute(
        "SELECT o.etag, o.sequencer FROM etl.loaded_objects AS o"
        " JOIN etl.loads AS l ON l.load_id = o.load_id"
        " WHERE o.bucket = %s AND o.key = %s",
        (event.bucket, event.key),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    etag, sequencer = row
    if etag == event.etag:
        return "already loaded (same ETag)"
    if is_older(event.sequencer, sequencer):
        return f"older than the loaded object (sequencer {event.sequencer} < {sequencer})"
    return None


def record_loaded(cursor: Cursor, event: ObjectEvent, etag: str, load_id: str) -> None:
    """`etag` is the one of the bytes actually loaded (the event's may be empty)."""
    cursor.execute(
        "INSERT INTO etl.loaded_objects (bucket, key, etag, version_id, sequencer, load_id)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (bucket, key) DO UPDATE SET etag = EXCLUDED.etag,"
        " version_id = EXCLUDED.version_id, sequencer = EXCLUDED.sequencer,"
        " load_id = EXCLUDED.load_id, loaded_at = now()",
        (event.bucket, event.key, etag, event.version_id, event.sequencer, load_id),
    )
