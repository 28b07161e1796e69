"""Query Lambdas against a loaded catalog: warm handler latency, beside the seed's.

For each query, through its Lambda handler with its `events/<function>.json`: p50/p99 over
`--calls` warm calls. Beside it, in the same run, the seed's approach: one FastAPI app whose
endpoints paste the parameters into SQL with f-strings and run it on one shared psycopg2 cursor
(substring `LIKE` for countries), called through Mangum with the seed's path-style event; a
measurement baseline only, never served. The browse routes (`titles`: `q` and two filters;
`title_detail`) have no seed counterpart and a tighter warm p99 budget (bench.budgets). Cold
starts are bench.snapstart's, from the built package; `cold_start_ms` here measures one from
the development venv (the seed's, snapstart's baseline, and the recommendations bench's).

Needs DATABASE_URL. When the database holds no catalog, a generated one of the real size is loaded.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from bench.harness import arguments, percentile, run_json, spread, write_out

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
response = handler(json.loads(open(event_path).read()), LocalLambdaContext())
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
        command = [sys.executable, "-c", _COLD_PROBE, which, name, str(event_path)]
        report = run_json(command, f"cold start of {which} {name}", timeout=120)
        whole.append((time.perf_counter() - started) * 1000)
        inside.append(report["cold_ms"])
    found = spread(inside, "cold_ms", "cold_min_ms", "cold_max_ms")
    return found | {"process_ms": statistics.median(whole)}


@contextmanager
def stdout_silenced() -> Iterator[None]:
    """The handlers' logs and metrics to /dev/null: the write still paid, as in Lambda."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def warm_ms(handler: Handler, event: dict[str, Any], calls: int) -> dict[str, float]:
    from local.lambda_context import LocalLambdaContext

    context, timings = LocalLambdaContext(), []
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
        "warm_p50_ms": percentile(timings, 0.5),
        "warm_p99_ms": percentile(timings, 0.99),
        "warm_mean_ms": statistics.fmean(timings),
    }


def ensure_catalog(database_url: str) -> str:
    """What catalog the run measures; loads a generated one when none is there."""
    import psycopg2

    from local.catalog_fixtures import create_catalog, generated_titles

    with closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('catalog.meta') IS NOT NULL")
        if (cursor.fetchone() or [False])[0]:
            cursor.execute(
                "SELECT max(version), (SELECT count(*) FROM catalog.titles) FROM catalog.meta"
            )
            version, count = cursor.fetchone() or (None, 0)
            if version is not None:
                return f"loaded catalog v{version}, {count} titles"
    titles = generated_titles()
    create_catalog(database_url, titles, load_id="bench-generated")
    return f"generated catalog, {len(titles)} titles (none was loaded)"


def run(calls: int) -> dict[str, Any]:
    # Imported here, not at the top: the seed's cold start (`cold_start_ms`) imports this
    # module, and must pay for the seed's imports only.
    from bench.budgets import QUERY_MS
    from local.handlers import load_event, load_function
    from streamcat.api.registry import Kind, of_kind
    from streamcat.settings import get_settings

    if not (database_url := get_settings().database_url):
        raise SystemExit("set DATABASE_URL to the PostgreSQL server to measure against")
    catalog, seed = ensure_catalog(database_url), seed_handler()
    results: dict[str, Any] = {}
    for function in of_kind(Kind.SEED_QUERY, Kind.BROWSE):  # the seed's six, then browse
        name = function.name
        results[name] = {"handler": warm_ms(load_function(name).handler, load_event(name), calls)}
        if function.kind is Kind.SEED_QUERY:  # the seed's app beside it, on its route
            results[name]["seed"] = warm_ms(seed, load_event(f"{name}_alias"), calls)
    return {"catalog": catalog, "calls": calls, "budgets_ms": QUERY_MS, "queries": results}


def main(argv: list[str] | None = None) -> int:
    args = arguments("queries", __doc__, argv, calls=1000)
    return write_out(args.out, run(args.calls))


if __name__ == "__main__":
    sys.exit(main())
