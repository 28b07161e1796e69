"""The training function's switch on real PostgreSQL and the template's cloud (its bucket, its
EMR Serverless application and roles, IAM enforced), as TrainFunction's role: past the threshold
a job run is started (once per manifest, however often SQS delivers it) with its inputs staged
and nothing trained here; at or under it the function trains itself. A run's end comes back as
EventBridge's event: a failed or cancelled run is reported and publishes nothing. No Spark here:
tests/integration/test_spark_training.py runs the jobs."""

import hashlib
import json
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from local.catalog_fixtures import RatedCatalog, create_catalog, generated_rated_catalog
from local.cloud import LocalCloud
from local.emr_serverless import state_change_event
from local.iam import client
from local.lambda_context import LocalLambdaContext
from local.moto_server import JOB_RUN_STATE_PATH
from local.notifications import Upload, sqs_event
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.training_input import manifest_bytes
from streamcat_train.handler import lambda_handler
from streamcat_train.spark_jobs import JOB_SCRIPT
from tests.support.cloud import act_as, deployer_s3
from tests.support.recommend import subset_titles_dir

VERSION = 3
CONTEXT = cast(Any, LocalLambdaContext())
SPARK_JOB = Path(__file__).resolve().parents[2] / "etl" / "spark" / "train_job.py"


