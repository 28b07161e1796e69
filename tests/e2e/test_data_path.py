"""The whole data path, black box, through the stack's outputs only: upload a catalog and
ratings, wait for the reload and the model, call every route of the template, upload a bad
file and see it quarantined while the catalog keeps serving, and find the dead-letter queues
empty. The same tests run against the local stack and against a deployed one."""

import datetime
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from local.api_gateway import http_routes
from local.ratings_generator import generate_ratings
from local.template import LocalStack, load_template
from local.titles_generator import generate_catalogs
from streamcat.platforms import TITLES_FILES
from tests.e2e.target import Target

LOAD_TIMEOUT_S = 300.0
RATINGS = 30_000


@pytest.fixture(scope="module")
def loaded(target: Target, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A generated catalog and ratings uploaded as a data engineer would; the health answer
    once both the catalog and a model built on it serve."""
    folder = tmp_path_factory.mktemp("data")
    generate_catalogs(folder / "titles")
    generate_ratings(folder / "titles", folder / "ratings", n_ratings=RATINGS, n_files=2)
    uploads = {f"raw/titles/{name}": folder / "titles" / name for name in TITLES_FILES.values()}
    uploads |= {f"raw/ratings/{p.name}": p for p in sorted((folder / "ratings").glob("*.csv"))}
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    s3 = target.client("s3")
    for key, path in uploads.items():
        s3.upload_file(str(path), target.bucket, key)
    version = _wait_for(lambda: _loaded_version(target, set(uploads), started), "the loads")
    health = _wait_for(lambda: _catalog_at_least(target, version), "the catalog to reload")
    sample = _get(target, "/max-duration?platform=netflix&duration_type=min")[1]
    _wait_for(
        lambda: _get(target, f"/recommendations?id={sample['id']}")[0] == 200,
        "recommendations from a model of the new catalog",
    )
    return {"health": health, "sample": sample}


def _requests(sample: dict[str, Any]) -> dict[str, str]:
    """One request per route of the template, by route key."""
    title = quote(sample["title"])
    return {
        "GET /max-duration": "/max-duration?platform=netflix&duration_type=min",
        "GET /get_max_duration/{year}/{platform}/{duration_type}": (
            f"/get_max_duration/{sample['release_year']}/netflix/min"
        ),
        "GET /score-count": "/score-count?platform=netflix&scored=3&year=2019",
        "GET /get_score_count/{platform}/{scored}/{year}": "/get_score_count/netflix/3/2019",
        "GET /count-platform": "/count-platform?platform=hulu",
        "GET /get_count_platform/{platform}": "/get_count_platform/disney",
        "GET /actor": "/actor?platform=netflix&year=2019",
        "GET /get_actor/{platform}/{year}": "/get_actor/amazon/2019",
        "GET /prod-per-country": "/prod-per-country?tipo=movie&pais=united%20states&anio=2019",
        "GET /prod_per_county/{tipo}/{pais}/{anio}": "/prod_per_county/movie/india/2019",
        "GET /contents": "/contents?rating=tv-ma",
        "GET /get_contents/{rating}": "/get_contents/pg-13",
        "GET /recommendations": f"/recommendations?id={sample['id']}",
        "GET /get_recommendation/{titulo}": f"/get_recommendation/{title}",
        "GET /titles": f"/titles?q={title}&platform=netflix&type=movie&limit=5",
        "GET /titles/{id}": f"/titles/{sample['id']}",
        "GET /docs": "/docs",
        "GET /docs/{asset}": "/docs/swagger-ui-bundle.js",
        "GET /openapi.json": "/openapi.json",
        "GET /health": "/health",
    }


def test_every_route_of_the_template_answers(target: Target, loaded: dict[str, Any]) -> None:
    requests = _requests(loaded["sample"])
    routes = {route.key for route in http_routes(LocalStack(load_template()))}
    assert set(requests) == routes, "every route needs an end-to-end request"

    answers = {key: _get(target, path) for key, path in requests.items()}

    failed = {key: answer for key, answer in answers.items() if answer[0] != 200}
    assert failed == {}
    recommended = answers["GET /recommendations"][1]
    assert recommended["id"] == loaded["sample"]["id"]
    assert len(recommended["recommendations"]) == 5
    assert answers["GET /count-platform"][1]["count"] > 0
    assert answers["GET /titles/{id}"][1]["id"] == loaded["sample"]["id"]
    first = answers["GET /titles"][1]["items"][0]  # the exact title ranks first
    assert first["title"] == loaded["sample"]["title"]


def test_bad_input_is_a_problem_not_a_crash(target: Target, loaded: dict[str, Any]) -> None:
    status, body = _get(target, "/count-platform?platform=nowhere")
    assert status == 422 and body["parameter"] == "platform"
    assert _get(target, "/no-such-route")[0] == 404


def test_a_bad_file_is_quarantined_and_the_catalog_keeps_serving(
    target: Target, loaded: dict[str, Any]
) -> None:
    key = "raw/titles/hulu_titles.csv"
    s3 = target.client("s3")
    s3.put_object(Bucket=target.bucket, Key=key, Body=b"not,a,catalog\n1,2,3\n")

    report = _wait_for(lambda: _object(target, f"quarantine/{key}.error.json"), "the quarantine")

    assert "hulu_titles.csv" in report
    assert _get(target, "/health") == (200, loaded["health"])
    assert _get(target, "/count-platform?platform=hulu")[0] == 200


def test_no_message_waits_in_a_dead_letter_queue(target: Target, loaded: dict[str, Any]) -> None:
    sqs = target.client("sqs")
    for url in target.dead_letter_queues:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        assert sum(int(count) for count in attributes.values()) == 0, url


def _get(target: Target, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(target.api_url + path, headers={"accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _body(response.read(), response.headers)
    except urllib.error.HTTPError as error:
        return error.code, _body(error.read(), error.headers)


def _body(raw: bytes, headers: Any) -> Any:
    return json.loads(raw) if "json" in headers.get("content-type", "") else raw.decode()


def _loaded_version(target: Target, keys: set[str], since: datetime.datetime) -> int | None:
    """The catalog version that holds every uploaded file, from the loads' data-quality
    reports (a batch of uploads may be loaded by several invocations)."""
    s3 = target.client("s3")
    listing = s3.list_objects_v2(Bucket=target.bucket, Prefix="reports/loads/")
    loaded: set[str] = set()
    versions = []
    for item in listing.get("Contents", []):
        if item["LastModified"] >= since:
            report = json.loads(s3.get_object(Bucket=target.bucket, Key=item["Key"])["Body"].read())
            loaded |= {f["key"] for f in report["files"] if f["status"] == "loaded"}
            versions.append(int(report["catalog_version"]))
    return max(versions) if keys <= loaded else None


def _catalog_at_least(target: Target, version: int) -> dict[str, Any] | None:
    status, body = _get(target, "/health")
    return body if status == 200 and int(body["catalog_version"]) >= version else None


def _object(target: Target, key: str) -> str | None:
    s3 = target.client("s3")
    try:
        return str(s3.get_object(Bucket=target.bucket, Key=key)["Body"].read().decode())
    except s3.exceptions.NoSuchKey:
        return None


def _wait_for[T](probe: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(1)
    raise AssertionError(f"gave up waiting for {what} after {LOAD_TIMEOUT_S:.0f} s")
