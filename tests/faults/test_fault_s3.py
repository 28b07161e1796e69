"""S3 unreachable at a chosen step of a load: the load raises (so SQS redelivers), curated/
holds no artifact of an uncommitted catalog, the catalog is the old one or the new one whole,
the API keeps answering, and the redelivery completes everything."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import botocore.exceptions
import pytest
from fastapi.testclient import TestClient

from streamcat import db
from streamcat.api.app import create_whole_api_app
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from streamcat_etl import handler, pipeline, quarantine
from streamcat_etl.plan import Bucket
from tests.support.etl import Etl, ratings_csv, titles_csv
from tests.support.faults import dead_s3

NETFLIX = "raw/titles/netflix_titles.csv"
HULU = "raw/titles/hulu_titles.csv"
RATINGS = "raw/ratings/1.csv"
OLD_IDS = ["ns1", "ns2"]
NEW_IDS = ["ns1", "ns2", "ns3"]
OLD, NEW = (1, OLD_IDS), (2, NEW_IDS)
"""(catalog version, ids): the catalog before the batch, and the one the batch swaps in."""
LIVE_AFTER_THE_OUTAGE = {
    "download": OLD,
    "upload": OLD,
    "reject": OLD,
    "publish": NEW,
    "file_report": NEW,
}
"""Which catalog serves once S3 went away at each step: the old one until the swap commits (the
download, the staged uploads and the quarantine come before it), the new one whole after."""


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    db.reset_shared_connection()
    with TestClient(create_whole_api_app()) as client:
        yield client


def _netflix_movies(api: TestClient) -> int:
    response = api.get("/count-platform", params={"platform": "netflix"})
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def _cut_s3_at(patch: pytest.MonkeyPatch, step: str) -> list[int]:
    """From `step` on, the load's S3 client reaches nothing (`upload`: only the workers' uploads
    of their staged outputs fail, after the sums were handed over)."""
    if step == "download":
        patch.setattr(handler, "s3_client", dead_s3)
        return [1]
    if step == "upload":
        fired: list[int] = []
        client, staging = s3_client(), get_settings().staging_prefix
        put_object = client.put_object

        def unreachable(**request: Any) -> Any:
            if not request["Key"].startswith(staging):
                return put_object(**request)
            fired.append(1)
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

        patch.setattr(client, "put_object", unreachable)
        return fired
    owner = quarantine if step == "reject" else pipeline
    return _with_dead_s3(patch, owner, step)


def _with_dead_s3(patch: pytest.MonkeyPatch, owner: object, step: str) -> list[int]:
    """`owner.step`, whose first argument is the load's bucket, given a client that reaches
    nothing, from its first call on."""
    original, fired = getattr(owner, step), []

    def unreachable(bucket: Bucket, *args: Any) -> Any:
        fired.append(1)
        return original(replace(bucket, s3=dead_s3()), *args)

    patch.setattr(owner, step, unreachable)
    return fired


@pytest.mark.parametrize("step", list(LIVE_AFTER_THE_OUTAGE))
def test_s3_outage_fails_the_load_cleanly_and_the_redelivery_completes_it(
    etl: Etl, api: TestClient, step: str
) -> None:
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2")})
    curated_before = etl.keys(etl.layout.curated)
    batch = (
        etl.put(NETFLIX, titles_csv("s1", "s2", "s3")),
        etl.put(RATINGS, ratings_csv((1, 4.0, "ns1"), (2, 3.0, "ns3"))),
        etl.put(HULU, b"not,a,titles,file\n1,2,3,4\n"),
    )

    with pytest.MonkeyPatch.context() as patch:
        fired = _cut_s3_at(patch, step)
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            etl.load(*batch)
    assert fired

    failed_version, live_ids = LIVE_AFTER_THE_OUTAGE[step]
    assert (etl.version(), etl.ids()) == (failed_version, live_ids)
    assert etl.rows("SELECT to_regnamespace('catalog_staging')") == [(None,)]
    assert _netflix_movies(api) == len(live_ids)
    if step != "file_report":
        assert etl.keys(etl.layout.curated) == curated_before, "nothing published when S3 went away"

    retried = etl.load(*batch)

    assert retried["swapped"] and retried["catalog_version"] == failed_version + 1
    assert etl.ids() == NEW_IDS and _netflix_movies(api) == 3
    assert [(r["userId"], r["movieId"]) for r in etl.parquet(1)] == [(1, "ns1"), (2, "ns3")]
    assert len(etl.interactions(failed_version + 1)["userId"]) == 2
    assert etl.layout.quarantined(HULU) in etl.keys(etl.layout.quarantine)
    assert etl.report(retried["load_id"])["catalog_version"] == failed_version + 1
    assert etl.load(*batch)["swapped"] is False, "once complete, a redelivery changes nothing"
