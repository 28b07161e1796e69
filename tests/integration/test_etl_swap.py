"""SPEC 3.9: a reader querying while loads run sees a whole old or a whole new catalog."""

import threading

import psycopg2
import pytest

from tests.support.etl import Etl, ratings_csv, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


def test_concurrent_reader_never_sees_an_empty_or_partial_catalog(etl: Etl) -> None:
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2"), DISNEY: titles_csv("s1", "s2")})
    seen: list[tuple[int, int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        connection = psycopg2.connect(etl.database_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(
                        "SELECT (SELECT count(*) FROM catalog.titles WHERE platform = 'netflix'),"
                        " (SELECT count(*) FROM catalog.titles WHERE platform = 'disney'),"
                        " (SELECT max(version) FROM catalog.meta)"
                    )
                    row = cursor.fetchone()
                    assert row is not None
                    seen.append((int(row[0]), int(row[1]), int(row[2])))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(3, 7):
            etl.upload_and_load(
                {
                    NETFLIX: titles_csv(*(f"s{i}" for i in range(n))),
                    "raw/ratings/1.csv": ratings_csv((n, 4.0, "ns1")),
                }
            )
    finally:
        stop.set()
        reader.join()

    assert not errors
    by_version = {version: (netflix, disney) for netflix, disney, version in seen}
    assert len(seen) > 20 and len(by_version) >= 2
    for version, counts in by_version.items():
        assert counts == (2 if version == 1 else version + 1, 2), (version, counts)
    assert len(set(seen)) == len(by_version), "one version always answered the same counts"
