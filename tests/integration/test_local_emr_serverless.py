"""The local stack's EMR Serverless (local.emr_serverless) on the template's cloud, without
starting Spark: a run the service cannot run fails as EMR Serverless fails it, GetJobRun says
so, and only its end reaches the template's rule and its target."""

from pathlib import Path
from typing import Any

from local.emr_serverless import JobRunner
from local.iam import client, role_arn
from local.template import load_template
from tests.support.local import provisioned_cloud


def test_runs_the_service_cannot_run_fail_and_only_their_end_reaches_the_rule(
    tmp_path: Path,
) -> None:
    template = load_template()
    delivered: list[dict[str, Any]] = []

    def train_function(event: dict[str, Any]) -> dict[str, str]:
        delivered.append(event)
        return {"status": "recorded"}

    with provisioned_cloud(template) as cloud:
        stack = cloud.stack(template)
        emr = client("emr-serverless", cloud.endpoint_url, cloud.region, cloud.deployer)
        application_id = cloud.resources["SparkApplication"]["Ref"]
        started = {
            # A function's role: EMR Serverless may not assume it.
            "is not a role of this stack": emr.start_job_run(
                applicationId=application_id,
                clientToken="function-role",
                executionRoleArn=role_arn(stack, "TrainFunctionRole"),
                name="streamcat-train-v1",
                jobDriver={
                    "sparkSubmit": {"entryPoint": f"s3://{cloud.outputs['DataBucketName']}/a.py"}
                },
            )["jobRunId"],
            # The job's role, and a script that is not in S3: refused before Spark starts.
            "JobDriverError": emr.start_job_run(
                applicationId=application_id,
                clientToken="local-script",
                executionRoleArn=cloud.resources["SparkJobRole"]["Arn"],
                name="streamcat-train-v2",
                jobDriver={"sparkSubmit": {"entryPoint": "file:///etc/hostname"}},
            )["jobRunId"],
        }
        functions = {"TrainFunction": train_function}
        runner = JobRunner(cloud, stack, functions, tmp_path, "1g", poll_s=0.1).start()
        try:
            runner.wait_until_idle(60)
        finally:
            runner.stop()

        for reason, job_run_id in started.items():
            run = emr.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
            assert run["state"] == "FAILED", run
            assert run["stateDetails"].startswith("Job failed: ") and reason in run["stateDetails"]
    assert sorted(r.job_run_id for r in runner.finished) == sorted(started.values())
    assert all(r.state == "FAILED" and r.peak_rss_mb == 0 for r in runner.finished)
    ends = sorted(
        (e["detail"]["jobRunId"], e["detail"]["state"], e["detail"]["previousState"])
        for e in delivered
    )
    assert ends == sorted((job_run_id, "FAILED", "RUNNING") for job_run_id in started.values())
    assert {e["detail"]["applicationId"] for e in delivered} == {application_id}
    assert {e["detail-type"] for e in delivered} == {"EMR Serverless Job Run State Change"}
