"""What the benches do alike: their command line and JSON output, a child process's JSON report,
and the statistics of repeated timings."""

import argparse
import json
import statistics
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.files import OUT_DIR, REPO, write_json


def arguments(name: str, doc: str | None, argv: list[str] | None, **defaults: Any) -> Any:
    """`--out` (bench/out/<name>.json) and an option per default, typed by it (`cold_runs` is
    `--cold-runs`; a None default takes a folder)."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=doc)
    for key, default in defaults.items():
        kind = Path if default is None else type(default)
        parser.add_argument("--" + key.replace("_", "-"), type=kind, default=default)
    parser.add_argument("--out", type=Path, default=OUT_DIR / f"{name}.json")
    return parser.parse_args(argv)


def write_out(path: Path, report: Any) -> int:
    write_json(path, report)
    print(f"wrote {path}")
    return 0


def run_json(command: list[str], what: str, **options: Any) -> dict[str, Any]:
    """The JSON report a child process prints as its last line; its stderr when it fails."""
    options.setdefault("cwd", REPO)
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def spread(values: Sequence[float], *names: str) -> dict[str, float]:
    """Median, min and max of `values`, under `names`."""
    return dict(zip(names, (statistics.median(values), min(values), max(values)), strict=True))


def percentile(ordered: Sequence[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def summed(parts: Iterable[Mapping[str, float]], digits: int) -> dict[str, float]:
    """Seconds per step, added over `parts`."""
    total: dict[str, float] = {}
    for part in parts:
        for step, seconds in part.items():
            total[step] = total.get(step, 0.0) + float(seconds)
    return {step: round(seconds, digits) for step, seconds in sorted(total.items())}
