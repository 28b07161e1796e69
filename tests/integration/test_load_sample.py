"""The load test's parameters for /max-duration and /actor are combinations the catalog answers,
and its deliberate /actor 404s a platform without cast: in the load test, a 404 from a query
route is an error, so the mix must not ask for what does not exist."""

import random
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import psycopg2
import pytest
from psycopg2 import extensions

from bench.load import ROUTES, CatalogSample, sample_catalog
from local.catalog_fixtures import create_catalog, generated_titles
from streamcat.queries.actor import top_actor
from streamcat.queries.max_duration import max_duration


@pytest.fixture(scope="module")
def sample(database_url: str) -> CatalogSample:
    create_catalog(database_url, generated_titles(per_platform=60), load_id="load-sample")
    return sample_catalog(database_url, size=50)


@pytest.fixture(scope="module")
def cursor(database_url: str, sample: CatalogSample) -> Iterator[extensions.cursor]:
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        yield cursor
    connection.close()


def _params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_every_max_duration_draw_has_an_answer(
    sample: CatalogSample, cursor: extensions.cursor
) -> None:
    assert sample.durations
    rng = random.Random(3)
    for _ in range(40):
        params = _params(ROUTES["max_duration"].build(rng, sample))
        year, platform, kind = params["year"], params["platform"], params["duration_type"]
        assert max_duration(cursor, duration_type=kind, platform=platform, year=int(year))
        alias = ROUTES["max_duration_alias"].build(rng, sample)
        year, platform, kind = alias.rsplit("/", 3)[1:]
        assert max_duration(cursor, duration_type=kind, platform=platform, year=int(year))


def test_every_actor_draw_has_an_answer(sample: CatalogSample, cursor: extensions.cursor) -> None:
    assert sample.casts
    rng = random.Random(4)
    for _ in range(40):
        params = _params(ROUTES["actor"].build(rng, sample))
        assert top_actor(cursor, platform=params["platform"], year=int(params["year"]))
        platform, year = ROUTES["actor_alias"].build(rng, sample).rsplit("/", 2)[1:]
        assert top_actor(cursor, platform=platform, year=int(year))


def test_the_deliberate_actor_404s_ask_a_platform_without_cast(
    sample: CatalogSample, cursor: extensions.cursor
) -> None:
    assert sample.castless == ["hulu"]
    rng = random.Random(5)
    for _ in range(20):
        params = _params(ROUTES["not_found_cast"].build(rng, sample))
        assert params["platform"] == "hulu"
        assert top_actor(cursor, platform="hulu", year=int(params["year"])) is None
