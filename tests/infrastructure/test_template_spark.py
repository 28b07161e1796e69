"""template.yaml's Spark training: the EMR Serverless application (bounded, Graviton, stopped
when idle), the threshold TrainFunction switches at and why it is where it is, the rule that
brings a job's end back to TrainFunction, the alarm on a failed job, and what TrainFunction and
the job's role may do. The job role's grants are also tried against moto with IAM on
(tests/integration/test_spark_job_role.py)."""

import json
import math
from pathlib import Path
from typing import Any

from bench.scale import crossing, fit, project, series
from local.spark_submit import EMR_RELEASE_LABEL
from local.template import load_template
from streamcat.settings import Settings

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(REPO / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
TRAIN = RESOURCES["TrainFunction"]["Properties"]
JOB_ROLE = RESOURCES["SparkJobRole"]["Properties"]
APPLICATION = {"Ref": "SparkApplication"}
BUCKET = "${DataBucket.Arn}"
# Of the function's memory, what the measured training peak may take at the threshold.
MEMORY_SHARE = 0.8
JOB_SIZE = (
    "spark_driver_cores",
    "spark_driver_memory",
    "spark_executor_cores",
    "spark_executor_memory",
)


def _statements(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in _as_list(s["Action"])]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _train_statements() -> list[dict[str, Any]]:
    return [s for policy in TRAIN["Policies"] if "Statement" in policy for s in policy["Statement"]]


def _job_statements() -> list[dict[str, Any]]:
    (policy,) = JOB_ROLE["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def _keys(statement: dict[str, Any]) -> list[str]:
    """The data bucket's key patterns a statement's resources name."""
    found = []
    for resource in _as_list(statement["Resource"]):
        text = resource["Fn::Sub"]
        assert text.startswith(BUCKET + "/"), resource
        found.append(text.removeprefix(BUCKET + "/"))
    return found


def test_the_application_runs_spark_on_graviton_within_its_bounds_and_stops_when_idle() -> None:
    application = RESOURCES["SparkApplication"]["Properties"]
    assert application["Type"].upper() == "SPARK"
    assert application["Architecture"] == "ARM64"
    assert application["ReleaseLabel"] == {"Ref": "SparkReleaseLabel"}
    assert application["AutoStartConfiguration"] == {"Enabled": True}
    stop = application["AutoStopConfiguration"]
    assert stop["Enabled"] is True and stop["IdleTimeoutMinutes"] <= 15
    assert application["MaximumCapacity"] == {
        "Cpu": {"Fn::Sub": "${SparkMaxVcpu} vCPU"},
        "Memory": {"Fn::Sub": "${SparkMaxMemoryGb} GB"},
        "Disk": {"Fn::Sub": "${SparkMaxDiskGb} GB"},
    }
    for name in ("SparkMaxVcpu", "SparkMaxMemoryGb", "SparkMaxDiskGb"):
        assert PARAMETERS[name]["Type"] == "Number" and PARAMETERS[name]["MinValue"] > 0, name


def test_the_application_runs_the_spark_the_job_is_tested_with() -> None:
    """The release whose Spark is the local runs' pyspark (local.spark_submit holds the two
    together)."""
    assert PARAMETERS["SparkReleaseLabel"]["Default"] == EMR_RELEASE_LABEL


def test_the_function_gets_the_application_its_role_and_the_threshold_of_the_settings() -> None:
    variables = TRAIN["Environment"]["Variables"]
    assert variables["SPARK_APPLICATION_ID"] == APPLICATION
    assert variables["SPARK_JOB_ROLE_ARN"] == {"Fn::GetAtt": ["SparkJobRole", "Arn"]}
    assert variables["SPARK_TRAINING_THRESHOLD"] == {"Ref": "SparkTrainingThreshold"}
    default = PARAMETERS["SparkTrainingThreshold"]["Default"]
    assert default == Settings.model_fields["spark_training_threshold"].default


def test_a_job_fits_its_application_by_default() -> None:
    """A driver and an executor at least: each worker's memory is Spark's plus 10% overhead, at
    most 30 GB for 4 vCPU (EMR Serverless's worker sizes)."""
    variables = TRAIN["Environment"]["Variables"]
    job = Settings(**{name: variables[name.upper()] for name in JOB_SIZE})
    workers = [
        (job.spark_driver_cores, _gb(job.spark_driver_memory)),
        (job.spark_executor_cores, _gb(job.spark_executor_memory)),
    ]
    for cores, memory in workers:
        assert cores == 4 and 8 <= memory * 1.1 <= 30, (cores, memory)
    assert sum(cores for cores, _ in workers) <= PARAMETERS["SparkMaxVcpu"]["Default"]
    total = sum(math.ceil(memory * 1.1) for _, memory in workers)
    assert total <= PARAMETERS["SparkMaxMemoryGb"]["Default"]


def _gb(memory: str) -> float:
    return int(memory[:-1]) / (1024 if memory.endswith("m") else 1)


def test_the_threshold_leaves_a_fifth_of_the_functions_memory_by_the_measured_growth() -> None:
    """bench/results.json's training peaks (make bench-scale), fitted as docs/scaling.md fits
    them: the threshold's projected peak is at most 80% of TrainFunction's memory, and the
    threshold is not far below that point (where the function would give up work it can do)."""
    scale = json.loads((REPO / "bench" / "results.json").read_text())["benches"]["scale"]
    fitted = fit(series(scale["output"], "train_peak_rss_mb", engine="lambda"))
    threshold = PARAMETERS["SparkTrainingThreshold"]["Default"]
    budget = MEMORY_SHARE * TRAIN["MemorySize"]

    peak = project(fitted, threshold)
    limit = crossing(fitted, budget)
    assert peak is not None and limit is not None
    assert peak <= budget, f"{peak:.0f} MB at {threshold:,} ratings"
    assert threshold >= 0.9 * limit, f"the budget is reached at {limit:,.0f} ratings"


def test_a_job_runs_end_brings_the_function_back() -> None:
    (event,) = TRAIN["Events"].values()
    assert event["Type"] == "EventBridgeRule"
    assert event["Properties"]["Pattern"] == {
        "source": ["aws.emr-serverless"],
        "detail-type": ["EMR Serverless Job Run State Change"],
        "detail": {"applicationId": [APPLICATION], "state": ["SUCCESS", "FAILED", "CANCELLED"]},
    }


def test_the_function_starts_lists_reads_and_cancels_runs_of_its_application_only() -> None:
    statements = _train_statements()
    (start,) = _statements(statements, "emr-serverless:StartJobRun")
    assert start["Resource"] == {"Fn::GetAtt": ["SparkApplication", "Arn"]}
    (listing,) = _statements(statements, "emr-serverless:ListJobRuns")
    assert listing["Resource"] == {"Fn::GetAtt": ["SparkApplication", "Arn"]}
    for action in ("emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"):
        (run,) = _statements(statements, action)
        assert run["Resource"] == {"Fn::Sub": "${SparkApplication.Arn}/jobruns/*"}
    granted = {a for s in statements for a in _as_list(s["Action"])}
    assert {a for a in granted if a.startswith("emr-serverless:")} == {
        "emr-serverless:StartJobRun",
        "emr-serverless:ListJobRuns",
        "emr-serverless:GetJobRun",
        "emr-serverless:CancelJobRun",
    }


def test_the_function_passes_only_the_job_role_and_only_to_emr_serverless() -> None:
    (passing,) = _statements(_train_statements(), "iam:PassRole")
    assert passing["Resource"] == {"Fn::GetAtt": ["SparkJobRole", "Arn"]}
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
    }


def test_the_function_stages_the_jobs_inputs_and_reads_its_output() -> None:
    statements = _train_statements()
    puts = [k for s in _statements(statements, "s3:PutObject") for k in _keys(s)]
    assert set(puts) == {"models/*", "jobs/spark/*", "jobs/training/*/titles.jsonl"}
    gets = [k for s in _statements(statements, "s3:GetObject") for k in _keys(s)]
    assert "jobs/training/*/output/*" in gets and "jobs/spark/*" in gets


def test_the_job_role_is_for_emr_serverless_jobs_of_this_application() -> None:
    (trust,) = JOB_ROLE["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "emr-serverless.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": {"Fn::GetAtt": ["SparkApplication", "Arn"]}
    }
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "ManagedPolicyArns" not in JOB_ROLE


def test_the_job_role_reads_its_inputs_and_writes_only_its_output() -> None:
    """Never raw/, reports/, the served models or latest.json: its grants name exactly the
    ratings Parquet, its script and titles, and its own output prefix."""
    statements = _job_statements()
    assert all(s["Effect"] == "Allow" for s in statements)
    by_action: dict[str, set[str]] = {}
    for statement in statements:
        if statement["Action"] == "s3:ListBucket":
            continue
        for action in _as_list(statement["Action"]):
            by_action.setdefault(action, set()).update(_keys(statement))
    output = {"jobs/training/*/output/*"}
    assert by_action == {
        "s3:GetObject": {
            "curated/ratings/*",
            "jobs/spark/*",
            "jobs/training/*/titles.jsonl",
            *output,
        },
        "s3:PutObject": output,
        "s3:DeleteObject": output,
        "s3:AbortMultipartUpload": output,
    }


def test_the_job_role_lists_only_the_prefixes_it_reads_and_commits_to() -> None:
    (listing,) = _statements(_job_statements(), "s3:ListBucket")
    assert listing["Resource"] == {"Fn::GetAtt": ["DataBucket", "Arn"]}
    assert listing["Condition"] == {
        "StringLike": {
            "s3:prefix": [
                "curated/ratings/*",
                "jobs/spark/*",
                "jobs/training/*/titles.jsonl*",
                "jobs/training/*/output*",
            ]
        }
    }


def test_a_failed_job_run_alarms_on_the_applications_failed_jobs() -> None:
    """From EMR 7.10 FailedJobs carries ApplicationName beside ApplicationId: the query sees
    every dimension set with the application's id, whatever the release."""
    alarm = RESOURCES["SparkJobFailedAlarm"]["Properties"]
    (query,) = alarm["Metrics"]
    assert query["ReturnData"] is True and query["Period"] == 300
    expression = " ".join(query["Expression"]["Fn::Sub"].split())
    assert expression == (
        'SELECT MAX(FailedJobs) FROM "AWS/EMRServerless" '
        "WHERE ApplicationId = '${SparkApplication}'"
    )
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_function_reaches_emr_serverless_from_its_private_subnets() -> None:
    """The subnets have no internet route: StartJobRun and GetJobRun go through an interface
    endpoint, its private DNS answering for the service's own host."""
    endpoint = RESOURCES["EmrServerlessEndpoint"]["Properties"]
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.emr-serverless"}
    assert endpoint["VpcEndpointType"] == "Interface" and endpoint["PrivateDnsEnabled"] is True
    assert endpoint["SubnetIds"] == TEMPLATE["Globals"]["Function"]["VpcConfig"]["SubnetIds"]
