"""docs/etl.md, the atomic swap: a reader querying while loads run sees a whole old or a whole new
catalog: before each swap, while the swap's transaction is open, and after it commits."""

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg2
import pytest

from streamcat_etl import catalog_store
from tests.support.etl import Etl, ratings_csv, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"
WAIT_S = 30.0
"""How long a step may take before the test fails: a bound, never a pace."""
Counts = tuple[int, int, int]


class Reader:
    """A session of its own, as an API function's: the Netflix and Disney title counts and the
    catalog version in one statement."""

    def __init__(self, database_url: str) -> None:
        self.connection = psycopg2.connect(database_url)
        self.connection.autocommit = True
        self.pid = self.connection.get_backend_pid()

    def read(self) -> Counts:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM catalog.titles WHERE platform = 'netflix'),"
                " (SELECT count(*) FROM catalog.titles WHERE platform = 'disney'),"
                " (SELECT max(version) FROM catalog.meta)"
            )
            row = cursor.fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


@pytest.fixture
def reader(database_url: str) -> Iterator[Reader]:
    reader = Reader(database_url)
    yield reader
    reader.connection.close()


def _whole(version: int) -> Counts:
    """What catalog `version` holds: two Disney titles throughout, Netflix two in version 1 and
    one more than the version after."""
    return 2 if version == 1 else version + 1, 2, version


def _waiting_for_a_lock(etl: Etl, pid: int) -> bool:
    rows = etl.rows("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid)
    return rows == [("Lock",)]


def _await(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {WAIT_S:.0f} s"
        time.sleep(0.02)


def _read_in_the_open_swap(pool: ThreadPoolExecutor, etl: Etl, reader: Reader) -> Future[Counts]:
    """A read issued while the swap is held open: answered already, or waiting for its lock."""
    during = pool.submit(reader.read)
    _await(lambda: during.done() or _waiting_for_a_lock(etl, reader.pid), "read in the open swap")
    return during


def test_a_reader_sees_a_whole_catalog_before_during_and_after_each_swap(
    etl: Etl, reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each swap is held open (renamed, not committed) until the test has issued a read in it:
    that read either answers from the old catalog or waits for the commit and answers from the
    new one, whole either way."""
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2"), DISNEY: titles_csv("s1", "s2")})
    swapped, release = threading.Event(), threading.Event()
    original = catalog_store.make_staging_live

    def held_open(cursor: psycopg2.extensions.cursor) -> None:
        original(cursor)
        swapped.set()
        release.wait(WAIT_S)

    monkeypatch.setattr(catalog_store, "make_staging_live", held_open)
    with ThreadPoolExecutor(2) as pool:
        for version in range(2, 6):
            swapped.clear()
            release.clear()
            before = reader.read()
            files = {
                NETFLIX: titles_csv(*(f"s{i}" for i in range(version + 1))),
                "raw/ratings/1.csv": ratings_csv((version, 4.0, "ns1")),
            }
            loading = pool.submit(etl.upload_and_load, files)
            try:
                assert swapped.wait(WAIT_S), "the load never reached its swap"
                during = _read_in_the_open_swap(pool, etl, reader)
            finally:
                release.set()
            assert loading.result(WAIT_S)["catalog_version"] == version
            after = reader.read()

            assert before == _whole(version - 1)
            assert during.result(WAIT_S) in (_whole(version - 1), _whole(version))
            assert after == _whole(version)
