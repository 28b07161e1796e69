"""Every query statement is answered from its index, on a catalog of realistic size."""

from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import extensions

from local.catalog_fixtures import create_catalog, generated_titles
from streamcat.queries import (
    actor,
    catalog_meta,
    contents,
    count_platform,
    max_duration,
    prod_per_country,
    score_count,
    titles,
)


@pytest.fixture(scope="module")
def cursor(database_url: str) -> Iterator[extensions.cursor]:
    create_catalog(database_url, generated_titles(per_platform=2000))
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog.titles, catalog.title_cast, catalog.title_countries")
        yield cursor
    connection.close()


def _plan(cursor: extensions.cursor, statement: str, args: dict[str, object]) -> str:
    cursor.execute("EXPLAIN (COSTS OFF) " + statement, args)
    return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("statement", "args", "index"),
    [
        (
            max_duration.SQL,
            {"duration_type": "min", "platform": "netflix", "year": 2018},
            "titles_platform_duration",
        ),
        (
            max_duration.SQL,
            {"duration_type": "min", "platform": None, "year": None},
            "titles_duration",
        ),
        (max_duration.SQL, {"duration_type": "season", "platform": None, "year": 2018}, "titles_"),
        (
            score_count.SQL,
            {"platform": "netflix", "scored": 3.5, "year": 2018},
            "titles_platform_type_year_score",
        ),
        (count_platform.SQL, {"platform": "netflix"}, "titles_platform_type_year_score"),
        (actor.SQL, {"platform": "netflix", "year": 2018}, "title_cast_platform_year"),
        (actor.HAS_CAST_SQL, {"platform": "hulu"}, "title_cast_platform_year"),
        (
            prod_per_country.SQL,
            {"type": "movie", "country": "india", "year": 2018},
            "title_countries_lookup",
        ),
        (contents.SQL, {"rating": "tv-ma"}, "titles_rating"),
        (catalog_meta.SQL, {}, "meta_pkey"),
    ],
)
def test_statement_uses_its_index(
    cursor: extensions.cursor, statement: str, args: dict[str, object], index: str
) -> None:
    plan = _plan(cursor, statement, args)
    assert "Seq Scan" not in plan, plan
    assert f"using {index}" in plan or f"on {index}" in plan, plan


def _page_plan(cursor: extensions.cursor, filters: titles.Filters, sort: titles.Sort) -> str:
    """The plan of a first page of GET /titles, as the route sends it."""
    statement = titles.page_sql(filters, sort, titles.Order.ASC, None).as_string(cursor)
    return _plan(cursor, statement, titles.page_args(filters, 20, None))


@pytest.mark.parametrize(
    ("filters", "sort", "indexes"),
    [
        (
            titles.Filters(q="netflx ttle 1999"),
            titles.Sort.RELEVANCE,
            ("titles_search_words", "titles_search_trigrams"),
        ),
        # Every generated netflix title holds "netflix title": the planner rightly starts from
        # the filters' index then.
        (
            titles.Filters(q="netflix title 1999", platforms=("netflix",), type="movie"),
            titles.Sort.RELEVANCE,
            ("titles_",),
        ),
        (titles.Filters(cast="actor 17"), titles.Sort.TITLE, ("titles_cast",)),
        (titles.Filters(director="someone"), titles.Sort.VOTES, ("titles_directors",)),
        (titles.Filters(country="niger", genre="kids"), titles.Sort.SCORE, ("titles_",)),
    ],
)
def test_search_uses_its_indexes(
    cursor: extensions.cursor,
    filters: titles.Filters,
    sort: titles.Sort,
    indexes: tuple[str, ...],
) -> None:
    plan = _page_plan(cursor, filters, sort)
    assert "Seq Scan on titles" not in plan, plan
    for index in indexes:
        assert f"on {index}" in plan, plan


def test_detail_and_its_copies_use_their_indexes(cursor: extensions.cursor) -> None:
    plan = _plan(cursor, titles.DETAIL_SQL, {"id": "ns12"})
    assert "Seq Scan" not in plan, plan
    assert "titles_pkey" in plan and "titles_copies" in plan, plan
