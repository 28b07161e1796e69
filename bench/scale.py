"""How the data path grows with the data: ETL and training, end to end, at 1x, 3x and 10x.

For each factor k: k * base ratings in k * files-per-base files, a fresh local stack
(`python -m local.stack --no-upload`: an empty database, a new moto S3, every function with its
role), the titles then the ratings uploaded to `raw/` as the deployer uploads them, and two
clocks from the first upload: ETL time, until every ratings file is loaded per the load reports
(`reports/loads/<load id>.json`), then training time, until `models/recommender/latest.json`
names the final catalog version. Peak memory is what the functions report (the load reports,
the training's log line). Writes the JSON (`--out`, with its projections, bench.growth) and a
chart beside it (`.png`).
"""

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.data import ratings_dir, ratings_files, titles_dir
from bench.files import REPO
from bench.growth import projections, series
from bench.harness import arguments, summed, write_out
from bench.local_stack import Stack, database_env, local_stack
from local.stack import DataFiles

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


def scale_data(n_ratings: int, n_files: int) -> DataFiles:
    """The catalog (shared by every factor: it does not grow) and the factor's ratings."""
    from streamcat.platforms import TITLES_FILES

    titles, ratings = titles_dir(), ratings_files(ratings_dir(n_ratings, n_files))
    return DataFiles([titles / name for name in TITLES_FILES.values()], ratings)


@dataclass
class Watch:
    """What the bench sees of the data path, polled."""

    s3: Any
    bucket: str
    reports_prefix: str
    latest_key: str
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)

    def poll_reports(self) -> None:
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.reports_prefix}loads/"):
            for item in page.get("Contents", []):
                if item["Key"] not in self.reports:
                    body = self.s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                    self.reports[item["Key"]] = json.loads(body)

    def files(self, status: str) -> set[str]:
        return {
            f["key"]
            for report in self.reports.values()
            for f in report.get("files", [])
            if f.get("status") == status and f.get("kind") == "ratings"
        }

    def published_version(self) -> int:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.latest_key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return 0
        version = json.loads(body).get("version")
        return version if isinstance(version, int) else 0


def measure(data: DataFiles, stack: Stack) -> dict[str, Any]:
    """Upload as the deployer and time the ETL, then the training, from the first upload."""
    from local.cloud import LocalCloud
    from local.iam import client
    from local.stack import upload
    from streamcat.s3_layout import S3Layout
    from streamcat.settings import get_settings

    settings = get_settings()
    cloud = LocalCloud.load(stack.state)
    s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
    bucket = cloud.outputs["DataBucketName"]
    watch = Watch(s3, bucket, settings.reports_prefix, S3Layout.of(settings).latest_model)
    uploads = data.uploads(settings.raw_prefix)
    ratings_keys = {key for _, key in uploads if key.startswith(f"{settings.raw_prefix}ratings/")}

    def until(done: Callable[[], bool], what: str) -> float:
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while not done():
            stack.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not done after {PHASE_TIMEOUT_S:.0f} s")
            time.sleep(POLL_S)
        return time.perf_counter() - started

    def all_loaded() -> bool:
        watch.poll_reports()
        if rejected := watch.files("rejected") & ratings_keys:
            raise RuntimeError(f"ratings files rejected: {sorted(rejected)}")
        return ratings_keys <= watch.files("loaded")

    started = time.perf_counter()
    upload(s3, bucket, uploads)
    upload_s = time.perf_counter() - started
    etl_s = until(all_loaded, "the ETL")
    final = max(int(r.get("catalog_version") or 0) for r in watch.reports.values())
    end_s = until(lambda: watch.published_version() >= final, "the training")
    return summarize(
        data=data,
        reports=sorted(watch.reports.values(), key=lambda r: str(r.get("started_at"))),
        log=stack.log_text(),
        seconds={"upload_s": upload_s, "etl_s": etl_s, "train_s": end_s - etl_s},
        final_version=final,
    )


INVOKING = re.compile(r"(\S+): invoking (\S+) with \d+ messages")
HANDLED = re.compile(r"(\S+): handled \d+, failed \d+ in ([0-9.]+) s")


def invocations(log: str, function: str) -> int:
    """The trigger's `<queue>: invoking <function> with <n> messages` lines."""
    return sum(1 for found in INVOKING.finditer(log) if found.group(2) == function)


def invocation_seconds(log: str, function: str) -> list[float]:
    """How long each of the function's invocations that returned took, per the trigger's
    `<queue>: handled <n>, failed <m> in <s> s` lines (the queue named by its invoking line)."""
    queues = {found.group(1) for found in INVOKING.finditer(log) if found.group(2) == function}
    return [float(found.group(2)) for found in HANDLED.finditer(log) if found.group(1) in queues]


def logged(log: str, message: str) -> list[dict[str, Any]]:
    """The functions' structured log lines (Powertools JSON) with this message."""
    found = []
    for line in log.splitlines():
        start = line.find("{")
        if start < 0 or message not in line:
            continue
        try:
            document = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(document, dict) and document.get("message") == message:
            found.append(document)
    return found


def _peak(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, int | float) else None


def _load(report: dict[str, Any]) -> dict[str, Any]:
    timings = report.get("timings_s") or {}
    return {
        "load_id": report.get("load_id"),
        "catalog_version": report.get("catalog_version"),
        "files": [{k: f.get(k) for k in FILE_FIELDS} for f in report.get("files", [])],
        "timings_s": timings,
        "under_lock_s": round(sum(float(timings.get(s, 0.0)) for s in UNDER_LOCK_STEPS), 3),
        "peak_rss_mb": _peak(report.get("peak_rss_mb")),
    }


