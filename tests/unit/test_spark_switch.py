"""The Spark switch's plain parts: which events are a job run's end, when a training goes to
Spark, what a job run is started with, and how the local EMR Serverless matches its events to
the template's rule and invokes the rule's target."""

from typing import Any

import pytest

from local.emr_serverless import event_rules, invoke_async, state_change_event
from local.functions import FunctionError
from local.template import LocalStack, load_template
from streamcat.settings import Settings
from streamcat.training_input import TrainingManifest
from streamcat_train.handler import JobRunEventError, ended_job_run
from streamcat_train.spark_jobs import (
    JobRun,
    SparkJobError,
    client_token,
    job_driver,
    uses_spark,
)

APPLICATION = "00fabcd1234"
JOB_RUN = "00fjobrun5678"
CONFIGURED: dict[str, Any] = {
    "spark_application_id": APPLICATION,
    "spark_job_role_arn": "arn:aws:iam::1:role/j",
}


def _run(state: str, application_id: str = APPLICATION) -> dict[str, Any]:
    """A job run as GetJobRun describes it."""
    return {
        "applicationId": application_id,
        "jobRunId": JOB_RUN,
        "name": "streamcat-train-v3",
        "arn": f"arn:aws:emr-serverless:us-east-1:123456789012:/applications/{application_id}"
        f"/jobruns/{JOB_RUN}",
        "releaseLabel": "emr-7.11.0",
        "state": state,
        "createdAt": "2026-12-08T00:00:00Z",
    }


def _event(state: str, application_id: str = APPLICATION) -> dict[str, Any]:
    return state_change_event(
        _run(state, application_id), state, "RUNNING", "123456789012", "us-east-1"
    )


def test_a_job_runs_state_change_names_its_application_and_run() -> None:
    assert ended_job_run(_event("SUCCESS")) == (APPLICATION, JOB_RUN)
    assert ended_job_run({"Records": []}) is None
    assert ended_job_run({"source": "aws.emr-serverless", "detail-type": "other"}) is None


@pytest.mark.parametrize(
    "detail",
    [None, [], {}, {"applicationId": APPLICATION}, {"jobRunId": JOB_RUN, "applicationId": 7}],
)
def test_a_state_change_without_its_run_is_refused(detail: Any) -> None:
    event = {**_event("SUCCESS"), "detail": detail}
    with pytest.raises(JobRunEventError, match="detail"):
        ended_job_run(event)


def test_spark_trains_past_the_threshold_only_where_the_stack_has_an_application() -> None:
    settings = Settings(**CONFIGURED, spark_training_threshold=1000)
    assert uses_spark(1001, settings)
    assert not uses_spark(1000, settings)
    assert not uses_spark(10**12, Settings(spark_training_threshold=1000))
    assert not uses_spark(10**12, Settings(spark_application_id=APPLICATION))


def test_a_runs_client_token_is_its_version_and_load() -> None:
    load = "20261208T015000Z-1a2b3c4d"
    token = client_token(3, load)
    assert token.startswith("streamcat-train-v3-") and len(token) <= 64
    assert client_token(3, load) == token
    assert client_token(4, load) != token and client_token(3, load + "e") != token
    assert len(client_token(10**17, "x" * 40)) <= 64
    for load_id in ("../x", "a b", "x" * 41, "", "a/b"):
        with pytest.raises(SparkJobError, match="load id"):
            client_token(3, load_id)


def test_a_runs_version_is_its_name() -> None:
    assert JobRun(APPLICATION, JOB_RUN, "streamcat-train-v12", "SUCCESS", "").version == 12
    for name in ("someone-elses-job", "streamcat-train-v12-retry", ""):
        assert JobRun(APPLICATION, JOB_RUN, name, "SUCCESS", "").version is None


def test_the_job_driver_names_every_input_its_output_and_the_jobs_size() -> None:
    manifest = TrainingManifest("load", ["t/1.npz", "t/2.npz"], ["p/1.parquet", "p/2.parquet"], 9)
    settings = Settings(spark_driver_memory="6g", spark_executor_cores=2)
    driver = job_driver("bucket", "jobs/s.py", manifest, "jobs/t.jsonl", "jobs/out/", settings)

    submit = driver["sparkSubmit"]
    assert submit["entryPoint"] == "s3://bucket/jobs/s.py"
    assert submit["entryPointArguments"] == [
        *("--ratings", "s3://bucket/p/1.parquet", "s3://bucket/p/2.parquet"),
        *("--titles", "s3://bucket/jobs/t.jsonl", "--output", "s3://bucket/jobs/out"),
        *("--dims", "40"),
    ]
    assert submit["sparkSubmitParameters"] == (
        "--conf spark.driver.cores=4 --conf spark.driver.memory=6g "
        "--conf spark.executor.cores=2 --conf spark.executor.memory=14g"
    )


def test_the_templates_rule_sends_this_applications_ended_runs_to_training() -> None:
    stack = LocalStack(load_template()).with_resource("SparkApplication", APPLICATION)
    (rule,) = event_rules(stack)

    assert rule.targets == ["TrainFunction"]
    for state in ("SUCCESS", "FAILED", "CANCELLED"):
        assert rule.matches(_event(state)), state
    for state in ("SUBMITTED", "SCHEDULED", "RUNNING"):
        assert not rule.matches(_event(state)), state
    assert not rule.matches(_event("SUCCESS", application_id="another"))


def test_an_asynchronous_invocation_is_tried_three_times() -> None:
    calls: list[dict[str, Any]] = []

    def failing(event: dict[str, Any]) -> Any:
        calls.append(event)
        raise FunctionError("TrainFunction", {"errorType": "E", "errorMessage": "down"})

    assert invoke_async(failing, {"n": 1}, "rule -> f", sleep=lambda _: None) is None
    assert len(calls) == 3

    answers = iter([FunctionError("f", {}), {"status": "published"}])

    def recovering(event: dict[str, Any]) -> Any:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert invoke_async(recovering, {}, "rule -> f", sleep=lambda _: None) == {
        "status": "published"
    }
