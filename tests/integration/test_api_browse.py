"""GET /titles and GET /titles/{id} through the composed app, against a catalog made for them:
ranking, every filter, sorts and keyset pages, cursors across a reload, the detail's copies."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from local.catalog_fixtures import CatalogTitle, create_catalog
from streamcat import db
from streamcat.api.app import create_whole_api_app

PROBLEM = "application/problem+json"


def browse_titles() -> list[CatalogTitle]:
    """Copies of one film on three platforms (one with accents and punctuation), a remake of
    another year, word and spelling neighbours of `the irishman`, and lists with near-misses."""
    t = CatalogTitle
    return [
        t(
            "ns1",
            title="pokémon: the movie",
            release_year=2000,
            genres=("anime features",),
            countries=("japan",),
            cast_members=("ash",),
            director="kunihiko yuyama, michael haigney",
            score=4.0,
            votes=10,
            date_added=datetime.date(2020, 1, 1),
        ),
        t("as1", title="pokemon the movie", release_year=2000, rating="13+"),
        t("ds1", title="pokemon the movie", release_year=2000, score=3.0, votes=3),
        t("hs1", title="pokemon the movie", release_year=1999, type="tv show"),
        t(
            "ns2",
            title="the irishman",
            release_year=2019,
            genres=("dramas",),
            countries=("united states",),
            cast_members=("robert de niro", "al pacino"),
            director="martin scorsese",
            rating="r",
            score=4.5,
            votes=100,
            date_added=datetime.date(2019, 11, 27),
        ),
        t("ns3", title="the irishman in conversation", release_year=2019, genres=("drama",)),
        # Every word too, and an id before the exact title's: only the tiers put ns2 first.
        t("ns10", title="the irishman returns", release_year=2021),
        t("ns4", title="irishmen", release_year=2010, countries=("niger",), score=4.5, votes=7),
        t("ns5", title="a man from ireland", release_year=2015, countries=("nigeria",)),
        t("as2", title="the irish man", release_year=2005, director="martin scorsese jr"),
    ]


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The catalog made afresh for each test: a test may reload it (the 409 test does)."""
    create_catalog(database_url, browse_titles(), version=3, load_id="browse")
    db.reset_shared_connection()
    with TestClient(create_whole_api_app()) as client:
        yield client


def _ok(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(client: TestClient, url: str) -> list[str]:
    return [item["id"] for item in _ok(client, url)["items"]]


def _problem(client: TestClient, url: str, status: int) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def test_search_ranks_the_exact_title_then_all_words_then_close_spellings(
    client: TestClient,
) -> None:
    ids = _ids(client, "/titles?q=The%20Irishman")
    # Exact, every word (fewer extra words first), then a close spelling.
    assert ids == ["ns2", "ns10", "ns3", "ns4"]
    # Spellings are compared by key: the article finds no more and no fewer titles.
    assert _ids(client, "/titles?q=irishman") == ids


def test_search_ignores_case_accents_and_punctuation(client: TestClient) -> None:
    assert _ids(client, "/titles?q=POKEMON%20the%20movie&platform=netflix") == ["ns1"]
    # Four exact copies: the most voted first, then by id.
    assert _ids(client, "/titles?q=pok%C3%A9mon:%20THE%20movie")[:4] == ["ns1", "ds1", "as1", "hs1"]


def test_a_misspelled_word_still_finds_the_title(client: TestClient) -> None:
    assert "ns2" in _ids(client, "/titles?q=irishmn")


def test_the_answer_has_the_documented_shape(client: TestClient) -> None:
    body = _ok(client, "/titles?q=the%20irishman&limit=1")
    assert body["items"] == [
        {
            "id": "ns2",
            "title": "the irishman",
            "platform": "netflix",
            "type": "movie",
            "release_year": 2019,
            "score": 4.5,
            "votes": 100,
        }
    ]
    assert body["total"] == 4 and body["catalog_version"] == 3
    assert isinstance(body["next_cursor"], str)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("platform=amazon&platform=Disney", {"as1", "as2", "ds1"}),
        ("type=TV%20Show", {"hs1"}),
        ("year_from=2005&year_to=2010", {"as2", "ns4"}),
        ("genre=drama", {"ns3"}),
        ("genre=dramas", {"ns2"}),
        ("country=niger", {"ns4"}),
        ("cast=al%20pacino", {"ns2"}),
        ("cast=al", set()),
        ("director=michael%20haigney", {"ns1"}),
        ("director=martin%20scorsese", {"ns2"}),
        ("rating=13%2B", {"as1"}),
        ("min_score=4.5", {"ns2", "ns4"}),
        ("min_votes=10", {"ns1", "ns2"}),
        ("q=irishman&platform=netflix&year_from=2015&year_to=2019", {"ns2", "ns3"}),
    ],
)
def test_filters_are_exact_and_combine(client: TestClient, query: str, expected: set[str]) -> None:
    body = _ok(client, f"/titles?{query}&limit=100")
    assert {item["id"] for item in body["items"]} == expected
    assert body["total"] == len(expected)


