"""How the data path grows with the data: ETL and training, end to end, at 1x, 3x and 10x.

For each factor k: k * base ratings in k * files-per-base files, a fresh local stack
(`python -m local.stack --no-upload`: an empty database, a new moto S3, every function with its
role), the titles then the ratings uploaded to `raw/` as the deployer uploads them, and two
clocks from the first upload: ETL time, until every ratings file is loaded per the load reports
(`reports/loads/<load id>.json`), then training time, until `models/recommender/latest.json`
names the final catalog version. Peak memory is what the functions report (the load reports,
the training's log line). Writes the JSON (`--out`) with its projections: a power law fitted to
the measured factors, projected to 100x and 1,000x the base and to where it meets Lambda's
limits.
"""

import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.budgets import LAMBDA_MEMORY_MB, LAMBDA_TIMEOUT_S, MB
from bench.harness import (
    REPO,
    arguments,
    data_files,
    database_env,
    summed,
    write_out,
)
from local.stack import DataFiles
from local.stack_process import StackProcess, running_stack

ETL_FUNCTION, TRAIN_FUNCTION = "EtlFunction", "TrainFunction"
STACK_START_TIMEOUT_S = 300.0
PHASE_TIMEOUT_S = 4 * 3600.0
POLL_S = 0.5
UNDER_LOCK_STEPS = ("stage", "swap", "publish", "file_report")
"""A load's top-level steps after it took the load lock (`lock` is the wait for it); the other
keys of `timings_s` are parts of these."""
ROW_COUNTS = ("rows_read", "rows_kept", "ratings_dropped_unmatched")
FILE_FIELDS = ("key", "kind", "status", *ROW_COUNTS, "seconds")
"""What the output keeps of each file of a load report."""
PROJECTED = (100, 1000)
TRAIN_BYTES_PER_RATING = 8 + 8 + 4
"""Training holds user and item as int64 and the rating as float32 for every rating."""
LIMITS: dict[str, float | None] = {
    "etl_s": None,
    "max_invocation_s": LAMBDA_TIMEOUT_S,
    "max_under_lock_s": LAMBDA_TIMEOUT_S,
    "etl_peak_rss_mb": LAMBDA_MEMORY_MB,
    "train_s": LAMBDA_TIMEOUT_S,
    "train_peak_rss_mb": LAMBDA_MEMORY_MB,
}
"""Each projected figure of a factor, with the Lambda limit it must stay under."""


def measure(data: DataFiles, stack: StackProcess) -> dict[str, Any]:
    """Upload as the deployer and time the ETL, then the training, from the first upload."""
    from local.cloud import LocalCloud
    from local.iam import client
    from local.stack import upload
    from streamcat.s3_layout import S3Layout
    from streamcat.settings import get_settings

    settings, cloud = get_settings(), LocalCloud.load(stack.state)
    s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
    bucket = cloud.outputs["DataBucketName"]
    layout = S3Layout.of(settings)
    uploads = data.uploads(layout)
    ratings_keys = {key for _, key in uploads if key.startswith(layout.ratings_upload(""))}
    reports: dict[str, dict[str, Any]] = {}

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def until(done: Callable[[], bool], what: str) -> float:
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while not done():
            stack.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not done after {PHASE_TIMEOUT_S:.0f} s")
            time.sleep(POLL_S)
        return time.perf_counter() - started

    def files(status: str) -> set[str]:
        found = (f for report in reports.values() for f in report.get("files", []))
        return {f["key"] for f in found if (f.get("status"), f.get("kind")) == (status, "ratings")}

    def all_loaded() -> bool:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{settings.reports_prefix}loads/"
        )
        for key in (item["Key"] for page in pages for item in page.get("Contents", [])):
            reports[key] = reports.get(key) or read(key)
        if rejected := files("rejected") & ratings_keys:
            raise RuntimeError(f"ratings files rejected: {sorted(rejected)}")
        return ratings_keys <= files("loaded")

    def published_version() -> int:
        try:
            version = read(layout.latest_model).get("version")
        except s3.exceptions.NoSuchKey:
            return 0
        return version if isinstance(version, int) else 0

    started = time.perf_counter()
    upload(s3, bucket, uploads)
    upload_s = time.perf_counter() - started
    etl_s = until(all_loaded, "the ETL")
    final = max(int(r.get("catalog_version") or 0) for r in reports.values())
    end_s = until(lambda: published_version() >= final, "the training")
    return summarize(
        data=data,
        reports=sorted(reports.values(), key=lambda r: str(r.get("started_at"))),
        log=stack.log_text(),
        seconds={"upload_s": upload_s, "etl_s": etl_s, "train_s": end_s - etl_s},
        final_version=final,
    )


