"""How the data path grows with the data: ETL and training, end to end, at 1x, 3x and 10x.

`python -m bench.scale [--base 11000000] [--factors 1,3,10] [--files-per-base 8]
[--out bench/out/scale.json] [--docs docs/scaling.md | --no-docs]`

For each factor k: k * base ratings in k * files-per-base files (generated once, cached under
`.local/benchdata/`), a fresh local stack (`python -m local.stack --no-upload`: an empty
database, a new moto S3, every function with its role), the titles then the ratings uploaded
to `raw/` as the deployer uploads them, and two clocks from the first upload: ETL time, until
every ratings file is loaded per the load reports (`reports/loads/<load id>.json`), then
training time, until `models/recommender/latest.json` names the final catalog version.

Recorded per factor: every load report (load id, files, `timings_s`, per-file `seconds`,
`peak_rss_mb` when the ETL reports it), the ETL and training invocations (counted from the
stack's trigger log), the training invocation's logged figures (`model published`, with
`peak_rss_mb` when the function logs it). When a function reports no peak, the harness reads
the high-water mark (VmHWM) of the stack's container processes from /proc instead, attributing
a container to training when it mapped scikit-learn and to the ETL when it mapped pyarrow; the
output says which source each figure came from (a warm container's mark spans all its
invocations).

Writes the JSON (`--out`), a chart beside it (`.png`: seconds and peak memory against ratings,
with the line linear from 1x) and the measured figures into docs/scaling.md between
`<!-- figures:scaling -->` and `<!-- /figures:scaling -->` (`python -m bench.scale --docs-from
bench/results.json [--check]` renders or checks them from the suite's results instead).
"""

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.readme import RESULTS_JSON, markdown_table, rendered_diff, replace_block

REPO = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO / ".local" / "benchdata"
OUT = REPO / "bench" / "out" / "scale.json"
DOCS = REPO / "docs" / "scaling.md"
BLOCK = "scaling"
BASE_RATINGS = 11_000_000
FILES_PER_BASE = 8
FACTORS = (1, 3, 10)
PROJECTED = (100, 1000)
ETL_FUNCTION, TRAIN_FUNCTION = "EtlFunction", "TrainFunction"
STACK_START_TIMEOUT_S = 300.0
PHASE_TIMEOUT_S = 4 * 3600.0
POLL_S = 0.5
MB = 1024 * 1024
# The budgets the suite compares with (bench/suite.py scale_comparisons), and Lambda's limits.
ETL_PEAK_BUDGET_MB = 2048.0
TRAIN_SECONDS_BUDGET = 900.0
TRAIN_PEAK_BUDGET_MB = 10240.0
LAMBDA_TIMEOUT_S = 900.0
LAMBDA_MEMORY_MB = 10240.0
LAMBDA_TMP_BYTES = 10240 * MB
UNDER_LOCK_STEPS = ("stage", "swap", "publish", "file_report")
"""A load's top-level steps after it took the load lock (`lock` is the wait for it); the other
keys of `timings_s` are parts of these."""
TRAIN_BYTES_PER_RATING = 8 + 8 + 4
"""Training holds user and item as int64 and the rating as float32 for every rating."""


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleData:
    titles: list[Path]
    ratings: list[Path]

    @property
    def csv_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.ratings)

    @property
    def titles_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.titles)


