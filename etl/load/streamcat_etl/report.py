"""The data-quality report of one load, assembled once at its end: per file what was read,
kept, fixed (by rule) and rejected, ratings dropped as unmatched, step timings and the catalog
version it produced; filed in S3 and in the ledger's `etl.loads`."""

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg2.extensions
from psycopg2.extras import Json

from streamcat_etl.plan import FAILED, LOADED, REJECTED, SKIPPED, Bucket, Outcome


@dataclass(frozen=True)
class LoadReport:
    load_id: str
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    previous_version: int | None = None
    catalog_version: int | None = None
    """The version now live: the previous one when nothing was swapped in."""
    swapped: bool = False
    titles_in_catalog: int | None = None
    interactions_key: str | None = None
    files: list[Outcome] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    """The invocation's memory high-water mark at the load's end (Lambda's Max Memory Used)."""

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        for file in document["files"]:
            file["key"] = file.pop("event")["key"]
        document["timings_s"] = {k: round(v, 4) for k, v in self.timings_s.items()}
        statuses = [f.status for f in self.files]
        document["totals"] = {s: statuses.count(s) for s in (LOADED, REJECTED, SKIPPED, FAILED)} | {
            "rows_read": sum(f.rows_read for f in self.files),
            "rows_kept": sum(f.rows_kept for f in self.files),
            "ratings_dropped_unmatched": sum(f.ratings_dropped_unmatched for f in self.files),
        }
        return document


def file_report(
    bucket: Bucket, connection: psycopg2.extensions.connection, report: LoadReport
) -> None:
    """In S3 for people, in `etl.loads` for the ledger: its objects count as loaded from here."""
    bucket.s3.put_object(
        Bucket=bucket.name,
        Key=bucket.layout.load_report(report.load_id),
        Body=json.dumps(report.to_dict(), indent=2, sort_keys=True).encode(),
        ContentType="application/json",
    )
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO etl.loads (load_id, started_at, catalog_version, report)"
            " VALUES (%s, %s, %s, %s)",
            (report.load_id, report.started_at, report.catalog_version, Json(report.to_dict())),
        )
