"""Two uploads loaded at once (two Lambda containers): the load lock serialises them whole, so
each version builds on the previous one and sees its published artifacts."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from local.notifications import Upload
from streamcat_etl import pipeline
from tests.support.etl import Etl, ratings_csv, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"
RATINGS = "raw/ratings/1.csv"
SLOW_PUBLISH_S = 0.5


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


def test_a_load_racing_one_still_publishing_waits_and_trains_on_all_ratings(
    etl: Etl, monkeypatch: pytest.MonkeyPatch
) -> None:
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2")})
    publishing = threading.Event()
    original = pipeline.publish

    def slow_publish(load: Any, sources: list[str]) -> None:
        if load.staged:
            publishing.set()
            time.sleep(SLOW_PUBLISH_S)
        original(load, sources)

    monkeypatch.setattr(pipeline, "publish", slow_publish)
    ratings = etl.put(RATINGS, ratings_csv((1, 4.0, "ns1"), (2, 2.0, "ns2"), (3, 5.0, "ns1")))
    disney = etl.put(DISNEY, titles_csv("s7"))
    errors: list[BaseException] = []

    first = _in_thread(lambda: etl.load(ratings), errors)
    assert publishing.wait(10)
    second = _in_thread(lambda: etl.load(disney), errors)
    first.join()
    second.join()

    assert not errors
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