def test_sorts_break_ties_by_id_in_their_order_and_put_missing_values_last(
    client: TestClient,
) -> None:
    assert _ids(client, "/titles?sort=score&limit=5") == ["ns4", "ns2", "ns1", "ds1", "ns5"]
    assert _ids(client, "/titles?sort=score&order=asc&limit=5") == [
        "ds1",
        "ns1",
        "ns2",
        "ns4",
        "as1",
    ]
    assert _ids(client, "/titles?sort=date_added&limit=3") == ["ns1", "ns2", "ns5"]
    assert _ids(client, "/titles?sort=release_year&order=asc&limit=2") == ["hs1", "as1"]
    assert _ids(client, "/titles?sort=votes&limit=2") == ["ns2", "ns1"]
    assert _ids(client, "/titles?limit=3") == ["ns5", "ns4", "as1"]  # title A to Z, then id


@pytest.mark.parametrize(
    "query",
    ["sort=title", "sort=score", "sort=score&order=asc", "sort=date_added", "q=the%20movie"],
)
def test_pages_walk_every_match_once_in_order(client: TestClient, query: str) -> None:
    whole = _ok(client, f"/titles?{query}&limit=100")
    seen: list[str] = []
    url = f"/titles?{query}&limit=2"
    while True:
        page = _ok(client, url)
        assert page["total"] == whole["total"]
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/titles?{query}&limit=2&cursor={page['next_cursor']}"
    assert seen == [item["id"] for item in whole["items"]]


def test_a_cursor_of_another_query_or_garbage_is_a_422(client: TestClient) -> None:
    cursor = _ok(client, "/titles?sort=votes&limit=1")["next_cursor"]
    assert _problem(client, f"/titles?sort=score&cursor={cursor}", 422)["parameter"] == "cursor"
    assert _problem(client, "/titles?cursor=bm90IGpzb24", 422)["parameter"] == "cursor"


@pytest.mark.parametrize(
    "query",
    ["sort=relevance", "q=%20!!%20", "limit=0", "limit=101", "platform=nowhere", "min_votes=-1"],
)
def test_invalid_parameters_are_422(client: TestClient, query: str) -> None:
    _problem(client, f"/titles?{query}", 422)


def test_detail_lists_every_copy_with_the_same_title_and_year(client: TestClient) -> None:
    body = _ok(client, "/titles/NS1")
    assert body == {
        "id": "ns1",
        "title": "pokémon: the movie",
        "platform": "netflix",
        "type": "movie",
        "director": "kunihiko yuyama, michael haigney",
        "cast": ["ash"],
        "countries": ["japan"],
        "genres": ["anime features"],
        "release_year": 2000,
        "date_added": "2020-01-01",
        "rating": "g",
        "duration_int": 90,
        "duration_type": "min",
        "description": None,
        "score": 4.0,
        "votes": 10,
        "available_on": [
            {"id": "as1", "platform": "amazon"},
            {"id": "ds1", "platform": "disney"},
            {"id": "ns1", "platform": "netflix"},
        ],
    }
    assert _ok(client, "/titles/hs1")["available_on"] == [{"id": "hs1", "platform": "hulu"}]


def test_an_unknown_id_is_a_404_problem(client: TestClient) -> None:
    assert _problem(client, "/titles/ns999", 404)["parameter"] == "id"
    _problem(client, "/titles/not-an-id", 422)


def test_a_cursor_of_an_older_catalog_is_a_409(database_url: str) -> None:
    create_catalog(database_url, browse_titles(), version=7)
    db.reset_shared_connection()
    with TestClient(create_whole_api_app()) as client:
        cursor = _ok(client, "/titles?limit=2")["next_cursor"]
        create_catalog(database_url, browse_titles(), version=8)
        body = _problem(client, f"/titles?limit=2&cursor={cursor}", 409)
    assert body["parameter"] == "cursor" and "version 7" in body["detail"]
