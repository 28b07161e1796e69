"""Query Lambdas against a loaded catalog: warm handler latency and cold start, beside the seed.

`python -m bench.queries [--calls 1000] [--cold-runs 5] [--only NAME ...] [--out FILE]`

For each query, through its Lambda handler with its `events/<function>.json`: p50/p99 over
`--calls` warm calls, and cold start (a fresh interpreter: import + first answer, median of
`--cold-runs`). Beside it, in the same run, the seed's approach: one FastAPI app whose endpoints
paste the parameters into SQL with f-strings and run it on one shared psycopg2 cursor (substring
`LIKE` for countries), called through Mangum with the seed's path-style event. The seed app is a
measurement baseline only, never served. The browse routes (`titles`: `q` and two filters;
`title_detail`) have no seed counterpart and a tighter warm p99 budget
(bench.budgets).

Needs DATABASE_URL. When the database holds no catalog, a generated one of the real size is loaded.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.files import OUT_DIR, REPO, write_json

if TYPE_CHECKING:
    from streamcat.api.registry import HttpFunction

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def seed_handler() -> Handler:
    """The seed's approach, for comparison: f-string SQL on one module-level cursor."""
    import psycopg2
    from fastapi import FastAPI
    from mangum import Mangum

    from streamcat.settings import get_settings

    cursor = psycopg2.connect(get_settings().database_url).cursor()
    app = FastAPI()

    def one(statement: str) -> Any:
        cursor.execute(statement)
        return cursor.fetchone()

    @app.get("/get_max_duration/{year}/{platform}/{duration_type}")
    def max_duration(year: int, platform: str, duration_type: str) -> dict[str, Any]:
        row = one(
            "SELECT id, title, duration_int FROM catalog.titles WHERE release_year = "
            f"{year} AND platform = '{platform}' AND duration_type = '{duration_type}' "
            "ORDER BY duration_int DESC NULLS LAST LIMIT 1"
        )
        return {"id": row[0], "title": row[1], "duration_int": row[2]}

    @app.get("/get_score_count/{platform}/{scored}/{year}")
    def score_count(platform: str, scored: float, year: int) -> dict[str, Any]:
        row = one(
            f"SELECT count(*) FROM catalog.titles WHERE platform = '{platform}' AND "
            f"type = 'movie' AND release_year = {year} AND score > {scored}"
        )
        return {"platform": platform, "count": row[0]}

    @app.get("/get_count_platform/{platform}")
    def count_platform(platform: str) -> dict[str, Any]:
        row = one(
            f"SELECT count(*) FROM catalog.titles WHERE platform = '{platform}' AND type = 'movie'"
        )
        return {"platform": platform, "count": row[0]}

    @app.get("/get_actor/{platform}/{year}")
    def actor(platform: str, year: int) -> dict[str, Any]:
        row = one(
            "SELECT member, count(*) FROM catalog.titles, unnest(cast_members) AS member "
            f"WHERE platform = '{platform}' AND release_year = {year} "
            "GROUP BY member ORDER BY count(*) DESC LIMIT 1"
        )
        return {"actor": row[0] if row else None, "appearances": row[1] if row else 0}

    @app.get("/prod_per_county/{tipo}/{pais}/{anio}")
    def prod_per_country(tipo: str, pais: str, anio: int) -> dict[str, Any]:
        row = one(
            f"SELECT count(*) FROM catalog.titles WHERE type = '{tipo}' AND release_year = "
            f"{anio} AND array_to_string(countries, ', ') LIKE '%{pais}%'"
        )
        return {"pais": pais, "contenido": row[0]}

    @app.get("/get_contents/{rating}")
    def contents(rating: str) -> dict[str, Any]:
        row = one(f"SELECT count(*) FROM catalog.titles WHERE rating = '{rating}'")
        return {"rating": rating, "count": row[0]}

    mangum = Mangum(app, lifespan="off")
    return lambda event, context: mangum(event, context)


# Run in a fresh interpreter: argv = (which, function name, event path); prints elapsed ms.
_COLD_PROBE = """
import time
started = time.perf_counter()
import importlib.util, json, sys
which, name, event_path = sys.argv[1:4]
if which == "handler":
    spec = importlib.util.spec_from_file_location("app", f"functions/{name}/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = module.handler
else:
    from bench.queries import seed_handler
    handler = seed_handler()
from local.lambda_context import LocalLambdaContext
with open(event_path) as f:
    event = json.load(f)
response = handler(event, LocalLambdaContext())
elapsed = (time.perf_counter() - started) * 1000
assert response["statusCode"] == 200, response
print(json.dumps({"cold_ms": elapsed}))
"""


