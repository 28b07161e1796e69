"""Load test of the running local API: a realistic mix of every route at rising concurrency.

The mix: each query by its query string and by the seed's path, recommendations, and requests
that must be 404s, with parameters drawn from the catalog the API serves (DATABASE_URL, else the
local stack's PostgreSQL). Routes answering 503 (not ready) are waited for up to
`READY_TIMEOUT_S`, then kept in the mix. Each level runs `--duration / len(levels)` seconds,
every client a thread with its own keep-alive connection. An error is every answer a route is
not meant to give (`is_error`) and every connection error. Loopback only.
"""

import contextlib
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from bench.harness import arguments, database_env, percentile, statements, write_out

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CONNECTION_ERROR = "connection_error"
REQUEST_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class CatalogSample:
    """Parameter values that exist in the served catalog (bench/load_samples.sql)."""

    platforms: list[str]
    years: list[int]
    countries: list[str]
    ratings: list[str]
    titles: list[str]
    durations: list[tuple[int, str, str]]
    casts: list[tuple[str, int]]
    castless: list[str]


SAMPLES = statements(Path(__file__).with_name("load_samples.sql"))


def sample_catalog(database_url: str, size: int = 200, seed: int = 7) -> CatalogSample:
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", (seed / 1000,))
            found: dict[str, Any] = {}
            for name, query in SAMPLES.items():
                cursor.execute(query + " LIMIT %s", (size,))
                found[name] = [row[0] if len(row) == 1 else tuple(row) for row in cursor]
            return CatalogSample(**found)
    finally:
        connection.close()


Build = Callable[[random.Random, CatalogSample], str]


@dataclass(frozen=True)
class Route:
    weight: int
    build: Build
    expects_not_found: bool = False
    """A route meant to 404: its 404s are correct answers, anything else is an error."""


def _p(rng: random.Random, sample: CatalogSample) -> str:
    return rng.choice(sample.platforms)


def _y(rng: random.Random, sample: CatalogSample) -> int:
    return rng.choice(sample.years)


def _q(path: str, **params: object) -> str:
    return f"{path}?{urlencode(params)}"


def _no_cast(rng: random.Random, sample: CatalogSample) -> str:
    """/actor for a platform and year with no cast: a castless platform's, else a pair no title
    has (the sample's most common pairs left out)."""
    if sample.castless:
        return _q("/actor", platform=rng.choice(sample.castless), year=_y(rng, sample))
    known = set(sample.casts)
    pair = (_p(rng, sample), _y(rng, sample))
    for _ in range(100):
        if pair not in known:
            break
        pair = (_p(rng, sample), _y(rng, sample))
    return _q("/actor", platform=pair[0], year=pair[1])


QUERIES: dict[str, tuple[str, str, Callable[[random.Random, CatalogSample], Any]]] = {
    "max_duration": (
        "/max-duration year platform duration_type",
        "/get_max_duration",
        lambda r, s: r.choice(s.durations),
    ),
    "score_count": (
        "/score-count platform scored year",
        "/get_score_count",
        lambda r, s: (_p(r, s), r.choice([1.0, 2.5, 3.0, 3.5, 4.0]), _y(r, s)),
    ),
    "count_platform": ("/count-platform platform", "/get_count_platform", lambda r, s: [_p(r, s)]),
    "actor": ("/actor platform year", "/get_actor", lambda r, s: r.choice(s.casts)),
    "prod_per_country": (
        "/prod-per-country tipo pais anio",
        "/prod_per_county",
        lambda r, s: (r.choice(["movie", "tv show"]), r.choice(s.countries), _y(r, s)),
    ),
    "contents": ("/contents rating", "/get_contents", lambda r, s: [r.choice(s.ratings)]),
    "recommendations": (
        "/recommendations title",
        "/get_recommendation",
        lambda r, s: [r.choice(s.titles)],
    ),
}
"""Each query: its path and parameters, the seed's path (the values as path segments), and a
draw of the values from the sample, in that order."""


def _routes(name: str, path: str, alias: str, draw: Callable[..., Any]) -> dict[str, Route]:
    path, *names = path.split()
    weights = (5, 2) if name == "recommendations" else (10, 5)

    def by_alias(rng: random.Random, sample: CatalogSample) -> str:
        return alias + "".join("/" + quote(str(value), safe="") for value in draw(rng, sample))

    return {
        name: Route(weights[0], lambda r, s: _q(path, **dict(zip(names, draw(r, s), strict=True)))),
        f"{name}_alias": Route(weights[1], by_alias),
    }


ROUTES: dict[str, Route] = {
    **{k: v for name, query in QUERIES.items() for k, v in _routes(name, *query).items()},
    "not_found_title": Route(
        2,
        lambda r, s: _q("/recommendations", title=f"no such title {r.randrange(10**6)}"),
        expects_not_found=True,
    ),
    "not_found_cast": Route(1, _no_cast, expects_not_found=True),
    "not_found_route": Route(
        1, lambda r, s: f"/no-such-route/{r.randrange(10**6)}", expects_not_found=True
    ),
}


