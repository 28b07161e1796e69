"""The load test counts every answer a route is not meant to give as an error, and leaves no
route out: a 503 (not ready) is an error like any other."""

from bench import comparisons
from bench.load import CONNECTION_ERROR, ROUTES, count_errors, is_error


def test_a_query_route_errs_on_anything_but_2xx_or_304() -> None:
    route = ROUTES["actor"]
    assert not is_error(route, "200")
    assert not is_error(route, "304")
    for status in ("404", "429", "500", "502", "503", CONNECTION_ERROR):
        assert is_error(route, status), status


def test_a_route_meant_to_404_errs_on_anything_else() -> None:
    route = ROUTES["not_found_title"]
    assert not is_error(route, "404")
    for status in ("200", "503", "500", CONNECTION_ERROR):
        assert is_error(route, status), status


def test_a_route_not_in_the_mix_counts_as_a_query_route() -> None:
    assert count_errors({"somewhere": {"200": 3, "503": 2}}) == {"somewhere": {"503": 2}}


def test_not_ready_routes_are_counted_not_dropped() -> None:
    by_route = {
        "max_duration": {"200": 10},
        "recommendations": {"503": 7, "200": 3},
        "recommendations_alias": {"503": 4},
        "not_found_title": {"404": 5, "503": 2},
        "not_found_route": {"404": 1},
        "contents": {CONNECTION_ERROR: 1, "200": 9},
    }
    assert count_errors(by_route) == {
        "contents": {CONNECTION_ERROR: 1},
        "not_found_title": {"503": 2},
        "recommendations": {"503": 7},
        "recommendations_alias": {"503": 4},
    }


def _level(clients: int, by_route: dict[str, dict[str, int]]) -> dict[str, object]:
    return {"concurrency": clients, "throughput_rps": 100.0, "p99_ms": 10.0, "by_route": by_route}


def test_each_level_s_errors_are_a_comparison_against_none() -> None:
    out = {
        "levels": [
            _level(1, {"actor": {"200": 5}}),
            _level(4, {"actor": {"200": 5, "503": 2}, "not_found_route": {"404": 1}}),
        ]
    }
    errors = {c.what: c for c in comparisons.load(out) if c.what.endswith("errors")}
    assert errors["1 clients errors"].value == 0 and errors["1 clients errors"].wins
    assert errors["4 clients errors"].value == 2 and not errors["4 clients errors"].wins
    assert errors["4 clients errors"].baseline == 0
