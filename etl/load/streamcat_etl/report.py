"""The data-quality report of one load: per file what was read, kept, fixed (by rule) and
rejected, ratings dropped as unmatched, step timings and the catalog version it produced."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

LOADED, REJECTED, SKIPPED, FAILED = "loaded", "rejected", "skipped", "failed"
"""FAILED: the object could not be read (denied, its version gone, the read broken off); its SQS
messages are reported failed and retried, the rest of the batch loads without it."""


@dataclass
class FileReport:
    key: str
    kind: str
    """'titles', 'ratings' or 'unrecognised'."""
    status: str
    reason: str | None = None
    """Why it was skipped or failed, or the rejection's message."""
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    fixes: dict[str, int] = field(default_factory=dict)
    """Rows changed per cleaning rule (titles)."""
    problems: list[dict[str, Any]] = field(default_factory=list)
    ratings_dropped_unmatched: int = 0
    movies_rated: int = 0
    quarantine_key: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """A ratings file's own work (download, read, reduce, parquet), done beside the steps."""


@dataclass
class LoadReport:
    load_id: str
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    previous_version: int | None = None
    catalog_version: int | None = None
    """The version now live: the previous one when nothing was swapped in."""
    swapped: bool = False
    titles_in_catalog: int | None = None
    interactions_key: str | None = None
    files: list[FileReport] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    """The invocation's memory high-water mark at the load's end (Lambda's Max Memory Used)."""

    def add(self, file: FileReport) -> FileReport:
        self.files.append(file)
        return file

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def changed_anything(self) -> bool:
        """A file loaded or quarantined; skipped and failed ones change nothing."""
        return any(f.status in (LOADED, REJECTED) for f in self.files)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.timings_s[step] = self.timings_s.get(step, 0.0) + elapsed

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["timings_s"] = {k: round(v, 4) for k, v in self.timings_s.items()}
        document["totals"] = {
            status: self.count(status) for status in (LOADED, REJECTED, SKIPPED, FAILED)
        } | {
            "rows_read": sum(f.rows_read for f in self.files),
            "rows_kept": sum(f.rows_kept for f in self.files),
            "ratings_dropped_unmatched": sum(f.ratings_dropped_unmatched for f in self.files),
        }
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)
