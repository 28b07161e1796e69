"""Every benchmark in one run: each as a subprocess, their JSON collected, compared, charted.

Writes `bench/results.json` (every bench's output and the comparisons), `bench/results.md`
and `bench/results.png`. With `--merge`, the benches run replace theirs in the existing results
and the others are kept (`--only snapstart --merge` refreshes one bench's rows). A bench that
fails is recorded with its error and the suite goes on; the exit status is 1 when any failed.
The scale bench takes hours: it runs only when named (`make bench-scale`).
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.comparisons import COMPARE, Comparison
from bench.harness import OUT_DIR, REPO, RESULTS_JSON, database_env, read_json, write_json
from local.stack_process import running_stack

BENCH_TIMEOUT_S = 3600.0
SCALE_TIMEOUT_S = 12 * 3600.0
"""The scale bench generates and loads 14 times the ratings, training each catalog."""
STACK_START_TIMEOUT_S = 1800.0
"""The load test's stack serves once it has loaded the data and trained the model."""


BENCHES = (
    *("etl", "queries", "load", "recommendations", "evaluate", "package_sizes", "snapstart"),
    "relevance",
)
ALL_BENCHES = (*BENCHES, "scale")
"""`make bench` runs `BENCHES`; the scale bench, hours long, only when named."""


def run_bench(name: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """One bench as a module of its own; the load test against the local stack as `make run`
    runs it, data loaded."""
    if name == "package_sizes":
        return package_sizes()
    if name == "snapstart":
        from bench.snapstart import BUILD_DIR

        if not (BUILD_DIR / "template.yaml").is_file():
            raise FileNotFoundError(f"no SAM build at {BUILD_DIR}: run `make build-host`")
    cold = ["--cold-runs", str(args.cold_runs)]
    command = {
        "etl": ["--ratings", str(args.ratings)],
        "queries": ["--calls", str(args.calls)],
        "recommendations": ["--calls", str(args.calls), *cold],
        "evaluate": ["--ratings", str(args.ratings)],
        "snapstart": ["--runs", str(args.cold_runs)],
        "scale": ["--base", str(args.ratings)],
        "load": ["--duration", str(args.load_duration)],
        "relevance": [],
    }[name] + ["--out", str(args.out_dir / f"{name}.json")]
    with contextlib.ExitStack() as stack:
        if name == "load":
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-stack-")))
            ratings = ["--ratings", str(args.ratings)]
            started = running_stack(ratings, env, scratch, STACK_START_TIMEOUT_S, 200)
            command += ["--base-url", stack.enter_context(started).api_url]
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", *command],
            cwd=REPO,
            env=env,
            timeout=SCALE_TIMEOUT_S if name == "scale" else BENCH_TIMEOUT_S,
            text=True,
            stderr=subprocess.PIPE,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench.{name} exited {done.returncode}: {done.stderr.strip()[-1500:]}")
    return read_json(args.out_dir / f"{name}.json")


def package_sizes() -> dict[str, Any]:
    """The unzipped size of each built function with its layers (after `sam build`)."""
    from bench.budgets import PACKAGE_BYTES
    from local.package_sizes import DEFAULT_BUILD_DIR, measure

    if not (DEFAULT_BUILD_DIR / "template.yaml").is_file():
        raise FileNotFoundError(f"no SAM build at {DEFAULT_BUILD_DIR}: run `sam build` first")
    fields = ("code_bytes", "layer_bytes", "total_bytes")
    functions = {
        f.logical_id: {k: getattr(f, k) for k in fields} for f in measure(DEFAULT_BUILD_DIR)
    }
    return {"limit_bytes": PACKAGE_BYTES, "functions": functions}


def markdown(results: dict[str, Any], comparisons: list[Comparison]) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in results["settings"].items())
    merged = results.get("merged_at")
    lines = [
        "# Benchmark results\n",
        f"Generated {results['generated_at']} on {results['cores']} cores by"
        f" `python -m bench.suite` ({settings})."
        + (f" Benches rerun with --merge at {merged}." if merged else "")
        + "\n\n| bench | status | seconds |\n|---|---|---:|",
    ]
    for name, bench in results["benches"].items():
        status = bench["status"] + (f": {bench['error'][:120]}" if bench.get("error") else "")
        lines.append(f"| {name} | {status.replace('|', '/')} | {bench.get('seconds', 0):.1f} |")
    lines.append("\n| bench | what | ours | baseline | baseline value | ratio | better |")
    lines.append("|---|---|---:|---|---:|---:|---|")
    lines += [
        f"| {c.bench} | {c.what} | {c.value:,.3f} {c.unit} | {c.baseline_name}"
        f" | {c.baseline:,.3f} {c.unit} | {'n/a' if c.ratio is None else f'{c.ratio:.3f}'}"
        f" | {'yes' if c.wins else 'no'} ({c.better} is better) |"
        for c in comparisons
    ]
    return "\n".join(lines) + "\n"


