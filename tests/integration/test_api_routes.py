"""Every route of the composed app through FastAPI's TestClient, against a known catalog."""

from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from fastapi.testclient import TestClient

from local.catalog_fixtures import create_catalog, drop_catalog
from streamcat import db
from streamcat.api.app import create_whole_api_app
from tests.support.catalog import known_titles

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    create_catalog(database_url, known_titles(), version=5, load_id="known")
    db.reset_shared_connection()
    with TestClient(create_whole_api_app()) as client:
        yield client


def _ok(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _problem(client: TestClient, url: str, status: int) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/max-duration?year=2018&platform=netflix&duration_type=min",
        "/max-duration?year=2018&platform=NetFlix",
        "/get_max_duration/2018/NETFLIX/MIN",
    ],
)
def test_max_duration(client: TestClient, url: str) -> None:
    assert _ok(client, url) == {
        "id": "ns1",
        "title": "a title",
        "platform": "netflix",
        "release_year": 2018,
        "duration_int": 150,
        "duration_type": "min",
    }


def test_max_duration_filters_are_optional(client: TestClient) -> None:
    assert _ok(client, "/max-duration")["id"] == "as1"
    assert _ok(client, "/max-duration?duration_type=Season")["id"] == "ds1"


def test_max_duration_without_a_match_is_a_404_with_a_reason(client: TestClient) -> None:
    body = _problem(client, "/max-duration?year=1950&platform=hulu", 404)
    assert "platform=hulu, year=1950" in body["detail"]


@pytest.mark.parametrize(
    "url",
    ["/score-count?platform=Netflix&scored=3.5&year=2018", "/get_score_count/netflix/3.5/2018"],
)
def test_score_count(client: TestClient, url: str) -> None:
    assert _ok(client, url) == {"platform": "netflix", "scored": 3.5, "year": 2018, "count": 2}


def test_score_count_of_nothing_is_an_honest_zero(client: TestClient) -> None:
    assert _ok(client, "/score-count?platform=disney&scored=0&year=1990")["count"] == 0


@pytest.mark.parametrize("url", ["/count-platform?platform=NETFLIX", "/get_count_platform/netflix"])
def test_count_platform(client: TestClient, url: str) -> None:
    assert _ok(client, url) == {"platform": "netflix", "count": 7}


@pytest.mark.parametrize("url", ["/actor?platform=netflix&year=2018", "/get_actor/Netflix/2018"])
def test_actor(client: TestClient, url: str) -> None:
    assert _ok(client, url) == {
        "platform": "netflix",
        "year": 2018,
        "actor": "alice",
        "appearances": 3,
    }


def test_actor_on_hulu_is_a_404_saying_hulu_has_no_cast(client: TestClient) -> None:
    body = _problem(client, "/get_actor/hulu/2018", 404)
    assert body["detail"] == "the hulu catalog lists no cast for any title"
    assert (body["platform"], body["year"]) == ("hulu", 2018)


def test_actor_in_a_year_without_cast_is_a_404_saying_so(client: TestClient) -> None:
    body = _problem(client, "/actor?platform=netflix&year=1999", 404)
    assert body["detail"] == "no netflix title released in 1999 lists a cast"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/prod-per-country?tipo=Movie&pais=India&anio=2018", ("india", 2018, "movie", 3)),
        ("/prod_per_county/movie/india/2018", ("india", 2018, "movie", 3)),
        ("/prod_per_county/TV%20Show/india/2018", ("india", 2018, "tv show", 1)),
        ("/prod-per-country?tipo=movie&pais=niger&anio=2018", ("niger", 2018, "movie", 1)),
        ("/prod-per-country?tipo=movie&pais=atlantis&anio=2018", ("atlantis", 2018, "movie", 0)),
    ],
)
def test_prod_per_country(client: TestClient, url: str, expected: tuple[Any, ...]) -> None:
    body = _ok(client, url)
    assert (body["pais"], body["anio"], body["tipo"], body["contenido"]) == expected