def is_error(route: Route | None, status: str) -> bool:
    """Whether an answer counts as an error: a connection error always; for a route meant to
    404, anything but a 404; for any other route (or one not in the mix), anything but a 2xx or
    a 304 -- a 503 (not ready) included."""
    if status == CONNECTION_ERROR:
        return True
    if route is not None and route.expects_not_found:
        return status != str(HTTPStatus.NOT_FOUND.value)
    return not (status.startswith("2") or status == str(HTTPStatus.NOT_MODIFIED.value))


def count_errors(
    by_route: Mapping[str, Mapping[str, int]], routes: Mapping[str, Route] = ROUTES
) -> dict[str, dict[str, int]]:
    """Per route with any error, the errors by status (`by_route`: route -> status -> count)."""
    found = {
        name: {s: n for s, n in sorted(statuses.items()) if n and is_error(routes.get(name), s)}
        for name, statuses in sorted(by_route.items())
    }
    return {name: errors for name, errors in found.items() if errors}


def wait_until_ready(
    base_url: str, sample: CatalogSample, timeout_s: float = READY_TIMEOUT_S
) -> list[str]:
    """The routes still answering 503 (e.g. recommendations before any model is published)
    after at most `timeout_s`; they stay in the mix, their 503s errors."""
    probe = random.Random(0)  # noqa: S311 - reproducible probes
    waiting, deadline = set(ROUTES), time.monotonic() + timeout_s
    while waiting:
        for name in sorted(waiting):
            with contextlib.suppress(httpx.TransportError):
                url = base_url + ROUTES[name].build(probe, sample)
                if httpx.get(url, timeout=REQUEST_TIMEOUT_S).status_code != 503:
                    waiting.discard(name)
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(1)
    return sorted(waiting)


def _client(base_url: str, sample: CatalogSample, seed: int, deadline: float, out: Any) -> None:
    """Requests of the mix until `deadline`: each latency, and each (route, status) counted."""
    latencies, answers = out
    rng = random.Random(seed)  # noqa: S311 - a reproducible request mix, not a secret
    names, weights = list(ROUTES), [route.weight for route in ROUTES.values()]
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        while time.perf_counter() < deadline:
            route = rng.choices(names, weights)[0]
            url = ROUTES[route].build(rng, sample)
            started = time.perf_counter()
            try:
                status = str(client.get(url).status_code)
            except httpx.TransportError:
                status = CONNECTION_ERROR
            latencies.append((time.perf_counter() - started) * 1000)
            answers[route, status] += 1


def run_level(
    base_url: str, sample: CatalogSample, concurrency: int, seconds: float, seed: int
) -> dict[str, Any]:
    outcomes: list[tuple[list[float], Counter[tuple[str, str]]]] = [
        ([], Counter()) for _ in range(concurrency)
    ]
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=_client, args=(base_url, sample, seed * 1000 + i, started + seconds, out)
        )
        for i, out in enumerate(outcomes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for found, _ in outcomes for ms in found)
    by_route: dict[str, dict[str, int]] = {}
    statuses: Counter[str] = Counter()
    for (route, status), n in sorted(sum((c for _, c in outcomes), Counter()).items()):
        by_route.setdefault(route, {})[status] = n
        statuses[status] += n
    errors_by_route = count_errors(by_route)
    errors = sum(sum(found.values()) for found in errors_by_route.values())
    n = len(latencies)
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "requests": n,
        "throughput_rps": round(n / elapsed, 1),
        **{f"p{p}_ms": round(percentile(latencies, p / 100), 3) for p in (50, 90, 99)},
        "max_ms": round(latencies[-1], 3) if n else 0.0,
        "mean_ms": round(statistics.fmean(latencies), 3) if n else 0.0,
        "errors": errors,
        "error_rate": round(errors / n, 5) if n else 0.0,
        "errors_by_route": errors_by_route,
        "statuses": dict(sorted(statuses.items())),
        "by_route": by_route,
    }


def run(base_url: str, duration: float, levels: list[int], seed: int = 1) -> dict[str, Any]:
    if urlsplit(base_url).hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load {base_url}: only a loopback API may be load tested")
    try:
        httpx.get(f"{base_url}/health", timeout=REQUEST_TIMEOUT_S).raise_for_status()
    except httpx.HTTPError as error:
        raise SystemExit(f"no API serves at {base_url} ({error}); `make run` starts it") from error
    sample = sample_catalog(database_env()["DATABASE_URL"])
    not_ready = wait_until_ready(base_url, sample)
    seconds = duration / len(levels)
    results = [run_level(base_url, sample, level, seconds, seed) for level in levels]
    return {
        "base_url": base_url,
        "duration_s": duration,
        "seconds_per_level": seconds,
        "mix_weights": {name: route.weight for name, route in ROUTES.items()},
        "not_ready_at_start": not_ready,
        "errors": sum(level["errors"] for level in results),
        "levels": results,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        "load", __doc__, argv, base_url="http://127.0.0.1:8000", duration=20.0, levels="1,4,16,32"
    )
    levels = [int(level) for level in args.levels.split(",")]
    return write_out(args.out, run(args.base_url.rstrip("/"), args.duration, levels))


if __name__ == "__main__":
    sys.exit(main())