INVOKING = re.compile(r"(\S+): invoking (\S+) with \d+ messages")
HANDLED = re.compile(r"(\S+): handled \d+, failed \d+ in ([0-9.]+) s")


def invocations(log: str, function: str) -> tuple[int, list[float]]:
    """The trigger's invocations of the function, and the seconds of each that returned (its
    queue's `handled ... in <s> s` lines)."""
    queues = [found.group(1) for found in INVOKING.finditer(log) if found.group(2) == function]
    seconds = [float(found.group(2)) for found in HANDLED.finditer(log) if found.group(1) in queues]
    return len(queues), seconds


def logged(log: str, message: str) -> list[dict[str, Any]]:
    """The functions' structured log lines (Powertools JSON) with this message."""
    found = []
    for line in log.splitlines():
        if message in line and (start := line.find("{")) >= 0:
            with suppress(ValueError):
                if (document := json.loads(line[start:])).get("message") == message:
                    found.append(document)
    return found


def _peak(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, int | float) else None


def _source(peak: float | None, where: str) -> str:
    return "not measured" if peak is None else f"reported by the function ({where}: peak_rss_mb)"


def summarize(
    *,
    data: DataFiles,
    reports: list[dict[str, Any]],
    log: str,
    seconds: Mapping[str, float],
    final_version: int,
) -> dict[str, Any]:
    loads: list[dict[str, Any]] = [
        {
            "load_id": report.get("load_id"),
            "catalog_version": report.get("catalog_version"),
            "files": [{k: f.get(k) for k in FILE_FIELDS} for f in report.get("files", [])],
            "timings_s": (timings := report.get("timings_s") or {}),
            "under_lock_s": round(sum(float(timings.get(s, 0.0)) for s in UNDER_LOCK_STEPS), 3),
            "peak_rss_mb": _peak(report.get("peak_rss_mb")),
        }
        for report in reports
    ]
    # Row counts over the ratings files loaded (a file loaded twice, by a later upload, once).
    latest = {
        f["key"]: f
        for load in loads
        for f in load["files"]
        if f.get("kind") == "ratings" and f.get("status") == "loaded"
    }
    read, kept, dropped = (sum(int(f.get(n) or 0) for f in latest.values()) for n in ROW_COUNTS)
    trainings = [t for t in logged(log, "model published") if t.get("version") == final_version]
    training = {
        k: v
        for k, v in (trainings[-1] if trainings else {}).items()
        if k not in ("level", "location", "service")
    }
    etl_peak = max(
        (load["peak_rss_mb"] for load in loads if load["peak_rss_mb"] is not None), default=None
    )
    train_peak = _peak(training.get("peak_rss_mb"))
    notes = []
    if read and dropped > 0.01 * read:
        trained = training.get("ratings")
        notes.append(
            f"{dropped:,} of {read:,} ratings ({dropped / read:.0%}) were counted unmatched by"
            " the loads that read them (their titles were not yet in that load's catalog: see"
            " the reports); the Parquet and the training parts keep every rating, and the final"
            + (f" training used {trained:,}" if trained else " training matches them again")
        )
    (etl_calls, etl_invocation_s), (train_calls, train_invocation_s) = (
        invocations(log, name) for name in (ETL_FUNCTION, TRAIN_FUNCTION)
    )
    return {
        "ratings": read,
        "ratings_kept": kept,
        "ratings_dropped_unmatched": dropped,
        "files": len(data.ratings),
        "csv_bytes": sum(path.stat().st_size for path in data.ratings),
        "titles_bytes": sum(path.stat().st_size for path in data.titles),
        **{name: round(value, 3) for name, value in seconds.items()},
        "catalog_version": final_version,
        "invocations": {"etl": etl_calls, "train": train_calls, "loads": len(loads)},
        "invocation_s": {"etl": etl_invocation_s, "train": train_invocation_s},
        "max_invocation_s": max(etl_invocation_s, default=0.0),
        "max_under_lock_s": max((load["under_lock_s"] for load in loads), default=0.0),
        "etl_peak_rss_mb": etl_peak,
        "etl_peak_source": _source(etl_peak, "load reports"),
        "train_peak_rss_mb": train_peak,
        "train_peak_source": _source(train_peak, "training log"),
        "steps_s": summed((r.get("timings_s") or {} for r in reports), 3),
        "file_steps_s": summed(
            (f.get("seconds") or {} for r in reports for f in r.get("files", [])), 3
        ),
        "loads": loads,
        "training": training,
        "notes": notes,
    }