@pytest.mark.parametrize(
    ("url", "rating", "count"),
    [
        ("/contents?rating=TV-MA", "tv-ma", 4),
        ("/get_contents/tv-ma", "tv-ma", 4),
        ("/contents?rating=13%2B", "13+", 2),
        ("/contents?rating=nc-17", "nc-17", 0),
    ],
)
def test_contents(client: TestClient, url: str, rating: str, count: int) -> None:
    assert _ok(client, url) == {"rating": rating, "count": count}


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/max-duration?year=1899", "year"),
        ("/max-duration?year=2101", "year"),
        ("/max-duration?year=twenty", "year"),
        ("/max-duration?platform=hbo", "platform"),
        ("/max-duration?duration_type=hours", "duration_type"),
        ("/get_max_duration/2018/netflix/hours", "duration_type"),
        ("/score-count?platform=netflix&scored=5.5&year=2018", "scored"),
        ("/score-count?platform=netflix&scored=-1&year=2018", "scored"),
        ("/score-count?platform=netflix&scored=nan&year=2018", "scored"),
        ("/score-count?platform=netflix&scored=inf&year=2018", "scored"),
        ("/score-count?platform=netflix&scored=3", "year"),
        ("/get_score_count/netflix/high/2018", "scored"),
        ("/count-platform", "platform"),
        ("/get_count_platform/hbo", "platform"),
        ("/actor?platform=netflix&year=1800", "year"),
        ("/prod-per-country?tipo=documentary&pais=india&anio=2018", "tipo"),
        ("/prod-per-country?tipo=movie&pais=&anio=2018", "pais"),
        ("/prod-per-country?tipo=movie&pais=" + "x" * 101 + "&anio=2018", "pais"),
        ("/contents?rating=a%00b", "rating"),
        ("/contents", "rating"),
    ],
)
def test_invalid_parameter_is_a_422_naming_it(client: TestClient, url: str, parameter: str) -> None:
    body = _problem(client, url, 422)
    assert body["parameter"] == parameter
    assert body["detail"].startswith(f"{parameter}: ")
    assert body["type"] == "/problems/invalid-parameter"


HOSTILE = [
    "'; DROP TABLE catalog.titles; --",
    "netflix' OR '1'='1",
    "1; SELECT pg_sleep(5)",
    "%' --",
    "\\x27",
    "../../etc/passwd",
    "$$; DROP SCHEMA catalog CASCADE; $$",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_injection_in_any_parameter_changes_nothing(client: TestClient, hostile: str) -> None:
    routes = [
        "/max-duration?year={v}",
        "/max-duration?platform={v}",
        "/max-duration?duration_type={v}",
        "/score-count?platform={v}&scored=1&year=2018",
        "/score-count?platform=netflix&scored={v}&year=2018",
        "/score-count?platform=netflix&scored=1&year={v}",
        "/count-platform?platform={v}",
        "/actor?platform={v}&year=2018",
        "/actor?platform=netflix&year={v}",
        "/prod-per-country?tipo={v}&pais=india&anio=2018",
        "/prod-per-country?tipo=movie&pais={v}&anio=2018",
        "/prod-per-country?tipo=movie&pais=india&anio={v}",
        "/contents?rating={v}",
    ]
    for route in routes:
        response = client.get(route.format(v=hostile))
        assert response.status_code in (200, 422), (route, response.text)
        if response.status_code == 200:
            assert response.json().get("count", response.json().get("contenido")) == 0
    assert _ok(client, "/count-platform?platform=netflix")["count"] == 7
    assert _ok(client, "/health")["catalog_version"] == 5


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = _problem(client, "/get_everything", 404)
    assert body["detail"] == "no route for GET /get_everything"


def test_health_reports_the_loaded_catalog(client: TestClient) -> None:
    assert _ok(client, "/health") == {"status": "ok", "catalog_version": 5, "load_id": "known"}


def test_openapi_documents_every_route_in_one_document(client: TestClient) -> None:
    spec = _ok(client, "/openapi.json")
    assert {
        "/health",
        "/max-duration",
        "/score-count",
        "/count-platform",
        "/actor",
        "/prod-per-country",
        "/contents",
        "/get_max_duration/{year}/{platform}/{duration_type}",
        "/get_score_count/{platform}/{scored}/{year}",
        "/get_count_platform/{platform}",
        "/get_actor/{platform}/{year}",
        "/prod_per_county/{tipo}/{pais}/{anio}",
        "/get_contents/{rating}",
    } <= spec["paths"].keys()
    errors = spec["paths"]["/score-count"]["get"]["responses"]["422"]["content"]
    assert list(errors) == [PROBLEM]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_health_without_a_catalog_is_a_503_problem(client: TestClient, database_url: str) -> None:
    drop_catalog(database_url)
    try:
        body = _problem(client, "/health", 503)
        assert body["title"] == "Catalog not loaded"
        assert _problem(client, "/count-platform?platform=netflix", 503)["status"] == 503
        create_catalog(database_url, [], version=6)
        _ok(client, "/health")
        with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute("DELETE FROM catalog.meta")
        connection.close()
        assert (
            _problem(client, "/health", 503)["detail"]
            == "the catalog schema holds no loaded version"
        )
    finally:
        create_catalog(database_url, known_titles(), version=5, load_id="known")
