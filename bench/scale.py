"""How the data path grows with the data: ETL and training, end to end, at 1x to 30x, on both
training engines.

For each run `k` or `k:engine`: k * base ratings in k * files-per-base files, a fresh local stack
(`python -m local.stack --no-upload`: an empty database, a new moto S3, every function with its
role), the titles then the ratings uploaded to `raw/` as the deployer uploads them, and two
clocks from the first upload: ETL time, until every ratings file is loaded per the load reports
(`reports/loads/<load id>.json`), then training time, until `models/recommender/latest.json`
names the final catalog version. Peak memory is what the functions report (the load reports,
the training's log line, and for a Spark job the job runner's line of its spark-submit). A bare
factor trains on the engine the template's SparkTrainingThreshold picks; `:lambda` and `:spark`
force one (the stack's `--parameter-overrides`), so one run measures both engines on the same
data. Writes the JSON (`--out`) with its projections: a power law fitted to each engine's
measured factors, projected to 100x and 1,000x the base, to where it meets Lambda's limits, and
for Spark to what EMR Serverless would bill.
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
ENGINE_THRESHOLDS = {"lambda": str(10**15), "spark": "0"}
"""The SparkTrainingThreshold that makes every upload train on that engine."""
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
EMR_SERVERLESS_PRICES = {"vcpu_hour": 0.042094, "gb_hour": 0.004628}
"""EMR Serverless's us-east-1 arm64 list prices as assumed here (per vCPU-hour, per GB-hour;
the 20 GB of disk a worker gets free is enough for the job)."""
SPARK_WORKER_GB_PER_VCPU = 4.0
"""The template's Spark workers: 4 vCPUs and 14 GB of memory plus Spark's overhead, 16 GB."""
SPARK_DRIVER_MEMORY = "14g"
"""The local Spark driver's heap (SPARK_LOCAL_DRIVER_MEMORY) in these runs: the template's
Spark workers' 14 GB, so 30x's cached matrix rows stay in memory rather than spilling to disk."""
DEFAULT_RUNS = "1,3,10:lambda,10:spark,30"
"""The Lambda engine's growth from 1x to 10x, both engines on the same 10x, and the Spark path
end to end at 30x, where the Lambda's memory runs out."""
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
    final = published_version()  # the loads' reports read so far may not name the last one
    until(lambda: training_recorded(stack.log_text(), final), "the training's log lines")
    return summarize(
        data=data,
        reports=sorted(reports.values(), key=lambda r: str(r.get("started_at"))),
        log=stack.log_text(),
        seconds={"upload_s": upload_s, "etl_s": etl_s, "train_s": end_s - etl_s},
        final_version=final,
    )


INVOKING = re.compile(r"(\S+): invoking (\S+) with \d+ messages")
HANDLED = re.compile(r"(\S+): handled \d+, failed \d+ in ([0-9.]+) s")


def training_recorded(log: str, version: int) -> bool:
    """The training's log lines reach the log just after `latest.json` does: the function's
    "model published" and, when the version was trained on Spark, the job runner's line of
    the run, written once EventBridge's event has been delivered."""
    if not any(t.get("version") == version for t in logged(log, "model published")):
        return False
    started = any(j.get("version") == version for j in logged(log, "training job started"))
    return not started or bool(spark_jobs(log, version))


def spark_jobs(log: str, version: int) -> list[dict[str, Any]]:
    return [j for j in logged(log, "spark job run") if j.get("name", "").endswith(f"-v{version}")]


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
    jobs = [
        j for j in logged(log, "spark job run") if j.get("name", "").endswith(f"-v{final_version}")
    ]
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
        "engine": training.get("engine"),
        "spark_job_s": jobs[-1].get("seconds") if jobs else None,
        "spark_peak_rss_mb": jobs[-1].get("peak_rss_mb") if jobs else None,
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


def series(
    out: Mapping[str, Any], key: str, engine: str | None = None
) -> list[tuple[float, float]]:
    """(ratings, figure) of every run, or of the runs that trained on `engine`."""
    found = (
        f
        for f in out["factors"]
        if isinstance(f.get(key), int | float) and engine in (None, f["engine"])
    )
    return [(float(f["ratings"]), float(f[key])) for f in found]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _projection(
    fitted: tuple[float, float] | None, base: float, limit: float | None
) -> dict[str, Any]:
    return {
        "exponent": round(fitted[1], 3) if fitted else None,
        "projected": {f"{k}x": _rounded(project(fitted, k * base)) for k in PROJECTED},
        "limit": limit,
        "limit_at_ratings": _rounded(crossing(fitted, limit)) if limit else None,
    }