def plot(comparisons: list[Comparison], path: Path) -> None:
    """One bar per comparison: its ratio to the baseline (log scale), green when ours wins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [c for c in comparisons if c.ratio is not None and c.ratio > 0]
    figure, axis = plt.subplots(figsize=(9, max(3.0, 0.28 * len(shown) + 1.2)))
    colours = ["#2a9d8f" if c.wins else "#e76f51" for c in shown]
    axis.barh(range(len(shown)), [c.ratio or 0.0 for c in shown], color=colours)
    labels = [f"{c.bench}: {c.what} vs {c.baseline_name}" for c in shown]
    axis.set_yticks(range(len(shown)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.axvline(1.0, color="black", linewidth=0.8)
    axis.set_xlabel("ours / baseline (log scale; green: ours is better or within budget)")
    axis.set_title("StreamCat benchmarks")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    env = database_env()
    benches: dict[str, Any] = {}
    comparisons: list[Comparison] = []
    for name in args.only:
        started = time.perf_counter()
        try:
            output = run_bench(name, args, env)
            found = COMPARE[name](output)
        except (RuntimeError, OSError, KeyError, ValueError, subprocess.SubprocessError) as error:
            status = "skipped" if isinstance(error, FileNotFoundError) else "failed"
            benches[name] = {"status": status, "error": str(error)}
            print(f"{name}: {status}: {error}", file=sys.stderr)
        else:
            benches[name] = {"status": "ok", "output": output}
            comparisons += found
        benches[name]["seconds"] = round(time.perf_counter() - started, 2)
    return {
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


def merged(previous: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """`fresh`'s benches and comparisons in place of the same benches of `previous`, whose
    others are kept: one bench rerun without rerunning the hours of the others."""
    kept = [c for c in previous["comparisons"] if c["bench"] not in fresh["benches"]]
    return {
        **previous,
        "benches": {**previous["benches"], **fresh["benches"]},
        "comparisons": kept + fresh["comparisons"],
        "merged_at": fresh["generated_at"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    parser.add_argument("--ratings", type=int, default=11_000_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--load-duration", type=float, default=20.0)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--results", type=Path, default=RESULTS_JSON)
    parser.add_argument("--merge", action="store_true")
    parser.add_argument("--only", type=lambda text: text.split(","), default=list(BENCHES))
    args = parser.parse_args(argv)
    if unknown := set(args.only) - set(ALL_BENCHES):
        parser.error(f"unknown benches {sorted(unknown)}; known: {', '.join(ALL_BENCHES)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = run_suite(args)
    if args.merge and args.results.is_file():
        results = merged(read_json(args.results), results)
    comparisons = [Comparison.from_dict(c) for c in results["comparisons"]]
    write_json(args.results, results)
    args.results.with_suffix(".md").write_text(markdown(results, comparisons))
    plot(comparisons, args.results.with_suffix(".png"))
    print(f"wrote {args.results} and its .md and .png")
    return 1 if any(b["status"] == "failed" for b in results["benches"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
