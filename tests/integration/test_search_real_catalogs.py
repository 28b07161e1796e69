"""GET /titles' known-item ranking on the real catalogs: the title a person types comes first,
ahead of the longer titles that hold its words, and relevance pages walk every match once."""

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import extensions

from local.catalog_fixtures import create_catalog, generated_rated_catalog
from streamcat.queries.titles import Filters, Order, Sort, TitleItem, search_page


@pytest.fixture(scope="module")
def cursor(
    database_url: str, real_titles_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[extensions.cursor]:
    """The real catalogs, cleaned by the ETL's rules and scored from a few generated ratings
    (votes break ties among equals; the meant titles below must win whatever they are)."""
    rated = generated_rated_catalog(real_titles_dir, tmp_path_factory.mktemp("ratings"), 20_000)
    create_catalog(database_url, rated.catalog_rows(), load_id="real-search")
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        yield cursor
    connection.close()


def _ranked(cursor: extensions.cursor, q: str, limit: int = 10) -> list[TitleItem]:
    page = search_page(cursor, Filters(q=q), sort=Sort.RELEVANCE, order=Order.ASC, limit=limit)
    return page.items


@pytest.mark.parametrize(
    ("q", "meant"),
    [
        ("crown", "the crown"),
        ("irishman", "the irishman"),
        ("office", "the office"),
        ("mandalorian", "the mandalorian"),
        ("simpsons", "the simpsons"),
        ("the simpsons", "the simpsons"),
        ("narcos", "narcos"),
        ("rain", "the rain"),
        ("THE IRISHMAN", "the irishman"),
        ("casa de papel", "la casa de papel"),
    ],
)
def test_the_title_a_person_types_comes_first(
    cursor: extensions.cursor, q: str, meant: str
) -> None:
    assert _ranked(cursor, q)[0].title == meant


def test_without_an_exact_title_the_fewest_extra_words_come_first(
    cursor: extensions.cursor,
) -> None:
    """No title is `batman`; `batman & bill` has one word more, the clip three."""
    titles = [item.title for item in _ranked(cursor, "batman")]
    assert titles[0] == "batman & bill"
    assert titles.index("batman & bill") < titles.index("clip: lego batman gameplay")


def test_every_copy_of_the_exact_title_comes_before_its_extensions(
    cursor: extensions.cursor,
) -> None:
    titles = [item.title for item in _ranked(cursor, "simpsons")]
    assert titles[:3] == ["the simpsons", "the simpsons", "simpsons movie"]


@pytest.mark.parametrize(
    ("q", "meant"),
    [("irishmn", "the irishman"), ("rogue wafrare", "rogue warfare"), ("simsons", "the simpsons")],
)
def test_a_misspelled_title_is_still_found_first(
    cursor: extensions.cursor, q: str, meant: str
) -> None:
    assert _ranked(cursor, q)[0].title == meant


@pytest.mark.parametrize("q", ["crown", "love", "simsons"])
def test_relevance_pages_walk_every_match_once_in_order(cursor: extensions.cursor, q: str) -> None:
    whole = search_page(cursor, Filters(q=q), sort=Sort.RELEVANCE, order=Order.ASC, limit=100)
    seen: list[str] = []
    after = None
    while True:
        page = search_page(
            cursor, Filters(q=q), sort=Sort.RELEVANCE, order=Order.ASC, limit=50, after=after
        )
        assert page.total == whole.total
        seen += [item.id for item in page.items]
        if page.last is None:
            break
        after = page.last
    assert len(seen) == len(set(seen)) == whole.total
    assert seen[:100] == [item.id for item in whole.items]