def scale_data(n_ratings: int, n_files: int, root: Path = DATA_ROOT) -> ScaleData:
    """`root/titles` (shared by every factor: the catalog does not grow) and
    `root/scale-<n>/` with `n_files` ratings CSVs (regenerated when it holds another count)."""
    from local.ratings_generator import generate_ratings
    from local.stack import generate_once
    from local.titles_generator import generate_catalogs
    from streamcat.platforms import TITLES_FILES

    titles_dir = root / "titles"
    generate_once(titles_dir, "titles", generate_catalogs)
    ratings_dir = root / f"scale-{n_ratings}"
    if len(list(ratings_dir.glob("*.csv"))) != n_files:  # another --files-per-base: start over
        for stale in [*ratings_dir.glob("*.csv"), ratings_dir / ".complete"]:
            stale.unlink(missing_ok=True)
    generate_once(
        ratings_dir,
        f"{n_ratings:,} ratings in {n_files} files",
        lambda out: generate_ratings(titles_dir, out, n_ratings=n_ratings, n_files=n_files),
    )
    ratings = sorted(ratings_dir.glob("*.csv"), key=lambda p: int(p.stem))
    return ScaleData([titles_dir / name for name in TITLES_FILES.values()], ratings)


# --- the stack ------------------------------------------------------------------------------


@dataclass
class StackRun:
    process: "subprocess.Popen[bytes]"
    state: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the local stack exited ({self.process.returncode}):\n{self.log_text()[-3000:]}"
            )


