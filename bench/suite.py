"""Every benchmark in one run: each as a subprocess, their JSON collected, compared, charted.

`python -m bench.suite [--ratings N] [--calls N] [--cold-runs N] [--load-duration S]
[--only etl,queries,load,recommendations,evaluate,package_sizes,snapstart,scale] [--merge]
[--out-dir DIR] [--results F]`

Runs bench.etl, bench.queries, bench.load (against the local stack, which it starts on free
loopback ports with the data loaded), bench.recommendations, bench.evaluate, and
local.package_sizes and bench.snapstart when a SAM build exists, each whose module exists.
Writes `bench/results.json` (every bench's output and the comparisons), `bench/results.md`
(each comparison as absolute numbers and a ratio to its baseline) and `bench/results.png`. With
`--merge`, the benches run replace theirs in the existing results file and the others are kept
as they were (`--only snapstart --merge` refreshes one bench's rows). A bench that fails is
recorded with its error and the suite goes on; the exit status is 1 when any failed.

bench.scale (the data path at 1x, 3x and 10x `--ratings`, hours at full scale) runs only when
named: `make bench-scale` is `--only scale --merge`.
"""

import argparse
import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import relevance

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
"""Where each bench writes its own JSON; a trial run at small sizes should pass another
`--out-dir`, so it does not replace the full-scale outputs there."""
RESULTS_JSON = REPO / "bench" / "results.json"
BENCH_TIMEOUT_S = 3600.0
SCALE_TIMEOUT_S = 12 * 3600.0
"""bench.scale generates and loads 14 times the ratings, training each catalog."""
# The stack serves once it has loaded the data and trained the model.
STACK_START_TIMEOUT_S = 1800.0
MB = 1024 * 1024
TIMES = "\u00d7"


@dataclass(frozen=True)
class Comparison:
    """`value` of ours against `baseline`; `ratio` = value / baseline."""

    bench: str
    what: str
    unit: str
    value: float
    baseline_name: str
    baseline: float
    better: str
    """'lower' or 'higher': which way of the ratio is good."""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def wins(self) -> bool:
        if self.better == "lower":
            return self.value <= self.baseline
        return self.value >= self.baseline

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio, "wins": self.wins}