@pytest.fixture(scope="module")
def data(titles_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RatedCatalog:
    titles = subset_titles_dir(titles_dir, tmp_path_factory.mktemp("titles"), 100)
    return generated_rated_catalog(titles, tmp_path_factory.mktemp("ratings"), 20_000, seed=5)


@dataclass(frozen=True)
class Manifest:
    key: str
    load_id: str


@pytest.fixture
def manifest(database_url: str, bucket: str, data: RatedCatalog) -> Manifest:
    """Catalog version 3 loaded by a load of its own (the session's application keeps every
    run, and a load's runs are started once), its training part written and its manifest
    uploaded; the process then acts as TrainFunction."""
    create_catalog(database_url, data.catalog_rows(), version=VERSION)
    layout = S3Layout.of(get_settings())
    part, parquet = layout.training_part(1), layout.ratings_parquet(1)
    s3 = deployer_s3()
    s3.put_object(Bucket=bucket, Key=part, Body=data.training_part_bytes())
    uploaded = Manifest(layout.training_manifest(VERSION), f"test-{uuid.uuid4().hex[:12]}")
    body = manifest_bytes(uploaded.load_id, [part], [parquet], len(data.ratings.user))
    s3.put_object(Bucket=bucket, Key=uploaded.key, Body=body)
    act_as("TrainFunction")
    return uploaded


def _switch_at(monkeypatch: pytest.MonkeyPatch, cloud: LocalCloud, threshold: int) -> None:
    """TrainFunction's Spark variables as the template resolves them locally."""
    monkeypatch.setenv("SPARK_APPLICATION_ID", cloud.resources["SparkApplication"]["Ref"])
    monkeypatch.setenv("SPARK_JOB_ROLE_ARN", cloud.resources["SparkJobRole"]["Arn"])
    monkeypatch.setenv("SPARK_TRAINING_THRESHOLD", str(threshold))
    get_settings.cache_clear()


def _manifest_event(bucket: str, key: str) -> dict[str, Any]:
    return sqs_event(bucket, Upload(key, etag="", sequencer="0A"))


def _job_runs(cloud: LocalCloud) -> list[dict[str, Any]]:
    emr = client("emr-serverless", cloud.endpoint_url, cloud.region, cloud.deployer)
    application_id = cloud.resources["SparkApplication"]["Ref"]
    runs = emr.list_job_runs(applicationId=application_id)["jobRuns"]
    return [emr.get_job_run(applicationId=application_id, jobRunId=r["id"])["jobRun"] for r in runs]


def _start_as_deployer(cloud: LocalCloud, name: str, token: str) -> str:
    """A run of the application started by someone else than TrainFunction; its id."""
    emr = client("emr-serverless", cloud.endpoint_url, cloud.region, cloud.deployer)
    started = emr.start_job_run(
        applicationId=cloud.resources["SparkApplication"]["Ref"],
        clientToken=token,
        executionRoleArn=cloud.resources["SparkJobRole"]["Arn"],
        name=name,
        jobDriver={"sparkSubmit": {"entryPoint": "s3://elsewhere/job.py"}},
    )
    run_id: str = started["jobRunId"]
    return run_id


def _published(bucket: str) -> list[str]:
    layout = S3Layout.of(get_settings())
    listing = deployer_s3().list_objects_v2(Bucket=bucket, Prefix=f"{layout.models}recommender/")
    return [found["Key"] for found in listing.get("Contents", [])]


def _end(cloud: LocalCloud, run: dict[str, Any], state: str, details: str) -> dict[str, Any]:
    """The run ends as EMR Serverless ends it (its state set on the service's side), and
    EventBridge's event of that end."""
    change = {
        "region": cloud.region,
        "applicationId": run["applicationId"],
        "jobRunId": run["jobRunId"],
        "state": state,
        "stateDetails": details,
    }
    request = urllib.request.Request(
        cloud.endpoint_url + JOB_RUN_STATE_PATH, data=json.dumps(change).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        previous = json.loads(answer.read())["previousState"]
    return state_change_event(run, state, previous, "123456789012", cloud.region)


def test_past_the_threshold_a_job_run_is_started_once_and_nothing_is_trained_here(
    manifest: Manifest,
    bucket: str,
    data: RatedCatalog,
    template_cloud: LocalCloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ratings = len(data.ratings.user)
    _switch_at(monkeypatch, template_cloud, ratings - 1)

    result = lambda_handler(_manifest_event(bucket, manifest.key), CONTEXT)
    again = lambda_handler(_manifest_event(bucket, manifest.key), CONTEXT)  # SQS delivers it again

    assert result["status"] == "job started" and result["version"] == VERSION
    assert again == result
    (run,) = [r for r in _job_runs(template_cloud) if r["jobRunId"] == result["job_run_id"]]
    assert (run["name"], run["state"]) == (f"streamcat-train-v{VERSION}", "SUBMITTED")
    assert run["executionRole"] == template_cloud.resources["SparkJobRole"]["Arn"]
    assert _published(bucket) == []

    layout, s3 = S3Layout.of(get_settings()), deployer_s3()
    script = SPARK_JOB.read_bytes()
    script_key = layout.spark_script(hashlib.sha256(script).hexdigest())
    assert script_key.endswith(f"/{JOB_SCRIPT}")
    assert s3.get_object(Bucket=bucket, Key=script_key)["Body"].read() == script
    titles_key = layout.spark_titles(VERSION, manifest.load_id)
    lines = s3.get_object(Bucket=bucket, Key=titles_key)["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"item": i, "movie_id": m} for i, m in enumerate(data.catalog.ids)
    ]
    uri = f"s3://{bucket}/"
    submit = run["jobDriver"]["sparkSubmit"]
    assert submit["entryPoint"] == uri + script_key
    assert submit["entryPointArguments"] == [
        *("--ratings", uri + layout.ratings_parquet(1), "--titles", uri + titles_key),
        *(
            "--output",
            uri + layout.spark_output(VERSION, manifest.load_id).rstrip("/"),
            "--dims",
            "40",
        ),
    ]


def test_at_the_threshold_the_function_trains_itself(
    manifest: Manifest,
    bucket: str,
    data: RatedCatalog,
    template_cloud: LocalCloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = len(_job_runs(template_cloud))
    _switch_at(monkeypatch, template_cloud, len(data.ratings.user))

    result = lambda_handler(_manifest_event(bucket, manifest.key), CONTEXT)

    assert (result["status"], result["engine"], result["version"]) == (
        "published",
        "lambda",
        VERSION,
    )
    assert len(_job_runs(template_cloud)) == started
    assert S3Layout.of(get_settings()).latest_model in _published(bucket)


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_a_job_run_that_did_not_succeed_is_reported_and_publishes_nothing(
    state: str,
    manifest: Manifest,
    bucket: str,
    data: RatedCatalog,
    template_cloud: LocalCloud,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _switch_at(monkeypatch, template_cloud, 0)
    started = lambda_handler(_manifest_event(bucket, manifest.key), CONTEXT)
    (run,) = [r for r in _job_runs(template_cloud) if r["jobRunId"] == started["job_run_id"]]
    details = "Job failed: JobInputError: no ratings of any catalog title"

    result = lambda_handler(_end(template_cloud, run, state, details), CONTEXT)

    assert result == {
        "status": "failed",
        "version": VERSION,
        "job_run_id": run["jobRunId"],
        "state": state,
        "state_details": details,
    }
    assert _published(bucket) == []
    (failure,) = [r for r in caplog.records if r.getMessage() == "training job failed"]
    assert failure.levelname == "ERROR" and failure.__dict__["state_details"] == details


def test_a_run_not_ended_not_a_training_or_of_another_application_is_not_published_from(
    manifest: Manifest,
    bucket: str,
    template_cloud: LocalCloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _switch_at(monkeypatch, template_cloud, 0)
    started = lambda_handler(_manifest_event(bucket, manifest.key), CONTEXT)
    (run,) = [r for r in _job_runs(template_cloud) if r["jobRunId"] == started["job_run_id"]]
    running = _end(template_cloud, run, "RUNNING", "")
    claimed_success = {**running, "detail": {**running["detail"], "state": "SUCCESS"}}
    foreign = {**running, "detail": {**running["detail"], "applicationId": "00fsomeoneelse"}}
    adhoc = _start_as_deployer(template_cloud, "an-operators-query", f"adhoc-{manifest.load_id}")
    (other,) = [r for r in _job_runs(template_cloud) if r["jobRunId"] == adhoc]

    assert lambda_handler(claimed_success, CONTEXT)["reason"] == "the job run has not ended"
    assert lambda_handler(foreign, CONTEXT)["reason"] == "not this stack's Spark application"
    ended_other = _end(template_cloud, other, "SUCCESS", "")
    assert lambda_handler(ended_other, CONTEXT)["reason"] == "not a training"
    assert _published(bucket) == []


def test_a_newer_catalogs_run_cancels_the_older_runs_that_have_not_ended(
    manifest: Manifest,
    bucket: str,
    template_cloud: LocalCloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _switch_at(monkeypatch, template_cloud, 0)
    cloud = template_cloud
    older = _start_as_deployer(
        cloud, f"streamcat-train-v{VERSION - 1}", f"older-{manifest.load_id}"
    )

    started = lambda_handler(_manifest_event(bucket, manifest.key), CONTEXT)  # as TrainFunction

    assert started["cancelled"] == [older]
    runs = {r["jobRunId"]: r for r in _job_runs(cloud)}
    assert runs[older]["state"] == "CANCELLED"
    assert runs[started["job_run_id"]]["state"] == "SUBMITTED"
    ended = state_change_event(runs[older], "CANCELLED", "SUBMITTED", "123456789012", cloud.region)
    assert lambda_handler(ended, CONTEXT)["status"] == "superseded"
    assert _published(bucket) == []
