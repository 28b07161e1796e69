"""PostgreSQL lost in the middle of a load: its session killed, or the whole server crashed
(SIGKILL, then crash recovery on restart). The catalog is then the previous one or the new one,
whole, never a mix; the load raised so SQS redelivers it, and the redelivery completes it."""

from pathlib import Path
from typing import Any

import psycopg2
import pytest
from fastapi.testclient import TestClient

from local.notifications import Upload
from local.postgres import ensure_server
from streamcat.api.app import create_whole_api_app
from streamcat_etl import catalog_store, pipeline
from tests.support.etl import Etl, ratings_csv, titles_csv
from tests.support.faults import after, before, crash, own_postgres, terminate_backend

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"
RATINGS = "raw/ratings/1.csv"

CatalogState = tuple[int | None, list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _netflix_movies(api: TestClient) -> int:
    response = api.get("/count-platform", params={"platform": "netflix"})
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def _state(etl: Etl) -> CatalogState:
    """Version, titles with their votes and link rows: enough to tell a mix from a whole."""
    titles = etl.rows("SELECT id, votes FROM catalog.titles ORDER BY id")
    links = etl.rows(
        "SELECT title_id, count(*) FROM catalog.title_cast GROUP BY title_id ORDER BY title_id"
    )
    return etl.version(), titles, links


def _first_and_second_batch(etl: Etl) -> tuple[CatalogState, tuple[Upload, ...]]:
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2"), DISNEY: titles_csv("s1")})
    batch = (
        etl.put(NETFLIX, titles_csv("s1", "s2", "s3", "s4")),
        etl.put(RATINGS, ratings_csv((1, 4.0, "ns3"), (2, 3.0, "ds1"))),
    )
    return _state(etl), batch


NEW_TITLES = [("ds1", 1), ("ns1", 0), ("ns2", 0), ("ns3", 1), ("ns4", 0)]
NEW_STATE: CatalogState = (2, NEW_TITLES, [(title, 2) for title, _ in NEW_TITLES])


def _assert_completed(etl: Etl, batch: tuple[Upload, ...], version: int) -> None:
    result = etl.load(*batch)
    assert result["swapped"] and result["catalog_version"] == version
    assert _state(etl) == (version, *NEW_STATE[1:])
    assert len(etl.interactions(version)["userId"]) == 2
    assert etl.load(*batch)["swapped"] is False


@pytest.mark.parametrize(
    "step",
    ["copy_titles", "index_staging", "copy_rating_stats", "score_titles", "make_staging_live"],
)
def test_load_session_killed_mid_load_leaves_the_old_catalog_and_the_retry_loads(
    database_url: str, bucket: str, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    etl = Etl(database_url, bucket)
    old, batch = _first_and_second_batch(etl)

    def kill_session(cursor: psycopg2.extensions.cursor, *_: object) -> None:
        terminate_backend(database_url, cursor.connection.get_backend_pid())

    with monkeypatch.context() as patch:
        fired = after(patch, catalog_store, step, kill_session)
        with pytest.raises((psycopg2.OperationalError, psycopg2.InterfaceError)):
            etl.load(*batch)
    assert fired

    assert _state(etl) == old
    assert etl.rows("SELECT to_regnamespace('catalog_staging')") == [(None,)]
    assert etl.keys(etl.layout.curated) == []
    _assert_completed(etl, batch, version=2)


@pytest.mark.parametrize(
    ("owner", "step", "expected_version"),
    [(catalog_store, "make_staging_live", 1), (pipeline, "publish", 2)],
    ids=["before-commit", "after-commit"],
)
def test_server_crash_mid_swap_recovers_a_whole_catalog_and_the_retry_loads(
    tmp_path: Path, bucket: str, owner: object, step: str, expected_version: int
) -> None:
    with own_postgres(tmp_path / "pg") as (server, url), TestClient(create_whole_api_app()) as api:
        etl = Etl(url, bucket)
        old, batch = _first_and_second_batch(etl)
        assert _netflix_movies(api) == 2
        with pytest.MonkeyPatch.context() as patch:
            hook = after if step == "make_staging_live" else before
            fired = hook(patch, owner, step, lambda *_: crash(server))
            with pytest.raises((psycopg2.OperationalError, psycopg2.InterfaceError)):
                etl.load(*batch)
        assert fired

        ensure_server(server)
        assert _state(etl) == (old if expected_version == 1 else NEW_STATE)
        assert _netflix_movies(api) == (2 if expected_version == 1 else 4), "API reconnected"
        assert etl.rows("SELECT to_regnamespace('catalog_staging')") == [(None,)]
        committed = (
            []
            if expected_version == 1
            else [
                etl.layout.training_manifest(2),
                etl.layout.ratings_parquet(1),
                etl.layout.training_part(1),
            ]
        )
        assert etl.keys(etl.layout.curated) == committed, "only artifacts of the committed catalog"
        _assert_completed(etl, batch, version=expected_version + 1)