@contextmanager
def empty_stack(env: Mapping[str, str], scratch: Path) -> Iterator[StackRun]:
    """`python -m local.stack --no-upload` on loopback ports it binds: the stack drops the
    earlier catalog and ledger and starts a new moto, so the database and S3 start empty."""
    state, log = scratch / "stack.json", scratch / "stack.log"
    command = [sys.executable, "-m", "local.stack", "--no-upload"]
    command += ["--port", "0", "--state", str(state)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**env, "STREAMCAT_S3_PORT": "0"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    run = StackRun(process, state, log)
    try:
        _wait_until_serving(run)
        yield run
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(run: StackRun) -> None:
    """Its API's port is the one its state file names (`ApiUrl`), once written."""
    deadline = time.monotonic() + STACK_START_TIMEOUT_S
    while time.monotonic() < deadline:
        run.check_alive()
        try:
            health_url = f"{json.loads(run.state.read_text())['outputs']['ApiUrl']}health"
            with urllib.request.urlopen(health_url, timeout=2):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return  # it answers: 503 before the first load
        except (OSError, ValueError):  # no state file yet, a half-written one, or not serving
            time.sleep(0.5)
    raise RuntimeError(f"the local stack did not serve in {STACK_START_TIMEOUT_S:.0f} s")


# --- peak memory of the containers, when the functions do not report it ---------------------


class ContainerPeaks:
    """VmHWM of every process under the stack, by pid, with the function it looks like."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peaks: dict[int, float] = {}
        self.kinds: dict[int, str] = {}

    def sample(self) -> None:
        for pid in _descendants(self.root_pid):
            status = _read(Path(f"/proc/{pid}/status"))
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if not found:
                continue
            self.peaks[pid] = max(self.peaks.get(pid, 0.0), int(found.group(1)) / 1024)
            if self.kinds.get(pid) in (None, "other", ETL_FUNCTION):
                self.kinds[pid] = _kind(_read(Path(f"/proc/{pid}/maps")))

    @contextmanager
    def sampling(self, every_s: float = POLL_S) -> Iterator["ContainerPeaks"]:
        """Sampled in a thread of its own from entry to exit (uploads included: a load may
        start, and its container go, while later files still upload)."""
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                self.sample()
                stop.wait(every_s)

        thread = threading.Thread(target=sample, name="container-peaks", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            self.sample()

    def peak(self, function: str) -> float | None:
        found = [mb for pid, mb in self.peaks.items() if self.kinds.get(pid) == function]
        return round(max(found), 1) if found else None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _kind(maps: str) -> str:
    if "/sklearn/" in maps:
        return TRAIN_FUNCTION
    if "/pyarrow/" in maps:
        return ETL_FUNCTION
    return "other"


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(entry / "stat")
        if ")" not in stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


# --- one factor -----------------------------------------------------------------------------


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

    def files(self, status: str, kind: str = "ratings") -> set[str]:
        return {
            f["key"]
            for report in self.reports.values()
            for f in report.get("files", [])
            if f.get("status") == status and f.get("kind") == kind
        }

    def published_version(self) -> int | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.latest_key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        version = json.loads(body).get("version")
        return version if isinstance(version, int) else None


def measure(data: ScaleData, run: StackRun) -> dict[str, Any]:
    """Upload as the deployer and time the ETL, then the training, from the first upload."""
    from local.cloud import LocalCloud
    from local.iam import client
    from streamcat.s3_layout import S3Layout
    from streamcat.settings import get_settings

    settings = get_settings()
    cloud = LocalCloud.load(run.state)
    s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
    bucket = cloud.outputs["DataBucketName"]
    watch = Watch(s3, bucket, settings.reports_prefix, S3Layout.of(settings).latest_model)
    with ContainerPeaks(run.process.pid).sampling() as peaks:
        return _measure(data, run, watch, peaks, s3, bucket)


def _measure(
    data: ScaleData, run: StackRun, watch: Watch, peaks: ContainerPeaks, s3: Any, bucket: str
) -> dict[str, Any]:
    from local.stack import DataFiles, upload
    from streamcat.settings import get_settings

    settings = get_settings()
    uploads = DataFiles(titles=data.titles, ratings=data.ratings).uploads(settings.raw_prefix)
    ratings_keys = {key for _, key in uploads if key.startswith(f"{settings.raw_prefix}ratings/")}

    started = time.perf_counter()
    upload(s3, bucket, uploads)
    upload_s = time.perf_counter() - started

    def until(done: Any, what: str) -> float:
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while not done():
            run.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not done after {PHASE_TIMEOUT_S:.0f} s")
            time.sleep(POLL_S)
        return time.perf_counter() - started

    def all_loaded() -> bool:
        watch.poll_reports()
        rejected = watch.files("rejected") & ratings_keys
        if rejected:
            raise RuntimeError(f"ratings files rejected: {sorted(rejected)}")
        return ratings_keys <= watch.files("loaded")

    etl_s = until(all_loaded, "the ETL")
    final_version = max(int(r.get("catalog_version") or 0) for r in watch.reports.values())
    end_s = until(lambda: (watch.published_version() or 0) >= final_version, "the training")
    log = run.log_text()
    return summarize(
        data=data,
        reports=sorted(watch.reports.values(), key=lambda r: str(r.get("started_at"))),
        log=log,
        etl_s=etl_s,
        train_s=end_s - etl_s,
        upload_s=upload_s,
        final_version=final_version,
        harness_peaks={f: peaks.peak(f) for f in (ETL_FUNCTION, TRAIN_FUNCTION)},
    )


# --- what the measurements say --------------------------------------------------------------


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


def summarize(
    *,
    data: ScaleData,
    reports: list[dict[str, Any]],
    log: str,
    etl_s: float,
    train_s: float,
    upload_s: float,
    final_version: int,
    harness_peaks: Mapping[str, float | None],
) -> dict[str, Any]:
    steps: dict[str, float] = {}
    file_steps: dict[str, float] = {}
    loads: list[dict[str, Any]] = []
    peaks: list[float] = []
    under_lock: list[float] = []
    for report in reports:
        for step, seconds in (report.get("timings_s") or {}).items():
            steps[step] = steps.get(step, 0.0) + float(seconds)
        for file in report.get("files", []):
            for step, seconds in (file.get("seconds") or {}).items():
                file_steps[step] = file_steps.get(step, 0.0) + float(seconds)
        peak = _peak(report.get("peak_rss_mb"))
        peaks += [peak] if peak is not None else []
        under_lock.append(round(_under_lock(report.get("timings_s") or {}), 3))
        loads.append(
            {
                "load_id": report.get("load_id"),
                "catalog_version": report.get("catalog_version"),
                "files": [{k: f.get(k) for k in FILE_FIELDS} for f in report.get("files", [])],
                "timings_s": report.get("timings_s") or {},
                "under_lock_s": under_lock[-1],
                "peak_rss_mb": peak,
            }
        )
    trainings = [t for t in logged(log, "model published") if t.get("version") == final_version]
    training = trainings[-1] if trainings else {}
    training = {k: v for k, v in training.items() if k not in ("level", "location", "service")}
    etl_peak, etl_source = _peak_and_source(
        max(peaks) if peaks else None, harness_peaks.get(ETL_FUNCTION), "load reports"
    )
    train_peak, train_source = _peak_and_source(
        _peak(training.get("peak_rss_mb")), harness_peaks.get(TRAIN_FUNCTION), "training log"
    )
    read, dropped = (
        _ratings_total(loads, "rows_read"),
        _ratings_total(loads, "ratings_dropped_unmatched"),
    )
    notes = []
    if read and dropped > 0.01 * read:
        trained = training.get("ratings")
        notes.append(
            f"{dropped:,} of {read:,} ratings ({dropped / read:.0%}) were counted unmatched by"
            " the loads that read them (their titles were not yet in that load's catalog: see"
            " the reports); the Parquet and the training parts keep every rating, and the final"
            + (f" training used {trained:,}" if trained else " training matches them again")
        )
    return {
        "ratings": read,
        "ratings_kept": _ratings_total(loads, "rows_kept"),
        "ratings_dropped_unmatched": dropped,
        "files": len(data.ratings),
        "csv_bytes": data.csv_bytes,
        "titles_bytes": data.titles_bytes,
        "upload_s": round(upload_s, 3),
        "etl_s": round(etl_s, 3),
        "train_s": round(train_s, 3),
        "catalog_version": final_version,
        "invocations": {
            "etl": invocations(log, ETL_FUNCTION),
            "train": invocations(log, TRAIN_FUNCTION),
            "loads": len(loads),
        },
        "invocation_s": {
            "etl": invocation_seconds(log, ETL_FUNCTION),
            "train": invocation_seconds(log, TRAIN_FUNCTION),
        },
        "max_invocation_s": max(invocation_seconds(log, ETL_FUNCTION), default=0.0),
        "max_under_lock_s": max(under_lock, default=0.0),
        "etl_peak_rss_mb": etl_peak,
        "etl_peak_source": etl_source,
        "train_peak_rss_mb": train_peak,
        "train_peak_source": train_source,
        "steps_s": {k: round(v, 3) for k, v in sorted(steps.items())},
        "file_steps_s": {k: round(v, 3) for k, v in sorted(file_steps.items())},
        "loads": loads,
        "training": training,
        "notes": notes,
    }


FILE_FIELDS = (
    "key",
    "kind",
    "status",
    "rows_read",
    "rows_kept",
    "ratings_dropped_unmatched",
    "seconds",
)


def _ratings_total(loads: list[dict[str, Any]], field: str) -> int:
    """Over the ratings files loaded (a file loaded twice, by a later upload, counts once)."""
    latest = {
        f["key"]: int(f.get(field) or 0)
        for load in loads
        for f in load["files"]
        if f.get("kind") == "ratings" and f.get("status") == "loaded"
    }
    return sum(latest.values())


def _peak_and_source(
    reported: float | None, harness: float | None, where: str
) -> tuple[float | None, str]:
    if reported is not None:
        return reported, f"reported by the function ({where}: peak_rss_mb)"
    if harness is not None:
        return harness, "harness: VmHWM of the container processes (not reported by the function)"
    return None, "not measured"


def run_factor(
    factor: int, base: int, files_per_base: int, env: Mapping[str, str], root: Path
) -> dict[str, Any]:
    data = scale_data(factor * base, factor * files_per_base, root)
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch,
        empty_stack(env, Path(scratch)) as run,
    ):
        print(f"{factor}x: local stack up; uploading {len(data.ratings)} files", flush=True)
        found = measure(data, run)
    found["factor"] = factor
    found["generated_ratings"] = factor * base
    for note in found["notes"]:
        print(f"{factor}x: NOTE: {note}", flush=True)
    print(
        f"{factor}x: {found['ratings']:,} ratings read ({found['ratings_kept']:,} kept), "
        f"ETL {found['etl_s']:.1f} s in "
        f"{found['invocations']['etl']} invocations (peak {found['etl_peak_rss_mb']} MB, "
        f"{found['etl_peak_source']}), training {found['train_s']:.1f} s (peak "
        f"{found['train_peak_rss_mb']} MB, {found['train_peak_source']})",
        flush=True,
    )
    return found


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
            found[function]["batch_size"] = properties.get("BatchSize")
            found[function]["batching_window_s"] = properties.get("MaximumBatchingWindowInSeconds")
            found[function]["maximum_concurrency"] = _parameter_default(
                template, (properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
            )
    return found


def _parameter_default(template: dict[str, Any], value: Any) -> Any:
    """A setting the template takes from a parameter, at the parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


# --- growth and projections -----------------------------------------------------------------


def growth(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(a, b) of y = exp(a) * x^b fitted to the positive points by least squares on logs; b is
    1 (linear) with one point. None without a positive point."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if not usable:
        return None
    if len(usable) == 1:
        lx, ly = usable[0]
        return ly - lx, 1.0
    n = len(usable)
    mx, my = sum(x for x, _ in usable) / n, sum(y for _, y in usable) / n
    sxx = sum((x - mx) ** 2 for x, _ in usable)
    if sxx == 0:
        return my - mx, 1.0
    b = sum((x - mx) * (y - my) for x, y in usable) / sxx
    return my - b * mx, b


def project(fit: tuple[float, float] | None, x: float) -> float | None:
    return math.exp(fit[0]) * x ** fit[1] if fit else None


def crossing(fit: tuple[float, float] | None, limit: float) -> float | None:
    """Where the fitted curve reaches `limit` (None when it does not grow)."""
    if not fit or fit[1] <= 0:
        return None
    return math.exp((math.log(limit) - fit[0]) / fit[1])


def _series(out: Mapping[str, Any], key: str) -> list[tuple[float, float]]:
    return [
        (float(f["ratings"]), float(f[key]))
        for f in out["factors"]
        if isinstance(f.get(key), int | float)
    ]


def _under_lock(timings: Mapping[str, float]) -> float:
    return sum(float(timings.get(step, 0.0)) for step in UNDER_LOCK_STEPS)


def projections(out: Mapping[str, Any]) -> dict[str, Any]:
    """Each measured quantity fitted against ratings, projected to 100x and 1,000x the base,
    and the size where it meets its limit."""
    base = out["base"]
    series = {
        "etl_s": _series(out, "etl_s"),
        "max_invocation_s": _series(out, "max_invocation_s"),
        "max_under_lock_s": _series(out, "max_under_lock_s"),
        "etl_peak_rss_mb": _series(out, "etl_peak_rss_mb"),
        "train_s": _series(out, "train_s"),
        "train_peak_rss_mb": _series(out, "train_peak_rss_mb"),
    }
    limits = {
        "max_invocation_s": LAMBDA_TIMEOUT_S,
        "max_under_lock_s": LAMBDA_TIMEOUT_S,
        "etl_peak_rss_mb": LAMBDA_MEMORY_MB,
        "train_s": LAMBDA_TIMEOUT_S,
        "train_peak_rss_mb": LAMBDA_MEMORY_MB,
    }
    found: dict[str, Any] = {}
    for name, points in series.items():
        fit = growth(points)
        found[name] = {
            "exponent": round(fit[1], 3) if fit else None,
            "projected": {f"{k}x": _round(project(fit, k * base)) for k in PROJECTED},
            "limit": limits.get(name),
            "limit_at_ratings": _round(crossing(fit, limits[name])) if name in limits else None,
        }
    found["train_arrays_mb"] = {
        f"{k}x": round(k * base * TRAIN_BYTES_PER_RATING / MB, 1) for k in PROJECTED
    }
    found["train_arrays_limit_at_ratings"] = int(LAMBDA_MEMORY_MB * MB / TRAIN_BYTES_PER_RATING)
    return found


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the figures in docs/scaling.md ---------------------------------------------------------

NOT_MEASURED = (
    "*Not measured yet: `make bench-scale` runs the benchmark and renders its figures here.*"
)


def _num(value: Any, digits: int = 1) -> str:
    if not isinstance(value, int | float):
        return "n/a"
    return f"{value:,.{digits}f}"


def _count(value: float) -> str:
    """1.1B, 110M, 200k."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:,.{1 if value < 10 * size else 0}f}{suffix}"
    return f"{value:,.0f}"


def _ratings_text(value: float | None, base: float) -> str:
    if value is None:
        return "never (it does not grow)"
    if value > 10_000 * base:
        return "beyond 10,000x"
    return f"at {_count(value)} ratings"


def figures_block(out: Mapping[str, Any] | None) -> str:
    """The measured figures and what they project, as docs/scaling.md shows them."""
    if not out or not out.get("factors"):
        return NOT_MEASURED
    first = out["factors"][0]
    rows = []
    for f in out["factors"]:
        linear = first["etl_s"] * f["ratings"] / first["ratings"] if first["ratings"] else None
        rows.append(
            [
                f"{f['factor']}x",
                f"{f['ratings']:,}",
                str(f["files"]),
                _num(f["csv_bytes"] / MB, 0),
                _num(f["etl_s"]),
                _num(linear),
                str(f["invocations"]["etl"]),
                _num(f["max_invocation_s"]),
                _num(f["max_under_lock_s"]),
                _num(f["etl_peak_rss_mb"], 0),
                _num(f["train_s"]),
                _num(f["train_peak_rss_mb"], 0),
            ]
        )
    table = markdown_table(
        (
            "factor",
            "ratings",
            "files",
            "CSV MB",
            "ETL s",
            "ETL s if linear",
            "ETL invocations",
            "longest invocation s",
            "longest under lock s",
            "ETL peak MB",
            "training s",
            "training peak MB",
        ),
        (
            "---",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
            "---:",
        ),
        rows,
    )
    projected = projections(out)
    labels = {
        "etl_s": ("ETL, first upload to all files loaded", "s", None),
        "max_invocation_s": ("longest ETL invocation", "s", "Lambda 15 min"),
        "max_under_lock_s": ("longest hold of the load lock (merge)", "s", "Lambda 15 min"),
        "etl_peak_rss_mb": ("ETL peak memory per invocation", "MB", "Lambda 10,240 MB"),
        "train_s": ("training", "s", "Lambda 15 min"),
        "train_peak_rss_mb": ("training peak memory", "MB", "Lambda 10,240 MB"),
    }
    rows = []
    for name, (label, unit, limit) in labels.items():
        p = projected[name]
        rows.append(
            [
                label,
                _num(p["exponent"], 2),
                f"{_num(p['projected']['100x'], 0)} {unit}",
                f"{_num(p['projected']['1000x'], 0)} {unit}",
                f"{limit}: {_ratings_text(p['limit_at_ratings'], out['base'])}" if limit else "",
            ]
        )
    arrays = projected["train_arrays_mb"]
    rows.append(
        [
            "training arrays (user, item int64 + rating float32)",
            "1.00",
            f"{_num(arrays['100x'], 0)} MB",
            f"{_num(arrays['1000x'], 0)} MB",
            "Lambda 10,240 MB: "
            + _ratings_text(projected["train_arrays_limit_at_ratings"], out["base"]),
        ]
    )
    growth_table = markdown_table(
        (
            "what",
            "growth exponent",
            f"100x ({_count(100 * out['base'])} ratings)",
            f"1,000x ({_count(1000 * out['base'])} ratings)",
            "limit reached",
        ),
        ("---", "---:", "---:", "---:", "---"),
        rows,
    )
    sources = sorted(
        {f"ETL peak: {f['etl_peak_source']}" for f in out["factors"]}
        | {f"training peak: {f['train_peak_source']}" for f in out["factors"]}
    )
    return "\n".join(
        [
            f"Measured {out['generated_at']} on {out['cores']} cores by `make bench-scale` "
            f"(base {out['base']:,} ratings, {out['files_per_base']} files per base).",
            "",
            table,
            "",
            "Projected from the measured growth (y = a * ratings^exponent fitted to the rows "
            "above; exponent 1 is linear):",
            "",
            growth_table,
            "",
            "Peak memory sources: " + "; ".join(sources) + ".",
        ]
    )


def render_docs(document: str, out: Mapping[str, Any] | None) -> str:
    return replace_block(document, BLOCK, figures_block(out))


def scale_output(results: Mapping[str, Any]) -> dict[str, Any] | None:
    """The scale bench's output in the suite's results, None when it has none."""
    entry = results.get("benches", {}).get("scale") or {}
    output: dict[str, Any] | None = entry.get("output") if entry.get("status") == "ok" else None
    return output


def docs_diff(docs: Path, results: Path) -> str:
    current = docs.read_text()
    out = scale_output(json.loads(results.read_text())) if results.is_file() else None
    return rendered_diff(docs, current, render_docs(current, out), results)


# --- the chart --------------------------------------------------------------------------------


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
            points = _series(out, key)
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
    figure.suptitle(
        f"StreamCat data path at {', '.join(f'{f["factor"]}x' for f in out['factors'])}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# --- main -------------------------------------------------------------------------------------


def _database_env() -> dict[str, str]:
    from bench.suite import _database_env

    return _database_env()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--base", type=int, default=BASE_RATINGS, help="ratings at 1x")
    parser.add_argument(
        "--factors",
        type=lambda text: [int(k) for k in text.split(",")],
        default=list(FACTORS),
        help="comma-separated multiples of --base (default 1,3,10)",
    )
    parser.add_argument("--files-per-base", type=int, default=FILES_PER_BASE)
    parser.add_argument("--out", type=Path, default=OUT, help=".json; the chart beside it (.png)")
    parser.add_argument("--data-root", type=Path, default=DATA_ROOT)
    parser.add_argument("--docs", type=Path, default=DOCS, help="where to render the figures")
    parser.add_argument("--no-docs", action="store_true", help="leave the docs as they are")
    parser.add_argument(
        "--docs-from",
        type=Path,
        help=f"render (or --check) the docs from a suite results file (e.g. {RESULTS_JSON.name}),"
        " running nothing",
    )
    parser.add_argument("--check", action="store_true", help="with --docs-from: exit 1 on a diff")
    args = parser.parse_args(argv)
    if args.docs_from:
        if args.check:
            found = docs_diff(args.docs, args.docs_from)
            sys.stdout.write(found)
            return 1 if found else 0
        results = json.loads(args.docs_from.read_text())
        args.docs.write_text(render_docs(args.docs.read_text(), scale_output(results)))
        return 0
    if args.base < 1 or args.files_per_base < 1 or not args.factors or min(args.factors) < 1:
        parser.error("--base, --files-per-base and every factor must be positive")
    env = _database_env()
    factors = [
        run_factor(k, args.base, args.files_per_base, env, args.data_root)
        for k in sorted(set(args.factors))
    ]
    out: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "base": args.base,
        "files_per_base": args.files_per_base,
        "template": template_settings(),
        "factors": factors,
    }
    out["projections"] = projections(out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    chart(out, args.out.with_suffix(".png"))
    if not args.no_docs:
        args.docs.write_text(render_docs(args.docs.read_text(), out))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