def fit(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(a, b) of y = exp(a) * x^b fitted to the positive points by least squares on logs; b is
    1 (linear) with one point. None without a positive point."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if not usable:
        return None
    n = len(usable)
    mx, my = sum(x for x, _ in usable) / n, sum(y for _, y in usable) / n
    sxx = sum((x - mx) ** 2 for x, _ in usable)
    if sxx == 0:
        return my - mx, 1.0
    b = sum((x - mx) * (y - my) for x, y in usable) / sxx
    return my - b * mx, b


def project(fitted: tuple[float, float] | None, x: float) -> float | None:
    return math.exp(fitted[0]) * x ** fitted[1] if fitted else None


def crossing(fitted: tuple[float, float] | None, limit: float) -> float | None:
    """Where the fitted curve reaches `limit` (None when it does not grow)."""
    if not fitted or fitted[1] <= 0:
        return None
    return math.exp((math.log(limit) - fitted[0]) / fitted[1])


def series(out: Mapping[str, Any], key: str) -> list[tuple[float, float]]:
    found = (f for f in out["factors"] if isinstance(f.get(key), int | float))
    return [(float(f["ratings"]), float(f[key])) for f in found]


def projections(out: Mapping[str, Any]) -> dict[str, Any]:
    """Each figure of `LIMITS` fitted against ratings, projected, and the size where it meets
    its limit; the training arrays' size, which is exactly linear."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    found: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        fitted = fit(series(out, name))
        found[name] = {
            "exponent": round(fitted[1], 3) if fitted else None,
            "projected": {f"{k}x": rounded(project(fitted, k * out["base"])) for k in PROJECTED},
            "limit": limit,
            "limit_at_ratings": rounded(crossing(fitted, limit)) if limit else None,
        }
    found["train_arrays_mb"] = {
        f"{k}x": round(k * out["base"] * TRAIN_BYTES_PER_RATING / MB, 1) for k in PROJECTED
    }
    found["train_arrays_limit_at_ratings"] = int(LAMBDA_MEMORY_MB * MB / TRAIN_BYTES_PER_RATING)
    return found


def run_factor(factor: int, base: int, files_per_base: int, env: Mapping[str, str]) -> Any:
    data = data_files(factor * base, factor * files_per_base)
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch,
        running_stack(["--no-upload"], env, Path(scratch), STACK_START_TIMEOUT_S) as stack,
    ):
        return measure(data, stack) | {"factor": factor, "generated_ratings": factor * base}


def template_settings() -> dict[str, Any]:
    """The memory, timeout and /tmp of the two functions and their mappings' settings."""
    from local.functions import function_spec
    from local.template import LocalStack, load_template
    from local.trigger import event_source_mappings

    template, found = load_template(), {}
    for name in (ETL_FUNCTION, TRAIN_FUNCTION):
        spec = function_spec(template, name, REPO)
        storage = template["Resources"][name]["Properties"].get("EphemeralStorage") or {}
        tmp_mb = storage.get("Size", 512)
        found[name] = {"memory_mb": spec.memory_mb, "timeout_s": spec.timeout_s, "tmp_mb": tmp_mb}
    for mapping in event_source_mappings(LocalStack(template=template, region="us-east-1")):
        if (settings := mapping.settings) and mapping.function in found:
            found[mapping.function] |= {
                "batch_size": settings.batch_size,
                "batching_window_s": int(settings.batching_window_s),
                "maximum_concurrency": settings.maximum_concurrency,
            }
    return found


def main(argv: list[str] | None = None) -> int:
    args = arguments("scale", __doc__, argv, base=11_000_000, factors="1,3,10", files_per_base=8)
    env = database_env()
    out: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "base": args.base,
        "files_per_base": args.files_per_base,
        "template": template_settings(),
        "factors": [
            run_factor(k, args.base, args.files_per_base, env)
            for k in sorted({int(k) for k in args.factors.split(",")})
        ],
    }
    out["projections"] = projections(out)
    return write_out(args.out, out)


if __name__ == "__main__":
    sys.exit(main())
