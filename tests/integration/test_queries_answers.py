"""Each query function against a real catalog with answers worked out by hand."""

from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from psycopg2 import extensions

from local.catalog_fixtures import create_catalog
from streamcat.queries.actor import TopActor, platform_has_cast, top_actor
from streamcat.queries.catalog_meta import catalog_version
from streamcat.queries.contents import contents
from streamcat.queries.count_platform import count_platform
from streamcat.queries.max_duration import max_duration
from streamcat.queries.prod_per_country import prod_per_country
from streamcat.queries.score_count import score_count
from tests.support.catalog import known_titles


@pytest.fixture(scope="module")
def cursor(database_url: str) -> Iterator[extensions.cursor]:
    create_catalog(database_url, known_titles(), version=3, load_id="known")
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        yield cursor
    connection.close()


@pytest.mark.parametrize(
    ("filters", "expected_id"),
    [
        ({}, "as1"),
        ({"platform": "netflix", "year": 2018}, "ns1"),  # ns1, ns2, ns10 tie at 150: smallest id
        ({"platform": "netflix"}, "ns5"),
        ({"year": 2017}, "ns8"),
        ({"duration_type": "season"}, "ds1"),
        ({"duration_type": "season", "platform": "hulu", "year": 2018}, "hs2"),
    ],
)
def test_max_duration_picks_the_longest_and_breaks_ties_by_smallest_id(
    cursor: extensions.cursor, filters: dict[str, Any], expected_id: str
) -> None:
    longest = max_duration(cursor, **filters)
    assert longest is not None
    assert longest.id == expected_id


def test_max_duration_returns_every_field_of_the_answer(cursor: extensions.cursor) -> None:
    longest = max_duration(cursor, duration_type="season", platform="disney")
    assert longest is not None
    assert longest._asdict() == {
        "id": "ds1",
        "title": "a title",
        "platform": "disney",
        "release_year": 2010,
        "duration_int": 10,
        "duration_type": "season",
    }


def test_max_duration_is_none_when_nothing_matches(cursor: extensions.cursor) -> None:
    assert max_duration(cursor, year=1950) is None
    assert max_duration(cursor, duration_type="season", platform="amazon") is None


@pytest.mark.parametrize(
    ("platform", "scored", "year", "expected"),
    [
        ("netflix", 3.5, 2018, 2),  # ns2 scores exactly 3.5: strictly greater only
        ("netflix", 0, 2018, 3),  # ns3 is unscored and never counts; ns4 is a tv show
        ("netflix", 4.5, 2018, 0),
        ("hulu", 4.0, 2018, 1),
        ("amazon", 0, 2018, 1),
        ("disney", 0, 2010, 0),
    ],
)
def test_score_count_counts_scored_movies_strictly_above(
    cursor: extensions.cursor, platform: str, scored: float, year: int, expected: int
) -> None:
    assert score_count(cursor, platform=platform, scored=scored, year=year) == expected


@pytest.mark.parametrize(
    ("platform", "expected"), [("netflix", 7), ("hulu", 1), ("amazon", 2), ("disney", 0)]
)
def test_count_platform_counts_movies_only(
    cursor: extensions.cursor, platform: str, expected: int
) -> None:
    assert count_platform(cursor, platform=platform) == expected


def test_actor_counts_titles_of_any_type(cursor: extensions.cursor) -> None:
    assert top_actor(cursor, platform="netflix", year=2018) == TopActor("alice", 3)


def test_actor_ties_go_to_the_alphabetically_first(cursor: extensions.cursor) -> None:
    assert top_actor(cursor, platform="netflix", year=2017) == TopActor("yan", 2)


def test_actor_is_none_without_cast_and_says_why(cursor: extensions.cursor) -> None:
    assert top_actor(cursor, platform="hulu", year=2018) is None
    assert not platform_has_cast(cursor, platform="hulu")
    assert top_actor(cursor, platform="netflix", year=1999) is None
    assert platform_has_cast(cursor, platform="netflix")


@pytest.mark.parametrize(
    ("title_type", "country", "year", "expected"),
    [
        ("movie", "india", 2018, 3),
        ("tv show", "india", 2018, 1),
        ("movie", "niger", 2018, 1),  # not nigeria's ns10
        ("movie", "nigeria", 2018, 1),
        ("movie", "nige", 2018, 0),
        ("movie", "united states", 2018, 2),
        ("movie", "india", 2019, 1),
    ],
)
def test_prod_per_country_matches_the_exact_country(
    cursor: extensions.cursor, title_type: str, country: str, year: int, expected: int
) -> None:
    assert prod_per_country(cursor, title_type=title_type, country=country, year=year) == expected


@pytest.mark.parametrize(("rating", "expected"), [("tv-ma", 4), ("13+", 2), ("tv-", 0), ("", 0)])
def test_contents_counts_titles_with_the_exact_rating(
    cursor: extensions.cursor, rating: str, expected: int
) -> None:
    assert contents(cursor, rating=rating) == expected


@pytest.mark.parametrize(
    "hostile", ["'; DROP TABLE catalog.titles; --", "x' OR '1'='1", "netflix' --", "%", "_"]
)
def test_injection_strings_are_plain_values(cursor: extensions.cursor, hostile: str) -> None:
    assert contents(cursor, rating=hostile) == 0
    assert prod_per_country(cursor, title_type="movie", country=hostile, year=2018) == 0
    assert count_platform(cursor, platform=hostile) == 0
    assert count_platform(cursor, platform="netflix") == 7


def test_catalog_version_reads_meta(cursor: extensions.cursor) -> None:
    loaded = catalog_version(cursor)
    assert loaded is not None
    assert (loaded.version, loaded.load_id) == (3, "known")