def _module_exists(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _run_module(
    module: str, args: list[str], env: dict[str, str], timeout: float = BENCH_TIMEOUT_S
) -> None:
    command = [sys.executable, "-m", module, *args]
    print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
    done = subprocess.run(
        command, cwd=REPO, env=env, timeout=timeout, capture_output=True, text=True
    )
    sys.stderr.write(done.stdout[-4000:])
    if done.returncode != 0:
        raise RuntimeError(f"{module} exited {done.returncode}: {done.stderr.strip()[-1500:]}")


def _database_env() -> dict[str, str]:
    """DATABASE_URL for the benches: the configured one, or the project's own server (with
    its CA, so the stack's functions connect as in the cloud: Secrets Manager, TLS)."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        from local.postgres import database_url, default_server, ensure_server

        server = default_server()
        env["DATABASE_URL"] = database_url(ensure_server(server))
        env["DB_SSL_ROOT_CERT"] = str(server.ca_cert_path)
    return env


@contextmanager
def _local_api(env: dict[str, str], ratings: int) -> Iterator[str]:
    """The local stack as `make run` runs it (data loaded through the ETL, the API through
    the functions' containers), on loopback ports it binds, stopped afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    state = scratch / "stack.json"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "local.stack", "--ratings", str(ratings)),
            *("--port", "0", "--state", str(state)),
        ],
        cwd=REPO,
        env={**env, "STREAMCAT_S3_PORT": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STACK_START_TIMEOUT_S
        while (base_url := _serving_api(state)) is None:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not serve (its state: {state})")
            time.sleep(1)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)


def _serving_api(state: Path) -> str | None:
    """The API's URL once its state file names it (the port it bound) and it answers 200."""
    try:
        base_url = str(_read(state)["outputs"]["ApiUrl"]).rstrip("/")
        if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
            return base_url
    except (OSError, ValueError, httpx.TransportError):
        pass
    return None


def _read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def run_etl(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    out = args.out_dir / "etl.json"
    _run_module("bench.etl", ["--ratings", str(args.ratings), "--out", str(out)], env)
    return _read(out)


def run_queries(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    out = args.out_dir / "queries.json"
    extra = ["--calls", str(args.calls), "--cold-runs", str(args.cold_runs)]
    _run_module("bench.queries", [*extra, "--out", str(out)], env)
    return _read(out)


def run_load(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    out = args.out_dir / "load.json"
    with _local_api(env, args.ratings) as base_url:
        extra = ["--base-url", base_url, "--duration", str(args.load_duration)]
        _run_module("bench.load", [*extra, "--out", str(out)], env)
    return _read(out)


def run_recommendations(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    out = args.out_dir / "recommendations.json"
    extra = ["--calls", str(args.calls), "--cold-runs", str(args.cold_runs)]
    _run_module("bench.recommendations", [*extra, "--out", str(out)], env)
    return _read(out)


def run_evaluate(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    out = args.out_dir / "evaluate.json"
    _run_module("bench.evaluate", ["--ratings", str(args.ratings), "--out", str(out)], env)
    return _read(out)


def run_package_sizes(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The unzipped size of each built function with its layers (after `sam build`)."""
    from local.package_sizes import DEFAULT_BUILD_DIR, LAMBDA_UNZIPPED_LIMIT_BYTES, measure

    if not (DEFAULT_BUILD_DIR / "template.yaml").is_file():
        raise FileNotFoundError(f"no SAM build at {DEFAULT_BUILD_DIR}: run `sam build` first")
    return {
        "limit_bytes": LAMBDA_UNZIPPED_LIMIT_BYTES,
        "functions": {
            size.logical_id: {
                "code_bytes": size.code_bytes,
                "layer_bytes": size.layer_bytes,
                "total_bytes": size.total_bytes,
            }
            for size in measure(DEFAULT_BUILD_DIR)
        },
    }


def run_snapstart(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Cold init and SnapStart restore of each HTTP function, from the x86_64 test build."""
    from bench.snapstart import BUILD_DIR

    if not (BUILD_DIR / "template.yaml").is_file():
        raise FileNotFoundError(f"no SAM build at {BUILD_DIR}: see bench/snapstart.py")
    out = args.out_dir / "snapstart.json"
    _run_module("bench.snapstart", ["--runs", str(args.cold_runs), "--out", str(out)], env)
    return _read(out)


def run_scale(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The data path end to end at 1x, 3x and 10x `--ratings` (bench.scale also writes its
    chart beside its JSON and, when the results are bench/results.json, its figures into
    docs/scaling.md)."""
    out = args.out_dir / "scale.json"
    extra = ["--base", str(args.ratings), "--out", str(out)]
    if args.results.resolve() != RESULTS_JSON:  # a trial run leaves docs/scaling.md alone
        extra.append("--no-docs")
    _run_module("bench.scale", extra, env, SCALE_TIMEOUT_S)
    return _read(out)


Runner = Callable[[argparse.Namespace, dict[str, str]], dict[str, Any]]
BENCHES: dict[str, tuple[str, Runner]] = {
    "etl": ("bench.etl", run_etl),
    "queries": ("bench.queries", run_queries),
    "load": ("bench.load", run_load),
    "recommendations": ("bench.recommendations", run_recommendations),
    "evaluate": ("bench.evaluate", run_evaluate),
    "package_sizes": ("local.package_sizes", run_package_sizes),
    "snapstart": ("bench.snapstart", run_snapstart),
    "scale": ("bench.scale", run_scale),
    "relevance": ("bench.relevance", relevance.suite_run),
}
ONLY_WHEN_NAMED = frozenset({"scale"})
"""Benches a plain `python -m bench.suite` (`make bench`) leaves out: they take hours."""
DEFAULT_BENCHES = [name for name in BENCHES if name not in ONLY_WHEN_NAMED]


def etl_comparisons(out: dict[str, Any]) -> list[Comparison]:
    """Medians over bench.etl's runs: ours' ETL seconds and peak RSS against the SPEC 6 budget
    and against each baseline measured in the same run; training seconds against its budget."""
    pipelines, budget = out["pipelines"], out["budget"]
    ours = pipelines["ours"]
    seconds, peak = ours["seconds"]["median"], ours["peak_rss_mb"]["median"]
    found = [
        Comparison("etl", "ETL seconds", "s", seconds, "budget", budget["seconds"], "lower"),
        Comparison("etl", "ETL peak RSS", "MB", peak, "budget", budget["peak_rss_mb"], "lower"),
    ]
    for name in ("seed", "duckdb"):
        if name not in pipelines:
            continue
        baseline = pipelines[name]
        found += [
            Comparison(
                "etl", "ETL seconds", "s", seconds, name, baseline["seconds"]["median"], "lower"
            ),
            Comparison(
                "etl", "ETL peak RSS", "MB", peak, name, baseline["peak_rss_mb"]["median"], "lower"
            ),
        ]
    if "train_s" in ours:
        found.append(
            Comparison(
                "etl",
                "training seconds",
                "s",
                ours["train_s"]["median"],
                "budget",
                budget["train_s"],
                "lower",
            )
        )
    return found


def queries_comparisons(out: dict[str, Any]) -> list[Comparison]:
    found = []
    for name, impls in out["queries"].items():
        if "seed" not in impls:  # a browse route: the seed had none, its budget is the baseline
            found += _browse_comparisons(name, impls["handler"], out["budgets_ms"])
            continue
        ours, seed = impls["handler"], impls["seed"]
        for metric, label in (("warm_p50_ms", "p50"), ("warm_p99_ms", "p99"), ("cold_ms", "cold")):
            what = f"{name} {label}"
            found.append(
                Comparison("queries", what, "ms", ours[metric], "seed", seed[metric], "lower")
            )
    return found


def _browse_comparisons(
    name: str, ours: dict[str, float], budgets: dict[str, float]
) -> list[Comparison]:
    return [
        Comparison(
            "queries",
            f"{name} p99",
            "ms",
            ours["warm_p99_ms"],
            "budget",
            budgets["browse_warm_p99"],
            "lower",
        ),
        Comparison(
            "queries", f"{name} cold", "ms", ours["cold_ms"], "budget", budgets["cold"], "lower"
        ),
    ]


def load_comparisons(out: dict[str, Any]) -> list[Comparison]:
    """Throughput and p99 of each level against one client's, and each level's errors (every
    answer a route is not meant to give, see bench.load.is_error) against none."""
    from bench.load import count_errors

    levels = out["levels"]
    first = levels[0]
    found = [
        Comparison(
            "load",
            f"{level['concurrency']} clients errors",
            "",
            sum(sum(s.values()) for s in count_errors(level["by_route"]).values()),
            "none",
            0,
            "lower",
        )
        for level in levels
    ]
    for level in levels[1:]:
        clients = level["concurrency"]
        found.append(
            Comparison(
                "load",
                f"{clients} clients req/s",
                "req/s",
                level["throughput_rps"],
                f"{first['concurrency']} client(s)",
                first["throughput_rps"],
                "higher",
            )
        )
        found.append(
            Comparison(
                "load",
                f"{clients} clients p99",
                "ms",
                level["p99_ms"],
                f"{first['concurrency']} client(s)",
                first["p99_ms"],
                "lower",
            )
        )
    return found


def recommendations_comparisons(out: dict[str, Any]) -> list[Comparison]:
    budget = out["budget_ms"]
    return [
        Comparison(
            "recommendations", "cold start", "ms", out["cold_ms"], "budget", budget["cold"], "lower"
        ),
        Comparison(
            "recommendations",
            "warm p99",
            "ms",
            out["warm_p99_ms"],
            "budget",
            budget["warm_p99"],
            "lower",
        ),
    ]


EVALUATE_METRICS = ("hit_rate@5", "ndcg@5", "hit_rate@10", "ndcg@10")
EVALUATE_BASELINES = (
    "item_knn",
    "svd_only",
    "svd_boosted",
    "content_only",
    "popularity",
    "seed_kmeans",
)
MIN_COVERAGE = 0.2
"""SPEC 6: coverage@10 of at least 20% of the titles."""


def evaluate_comparisons(out: dict[str, Any]) -> list[Comparison]:
    """The served model (`streamcat`) against every baseline on each ranking metric, and its
    coverage@10 against SPEC 6's 20%, per generator family: `<metric>` for the default family,
    `<metric> (<family> generator)` for the others. An output without `families` (before the
    second family) counts as the default family alone."""
    default = out.get("default_family", "genre")
    families = out.get("families") or {default: {"methods": out["methods"]}}
    found = []
    for family, results in families.items():
        methods = results["methods"]
        ours = methods["streamcat"]

        def what(metric: str, family: str = family) -> str:
            return metric if family == default else f"{metric} ({family} generator)"

        for metric in EVALUATE_METRICS:
            for baseline in EVALUATE_BASELINES:
                if metric in ours and metric in methods.get(baseline, {}):
                    found.append(
                        Comparison(
                            "evaluate",
                            what(metric),
                            "",
                            ours[metric],
                            baseline,
                            methods[baseline][metric],
                            "higher",
                        )
                    )
        if "coverage@10" in ours:
            found.append(
                Comparison(
                    "evaluate",
                    what("coverage@10"),
                    "",
                    ours["coverage@10"],
                    "budget",
                    MIN_COVERAGE,
                    "higher",
                )
            )
    return found


def package_sizes_comparisons(out: dict[str, Any]) -> list[Comparison]:
    limit = out["limit_bytes"] / MB
    return [
        Comparison(
            "package_sizes", name, "MB", size["total_bytes"] / MB, "250 MB limit", limit, "lower"
        )
        for name, size in out["functions"].items()
    ]


def snapstart_comparisons(out: dict[str, Any]) -> list[Comparison]:
    """`<function> cold init` and `<function> restore`, each against its budget; a query
    function's cold init also against the seed's, measured in the same run as the seed was."""
    found = []
    for name, figures in out["functions"].items():
        for figure, measured in figures.items():
            what, value = f"{name} {figure}", measured["median_ms"]
            found.append(
                Comparison("snapstart", what, "ms", value, "budget", measured["budget_ms"], "lower")
            )
            if "seed_ms" in measured:
                baseline = "seed (dev venv, no tracing, no secret, no TLS)"
                found.append(
                    Comparison(
                        "snapstart", what, "ms", value, baseline, measured["seed_ms"], "lower"
                    )
                )
    return found


def scale_comparisons(out: dict[str, Any]) -> list[Comparison]:
    """Per factor k: ETL seconds against k times the 1x seconds (linear growth), ETL and
    training peak memory against their budgets, training seconds against Lambda's 15 minutes.
    A peak no source measured has no row."""
    from bench.scale import ETL_PEAK_BUDGET_MB, TRAIN_PEAK_BUDGET_MB, TRAIN_SECONDS_BUDGET

    factors = sorted(out["factors"], key=lambda f: f["factor"])
    first = factors[0]
    found = []
    for f in factors:
        k = f["factor"]
        label = f"{k}x"
        if f is not first:
            scale = k / first["factor"]
            found.append(
                Comparison(
                    "scale",
                    f"ETL seconds {label}",
                    "s",
                    f["etl_s"],
                    f"{scale:g} {TIMES} {first['factor']}x",
                    scale * first["etl_s"],
                    "lower",
                )
            )
        if f.get("etl_peak_rss_mb") is not None:
            found.append(
                Comparison(
                    "scale",
                    f"ETL peak RSS {label}",
                    "MB",
                    f["etl_peak_rss_mb"],
                    "budget",
                    ETL_PEAK_BUDGET_MB,
                    "lower",
                )
            )
        found.append(
            Comparison(
                "scale",
                f"training seconds {label}",
                "s",
                f["train_s"],
                "Lambda 15 min",
                TRAIN_SECONDS_BUDGET,
                "lower",
            )
        )
        if f.get("train_peak_rss_mb") is not None:
            found.append(
                Comparison(
                    "scale",
                    f"training peak RSS {label}",
                    "MB",
                    f["train_peak_rss_mb"],
                    "Lambda 10 GB",
                    TRAIN_PEAK_BUDGET_MB,
                    "lower",
                )
            )
    return found


COMPARE: dict[str, Callable[[dict[str, Any]], list[Comparison]]] = {
    "etl": etl_comparisons,
    "queries": queries_comparisons,
    "load": load_comparisons,
    "recommendations": recommendations_comparisons,
    "evaluate": evaluate_comparisons,
    "package_sizes": package_sizes_comparisons,
    "snapstart": snapstart_comparisons,
    "scale": scale_comparisons,
    "relevance": relevance.suite_comparisons,
}


def markdown(results: dict[str, Any], comparisons: list[Comparison]) -> str:
    settings = results["settings"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated {results['generated_at']} on {results['cores']} cores by"
        f" `python -m bench.suite` ({', '.join(f'{k}={v}' for k, v in settings.items())})."
        + (
            f" Benches rerun with --merge at {results['merged_at']}."
            if "merged_at" in results
            else ""
        ),
        "",
        "| bench | status | seconds |",
        "|---|---|---:|",
    ]
    for name, bench in results["benches"].items():
        status = bench["status"] + (f": {bench['error'][:120]}" if bench.get("error") else "")
        lines.append(f"| {name} | {status.replace('|', '/')} | {bench.get('seconds', 0):.1f} |")
    lines += [
        "",
        "| bench | what | ours | baseline | baseline value | ratio | better |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for c in comparisons:
        ratio = f"{c.ratio:.3f}" if c.ratio is not None else "n/a"
        verdict = ("yes" if c.wins else "no") + f" ({c.better} is better)"
        lines.append(
            f"| {c.bench} | {c.what} | {c.value:,.3f} {c.unit} | {c.baseline_name}"
            f" | {c.baseline:,.3f} {c.unit} | {ratio} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def chart(comparisons: list[Comparison], path: Path) -> None:
    """One bar per comparison: its ratio to the baseline (log scale), green when ours wins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [c for c in comparisons if c.ratio is not None and c.ratio > 0]
    height = max(3.0, 0.28 * len(shown) + 1.2)
    figure, axis = plt.subplots(figsize=(9, height))
    labels = [f"{c.bench}: {c.what} vs {c.baseline_name}" for c in shown]
    ratios = [c.ratio or 0.0 for c in shown]
    colors = ["#2a9d8f" if c.wins else "#e76f51" for c in shown]
    axis.barh(range(len(shown)), ratios, color=colors)
    axis.set_yticks(range(len(shown)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.axvline(1.0, color="black", linewidth=0.8)
    axis.set_xlabel("ours / baseline (log scale; green: ours is better or within budget)")
    axis.set_title("StreamCat benchmarks")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run_suite(args: argparse.Namespace) -> tuple[dict[str, Any], list[Comparison]]:
    env = _database_env()
    benches: dict[str, Any] = {}
    comparisons: list[Comparison] = []
    for name in args.only:
        module, runner = BENCHES[name]
        if not _module_exists(module):
            benches[name] = {"status": "skipped", "error": f"{module} does not exist"}
            continue
        started = time.perf_counter()
        try:
            output = runner(args, env)
            found = COMPARE[name](output)
        except (RuntimeError, OSError, KeyError, ValueError, subprocess.SubprocessError) as error:
            status = "skipped" if isinstance(error, FileNotFoundError) else "failed"
            benches[name] = {"status": status, "error": str(error)}
            print(f"{name}: {status}: {error}", file=sys.stderr)
        else:
            benches[name] = {"status": "ok", "output": output}
            comparisons += found
        benches[name]["seconds"] = round(time.perf_counter() - started, 2)
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "settings": {
            "ratings": args.ratings,
            "calls": args.calls,
            "cold_runs": args.cold_runs,
            "load_duration_s": args.load_duration,
        },
        "benches": benches,
        "comparisons": [c.to_dict() for c in comparisons],
    }
    return results, comparisons


def merged(
    previous: dict[str, Any], fresh: dict[str, Any]
) -> tuple[dict[str, Any], list[Comparison]]:
    """`fresh`'s benches and comparisons in place of the same benches of `previous`, whose
    others are kept: one bench rerun without rerunning the hours of the others."""
    rerun = set(fresh["benches"])
    kept = [c for c in previous["comparisons"] if c["bench"] not in rerun]
    fields = {f.name for f in dataclasses.fields(Comparison)}
    comparisons = [Comparison(**{k: v for k, v in c.items() if k in fields}) for c in kept]
    comparisons += [
        Comparison(**{k: v for k, v in c.items() if k in fields}) for c in fresh["comparisons"]
    ]
    results = {
        **previous,
        "benches": {**previous["benches"], **fresh["benches"]},
        "comparisons": [c.to_dict() for c in comparisons],
        "merged_at": fresh["generated_at"],
    }
    return results, comparisons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    parser.add_argument("--ratings", type=int, default=11_000_000)
    parser.add_argument("--calls", type=int, default=1000, help="warm calls per handler")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--load-duration", type=float, default=20.0, help="seconds, all levels")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="each bench's own JSON")
    parser.add_argument(
        "--results", type=Path, default=RESULTS_JSON, help=".json; .md and .png beside it"
    )
    parser.add_argument(
        "--merge", action="store_true", help="keep the other benches of the existing --results"
    )
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=DEFAULT_BENCHES,
        help="comma-separated subset of "
        + ",".join(BENCHES)
        + f" (default: all but {', '.join(sorted(ONLY_WHEN_NAMED))})",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benches {sorted(unknown)}; known: {', '.join(BENCHES)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results, comparisons = run_suite(args)
    if args.merge and args.results.is_file():
        results, comparisons = merged(_read(args.results), results)
    report, chart_path = args.results.with_suffix(".md"), args.results.with_suffix(".png")
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    report.write_text(markdown(results, comparisons))
    chart(comparisons, chart_path)
    print(report.read_text())
    print(f"wrote {args.results}, {report} and {chart_path}")
    return 1 if any(b["status"] == "failed" for b in results["benches"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
