"""Two uploads loaded at once (two Lambda containers): the load lock serialises their merges,
so each version builds on the previous one and sees its published artifacts, while each reads
its own files without waiting for the other."""

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2
import pytest

from local.notifications import Upload
from streamcat_etl import catalog_store, pipeline
from streamcat_etl.publish import publish
from tests.support.etl import Etl, ratings_csv, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"
RATINGS = "raw/ratings/1.csv"
WAITER_TIMEOUT_S = 30.0
# The load lock's bigint key as pg_locks shows an advisory lock: its high and low 32 bits.
LOCK_CLASSID, LOCK_OBJID = catalog_store.LOAD_LOCK >> 32, catalog_store.LOAD_LOCK & 0xFFFF_FFFF


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


def _in_thread(work: Callable[[], Any], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _load_lock_backends(etl: Etl, granted: bool) -> list[int]:
    """The backends holding (`granted`) or waiting in PostgreSQL for the load lock."""
    rows = etl.rows(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted = %s"
        " AND classid = %s AND objid = %s AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        granted,
        LOCK_CLASSID,
        LOCK_OBJID,
    )
    return [row[0] for row in rows]


def _await_a_lock_waiter(etl: Etl) -> list[int]:
    """The backends waiting for the load lock, once there is one; none after the timeout."""
    deadline = time.monotonic() + WAITER_TIMEOUT_S
    while not (waiters := _load_lock_backends(etl, granted=False)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return waiters


def test_a_load_racing_one_still_publishing_waits_and_trains_on_all_ratings(
    etl: Etl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load publishes only once the second is seen in pg_locks waiting for the lock
    it holds: the race is made to happen, not hoped for."""
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2")})
    publishing = threading.Event()
    holder: list[int] = []
    waiters: list[int] = []
    original = publish

    def publish_once_the_other_load_waits(*args: Any) -> str | None:
        if not publishing.is_set():
            holder.extend(_load_lock_backends(etl, granted=True))
            publishing.set()
            waiters.extend(_await_a_lock_waiter(etl))
        return original(*args)

    monkeypatch.setattr(pipeline, "publish", publish_once_the_other_load_waits)
    ratings = etl.put(RATINGS, ratings_csv((1, 4.0, "ns1"), (2, 2.0, "ns2"), (3, 5.0, "ns1")))
    disney = etl.put(DISNEY, titles_csv("s7"))
    errors: list[BaseException] = []

    first = _in_thread(lambda: etl.load(ratings), errors)
    assert publishing.wait(WAITER_TIMEOUT_S)
    second = _in_thread(lambda: etl.load(disney), errors)
    first.join()
    second.join()

    assert not errors
    assert len(holder) == 1 and len(waiters) == 1 and waiters != holder, (
        "the second load never waited for the lock"
    )
    assert etl.rows("SELECT catalog_version FROM etl.loads ORDER BY finished_at") == [
        (1,),
        (2,),
        (3,),
    ]
    assert etl.version() == 3 and etl.ids() == ["ds7", "ns1", "ns2"]
    assert etl.rows("SELECT id, score, votes FROM catalog.titles WHERE votes > 0 ORDER BY id") == [
        ("ns1", 4.5, 2),
        ("ns2", 2.0, 1),
    ]
    latest = etl.interactions(3)
    assert len(latest["userId"]) == 3, "version 3's training input lacks the ratings of version 2"


def test_concurrent_loads_of_different_platforms_both_land_once_each(etl: Etl) -> None:
    uploads: list[Upload] = [
        etl.put(NETFLIX, titles_csv("s1", "s2")),
        etl.put(DISNEY, titles_csv("s1")),
        etl.put("raw/titles/hulu_titles.csv", titles_csv("s5")),
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(len(uploads))

    def load(upload: Upload) -> Callable[[], Any]:
        return lambda: (start.wait(), etl.load(upload))

    threads = [_in_thread(load(upload), errors) for upload in uploads]
    for thread in threads:
        thread.join()

    assert not errors
    assert etl.ids() == ["ds1", "hs5", "ns1", "ns2"]
    versions = etl.rows("SELECT catalog_version FROM etl.loads ORDER BY catalog_version")
    assert versions == [(1,), (2,), (3,)] and etl.version() == 3
    assert len(etl.rows("SELECT key FROM etl.loaded_objects")) == 3


def test_a_load_reads_its_ratings_while_another_holds_the_lock(etl: Etl, database_url: str) -> None:
    """The fan-out: an invocation that finds the lock taken reads its files meanwhile (their
    Parquet reaches staging/), and merges once the lock is free."""
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2")})
    ratings = etl.put(RATINGS, ratings_csv((1, 4.0, "ns1"), (2, 2.0, "ns2")))
    holder = psycopg2.connect(database_url)
    holder.autocommit = True
    errors: list[BaseException] = []
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (catalog_store.LOAD_LOCK,))
    try:
        load = _in_thread(lambda: etl.load(ratings), errors)
        deadline = time.monotonic() + 30
        while not etl.keys(etl.layout.staging) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert etl.keys(etl.layout.staging), "the ratings were not read while the lock was held"
        assert etl.version() == 1
    finally:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (catalog_store.LOAD_LOCK,))
        holder.close()
    load.join()

    assert not errors
    assert etl.version() == 2 and etl.keys(etl.layout.staging) == []
    assert etl.rows("SELECT id, votes FROM catalog.titles ORDER BY id") == [("ns1", 1), ("ns2", 1)]