def cold_start_ms(which: str, name: str, event_path: Path, runs: int) -> dict[str, float]:
    """Median over `runs` fresh interpreters of import + first answer, and of the whole process
    (interpreter start included)."""
    inside, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _COLD_PROBE, which, name, str(event_path)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )
        whole.append((time.perf_counter() - started) * 1000)
        if result.returncode != 0:
            raise RuntimeError(f"cold start of {which} {name} failed:\n{result.stderr}")
        inside.append(json.loads(result.stdout.splitlines()[-1])["cold_ms"])
    return {
        "cold_ms": statistics.median(inside),
        "cold_min_ms": min(inside),
        "cold_max_ms": max(inside),
        "process_ms": statistics.median(whole),
    }


@contextmanager
def stdout_silenced() -> Iterator[None]:
    """Handlers log and emit metrics on stdout at every call: send them to /dev/null (the write
    is still paid, as in Lambda) so the table stays readable."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def warm_ms(handler: Handler, event: dict[str, Any], calls: int) -> dict[str, float]:
    from local.lambda_context import LocalLambdaContext

    context = LocalLambdaContext()
    timings = []
    with stdout_silenced():
        for _ in range(20):
            assert handler(event, context)["statusCode"] == 200
        for _ in range(calls):
            started = time.perf_counter_ns()
            response = handler(event, context)
            timings.append((time.perf_counter_ns() - started) / 1e6)
            assert response["statusCode"] == 200, response
    timings.sort()
    return {
        "warm_p50_ms": timings[len(timings) // 2],
        "warm_p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        "warm_mean_ms": statistics.fmean(timings),
    }


def ensure_catalog(database_url: str) -> str:
    """What catalog the run measures; loads a generated one when none is there."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('catalog.meta') IS NOT NULL")
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute(
                    "SELECT (SELECT max(version) FROM catalog.meta),"
                    " (SELECT count(*) FROM catalog.titles)"
                )
                loaded = cursor.fetchone()
                if loaded and loaded[0] is not None:
                    return f"loaded catalog v{loaded[0]}, {loaded[1]} titles"
    finally:
        connection.close()
    from local.catalog_fixtures import create_catalog, generated_titles

    titles_list = generated_titles()
    create_catalog(database_url, titles_list, load_id="bench-generated")
    return f"generated catalog, {len(titles_list)} titles (none was loaded)"


def query_functions() -> list["HttpFunction"]:
    """The seed's six queries, then the browse routes. Imported here, not at the top: the
    seed's cold start imports this module, and must pay for the seed's imports only."""
    from streamcat.api.registry import Kind, of_kind

    return list(of_kind(Kind.SEED_QUERY, Kind.BROWSE))


def run(calls: int, cold_runs: int, only: list[str] | None = None) -> dict[str, Any]:
    from bench.budgets import QUERY_MS
    from local.handlers import EVENTS_DIR, load_event, load_function
    from streamcat.api.registry import Kind
    from streamcat.settings import get_settings

    database_url = get_settings().database_url
    if not database_url:
        raise SystemExit("set DATABASE_URL to the PostgreSQL server to measure against")
    catalog = ensure_catalog(database_url)
    seed = seed_handler()
    results: dict[str, Any] = {}
    for function in query_functions():
        name = function.name
        if only and name not in only:
            continue
        sides = {"handler": (load_function(name).handler, name)}
        if function.kind is Kind.SEED_QUERY:  # the seed's app beside it, on its route
            sides["seed"] = (seed, f"{name}_alias")
        results[name] = {
            side: {
                **warm_ms(handler, load_event(event), calls),
                **cold_start_ms(side, name, EVENTS_DIR / f"{event}.json", cold_runs),
            }
            for side, (handler, event) in sides.items()
        }
    return {
        "catalog": catalog,
        "calls": calls,
        "cold_runs": cold_runs,
        "budgets_ms": QUERY_MS,
        "queries": results,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queries", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000, help="warm calls per query")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh interpreters per query")
    parser.add_argument(
        "--only",
        action="append",
        choices=[function.name for function in query_functions()],
        help="measure only this query (repeatable); default: all",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR / "queries.json")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.cold_runs < 1:
        parser.error("--calls and --cold-runs must be at least 1")
    report = run(args.calls, args.cold_runs, args.only)
    write_json(args.out, report)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