def spark_cost(seconds: float, cores: int) -> dict[str, float]:
    """What EMR Serverless would bill for a job doing this machine's `cores` x `seconds` of
    work on workers of `SPARK_WORKER_GB_PER_VCPU`, at `EMR_SERVERLESS_PRICES`."""
    vcpu_hours = seconds * cores / 3600
    gb_hours = vcpu_hours * SPARK_WORKER_GB_PER_VCPU
    prices = EMR_SERVERLESS_PRICES
    dollars = vcpu_hours * prices["vcpu_hour"] + gb_hours * prices["gb_hour"]
    return {
        "seconds": round(seconds, 1),
        "vcpu_hours": round(vcpu_hours, 4),
        "gb_hours": round(gb_hours, 4),
        "usd": round(dollars, 4),
    }


def projections(out: Mapping[str, Any]) -> dict[str, Any]:
    """Each figure of `LIMITS` fitted against ratings (training figures over the Lambda
    engine's runs), projected, and the size where it meets its limit; the Spark engine's time
    and memory likewise, its cost per training, and where the engines cross: where the
    training function's own memory runs out, and where Spark's time falls below Lambda's."""
    base, found = out["base"], dict[str, Any]()
    for name, limit in LIMITS.items():
        engine = "lambda" if name.startswith("train_") else None
        found[name] = _projection(fit(series(out, name, engine)), base, limit)
    found["train_arrays_mb"] = {
        f"{k}x": round(k * base * TRAIN_BYTES_PER_RATING / MB, 1) for k in PROJECTED
    }
    found["train_arrays_limit_at_ratings"] = int(LAMBDA_MEMORY_MB * MB / TRAIN_BYTES_PER_RATING)
    spark_time = fit(series(out, "spark_job_s", "spark"))
    found["spark_train_s"] = _projection(fit(series(out, "train_s", "spark")), base, None)
    found["spark_job_s"] = _projection(spark_time, base, None)
    found["spark_peak_rss_mb"] = _projection(
        fit(series(out, "spark_peak_rss_mb", "spark")), base, None
    )
    job_seconds = {f"{k}x": project(spark_time, k * base) for k in (1, 10, *PROJECTED)}
    found["spark_prices"] = {**EMR_SERVERLESS_PRICES, "gb_per_vcpu": SPARK_WORKER_GB_PER_VCPU}
    found["spark_cost"] = {
        size: spark_cost(seconds, out["cores"]) if seconds else None
        for size, seconds in job_seconds.items()
    }
    lambda_time = fit(series(out, "train_s", "lambda"))
    function_mb = out["template"][TRAIN_FUNCTION]["memory_mb"]
    found["crossover"] = {
        "function_memory_mb": function_mb,
        "lambda_memory_at_ratings": _rounded(
            crossing(fit(series(out, "train_peak_rss_mb", "lambda")), function_mb)
        ),
        "spark_faster_at_ratings": _rounded(
            meeting(lambda_time, fit(series(out, "train_s", "spark")))
        ),
    }
    return found


def meeting(first: tuple[float, float] | None, second: tuple[float, float] | None) -> float | None:
    """Where two fitted curves meet, past which `second` is the lower (None if never)."""
    if not first or not second or first[1] <= second[1]:
        return None
    return math.exp((second[0] - first[0]) / (first[1] - second[1]))


def run_factor(
    factor: int, engine: str | None, base: int, files_per_base: int, env: Mapping[str, str]
) -> Any:
    data = data_files(factor * base, factor * files_per_base)
    forced = ENGINE_THRESHOLDS[engine] if engine else None
    overrides = ["--parameter-overrides", f"SparkTrainingThreshold={forced}"] if forced else []
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch,
        running_stack(
            ["--no-upload", *overrides], env, Path(scratch), STACK_START_TIMEOUT_S
        ) as stack,
    ):
        measured = measure(data, stack)
    if engine and measured["engine"] != engine:
        raise RuntimeError(f"{factor}x:{engine} trained on {measured['engine']}")
    return measured | {"factor": factor, "generated_ratings": factor * base, "forced": engine}


def runs(spec: str) -> list[tuple[int, str | None]]:
    """`1,3,10:lambda,10:spark,30` as (factor, forced engine or None), in that order."""
    found = []
    for item in spec.split(","):
        factor, _, engine = item.strip().partition(":")
        if engine and engine not in ENGINE_THRESHOLDS:
            raise ValueError(f"{item!r}: the engine is one of {sorted(ENGINE_THRESHOLDS)}")
        found.append((int(factor), engine or None))
    return found


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
    args = arguments(
        "scale", __doc__, argv, base=11_000_000, factors=DEFAULT_RUNS, files_per_base=8
    )
    env = database_env() | {"SPARK_LOCAL_DRIVER_MEMORY": SPARK_DRIVER_MEMORY}
    out: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "base": args.base,
        "files_per_base": args.files_per_base,
        "spark_driver_memory": SPARK_DRIVER_MEMORY,
        "template": template_settings(),
        "factors": [
            run_factor(k, engine, args.base, args.files_per_base, env)
            for k, engine in runs(args.factors)
        ],
    }
    out["projections"] = projections(out)
    return write_out(args.out, out)


if __name__ == "__main__":
    sys.exit(main())