def summarize(
    *,
    data: DataFiles,
    reports: list[dict[str, Any]],
    log: str,
    seconds: Mapping[str, float],
    final_version: int,
) -> dict[str, Any]:
    loads = [_load(report) for report in reports]
    peaks = [load["peak_rss_mb"] for load in loads if load["peak_rss_mb"] is not None]
    trainings = [t for t in logged(log, "model published") if t.get("version") == final_version]
    training = trainings[-1] if trainings else {}
    training = {k: v for k, v in training.items() if k not in ("level", "location", "service")}
    etl_peak, train_peak = max(peaks, default=None), _peak(training.get("peak_rss_mb"))
    totals = {name: _ratings_total(loads, name) for name in ROW_COUNTS}
    read, dropped = totals["rows_read"], totals["ratings_dropped_unmatched"]
    notes = []
    if read and dropped > 0.01 * read:
        trained = training.get("ratings")
        notes.append(
            f"{dropped:,} of {read:,} ratings ({dropped / read:.0%}) were counted unmatched by"
            " the loads that read them (their titles were not yet in that load's catalog: see"
            " the reports); the Parquet and the training parts keep every rating, and the final"
            + (f" training used {trained:,}" if trained else " training matches them again")
        )
    etl_invocation_s = invocation_seconds(log, ETL_FUNCTION)
    return {
        "ratings": read,
        "ratings_kept": totals["rows_kept"],
        "ratings_dropped_unmatched": dropped,
        "files": len(data.ratings),
        "csv_bytes": sum(path.stat().st_size for path in data.ratings),
        "titles_bytes": sum(path.stat().st_size for path in data.titles),
        **{name: round(value, 3) for name, value in seconds.items()},
        "catalog_version": final_version,
        "invocations": {
            "etl": invocations(log, ETL_FUNCTION),
            "train": invocations(log, TRAIN_FUNCTION),
            "loads": len(loads),
        },
        "invocation_s": {"etl": etl_invocation_s, "train": invocation_seconds(log, TRAIN_FUNCTION)},
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


def _ratings_total(loads: list[dict[str, Any]], field: str) -> int:
    """Over the ratings files loaded (a file loaded twice, by a later upload, counts once)."""
    latest = {
        f["key"]: int(f.get(field) or 0)
        for load in loads
        for f in load["files"]
        if f.get("kind") == "ratings" and f.get("status") == "loaded"
    }
    return sum(latest.values())


def _source(peak: float | None, where: str) -> str:
    return "not measured" if peak is None else f"reported by the function ({where}: peak_rss_mb)"


def run_factor(factor: int, base: int, files_per_base: int, env: Mapping[str, str]) -> Any:
    data = scale_data(factor * base, factor * files_per_base)
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch,
        local_stack(env, ["--no-upload"], Path(scratch), None, STACK_START_TIMEOUT_S) as stack,
    ):
        return measure(data, stack) | {"factor": factor, "generated_ratings": factor * base}


def template_settings() -> dict[str, Any]:
    """The memory, timeout and /tmp of the two functions and their mappings' settings."""
    from local.functions import function_spec
    from local.template import load_template

    template = load_template()
    found: dict[str, Any] = {}
    for name in (ETL_FUNCTION, TRAIN_FUNCTION):
        spec = function_spec(template, name, REPO)
        properties = template["Resources"][name].get("Properties") or {}
        storage = (properties.get("EphemeralStorage") or {}).get("Size", 512)
        found[name] = {"memory_mb": spec.memory_mb, "timeout_s": spec.timeout_s, "tmp_mb": storage}
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Lambda::EventSourceMapping":
            continue
        properties = resource["Properties"]
        function = properties["FunctionName"].get("Ref")
        if function in found:
            concurrency = (properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
            if isinstance(concurrency, dict) and "Ref" in concurrency:  # a parameter's default
                concurrency = template["Parameters"][concurrency["Ref"]]["Default"]
            found[function]["batch_size"] = properties.get("BatchSize")
            found[function]["batching_window_s"] = properties.get("MaximumBatchingWindowInSeconds")
            found[function]["maximum_concurrency"] = concurrency
    return found


def chart(out: Mapping[str, Any], path: Path) -> None:
    """Seconds and peak MB against ratings, each with the line linear from the first factor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (seconds_axis, memory_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, keys, unit in (
        (seconds_axis, (("etl_s", "ETL"), ("train_s", "training")), "seconds"),
        (memory_axis, (("etl_peak_rss_mb", "ETL"), ("train_peak_rss_mb", "training")), "peak MB"),
    ):
        for (key, label), color in zip(keys, ("#2a9d8f", "#e76f51"), strict=True):
            points = series(out, key)
            if not points:
                continue
            xs, ys = [x / 1e6 for x, _ in points], [y for _, y in points]
            axis.plot(xs, ys, "o-", color=color, label=f"{label} (measured)")
            linear = [ys[0] * x / xs[0] for x in xs]
            axis.plot(xs, linear, "--", color=color, alpha=0.6, label=f"{label} if linear from 1x")
        axis.set_xlabel("ratings (millions)")
        axis.set_ylabel(unit)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    seconds_axis.set_title("time, first upload to done")
    memory_axis.set_title("peak memory of one invocation")
    factors = ", ".join(f"{f['factor']}x" for f in out["factors"])
    figure.suptitle(f"StreamCat data path at {factors}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


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
    chart(out, args.out.with_suffix(".png"))
    return write_out(args.out, out)


if __name__ == "__main__":
    sys.exit(main())
