"""What the benches do alike: their command line and JSON output, a child process's JSON report,
the statistics of repeated timings, their charts, and the generated data they load (made once
and cached: the seeded generator's four catalogs at the real sizes, and ratings over them)."""

import argparse
import json
import os
import re
import statistics
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.stack import DataFiles

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
RESULTS_JSON = REPO / "bench" / "results.json"
DATA_CACHE = REPO / ".local" / "benchdata"


def read_json(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def arguments(name: str, doc: str | None, argv: list[str] | None, **defaults: Any) -> Any:
    """`--out` (bench/out/<name>.json) and an option per default, typed by it (`cold_runs` is
    `--cold-runs`; a None default takes a folder, a False one is a flag)."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=doc)
    for key, default in defaults.items():
        option, kind = "--" + key.replace("_", "-"), Path if default is None else type(default)
        if default is False:
            parser.add_argument(option, action="store_true")
        else:
            parser.add_argument(option, type=kind, default=default)
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


def statements(path: Path) -> dict[str, str]:
    """The statements of a .sql file by name: each follows a `-- <name>` line (`-- <name>: ...`
    when it has a comment) and ends with a semicolon."""
    return dict(
        re.findall(r"^-- (\w+)(?::.*)?\n(?:--.*\n)*([^;]+);", path.read_text(), re.MULTILINE)
    )


def titles_dir() -> Path:
    from local.stack import generate_once
    from local.titles_generator import generate_catalogs

    generate_once(DATA_CACHE / "titles", "titles", generate_catalogs)
    return DATA_CACHE / "titles"


def data_files(n_ratings: int, n_files: int) -> "DataFiles":
    """The catalog (it does not grow with the ratings) and `n_ratings` ratings over it in
    `n_files` CSVs named 1.csv, 2.csv, ..."""
    from local.ratings_generator import generate_ratings
    from local.stack import DataFiles, generate_once
    from streamcat.platforms import TITLES_FILES

    titles, folder = titles_dir(), DATA_CACHE / f"ratings-{n_ratings}-in-{n_files}"
    generate_once(
        folder,
        f"{n_ratings:,} ratings in {n_files} files",
        lambda out: generate_ratings(titles, out, n_ratings=n_ratings, n_files=n_files),
    )
    ratings = sorted(folder.glob("*.csv"), key=lambda path: int(path.stem))
    return DataFiles([titles / name for name in TITLES_FILES.values()], ratings)


def database_env() -> dict[str, str]:
    """DATABASE_URL for the benches: the configured one, or the project's own server (with
    its CA, so the stack's functions connect as in the cloud: Secrets Manager, TLS)."""
    env = dict(os.environ)
    # A measured process keeps its bytecode, as Lambda's packages do (compiled at build time).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not env.get("DATABASE_URL"):
        from local.postgres import database_url, default_server, ensure_server

        server = default_server()
        env["DATABASE_URL"] = database_url(ensure_server(server))
        env["DB_SSL_ROOT_CERT"] = str(server.ca_cert_path)
    return env
