"""template.yaml as AWS would take it: lint-clean, least privilege, routes as documented.

moto, the local S3 and SQS, checks IAM loosely or not at all: these checks are where a missing
permission (s3:GetObjectVersion of a versioned bucket, s3:ListBucket that turns 403 into 404, the
gateway endpoint's own policy) is caught before a deployment. Operations (queues, alarms, logs)
are checked in test_template_operations.py.
"""

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.functions import function_names, function_spec
from local.template import load_template
from streamcat.api.registry import HTTP_FUNCTIONS as REGISTRY

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
TEMPLATE = load_template(TEMPLATE_PATH)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = function_names(TEMPLATE)
HTTP_FUNCTIONS = [function.logical_id for function in REGISTRY]
BACKGROUND_FUNCTIONS = ["EtlFunction", "TrainFunction"]
# The documentation itself (Swagger UI, its assets, the document) is left out of the document.
UNDOCUMENTED_ROUTES = {("GET", "/docs"), ("GET", "/docs/{asset}"), ("GET", "/openapi.json")}
S3_WRITES = {"s3:PutObject", "s3:DeleteObject", "s3:*", "s3:PutObjectAcl", "s3:CopyObject"}
# Functions that GET or HEAD keys that may not exist yet (a first training, a first quarantine):
# S3 answers them 404 only with s3:ListBucket, and 403 without.
READERS_OF_MAYBE_MISSING_KEYS = ["EtlFunction", "TrainFunction", "RecommendationsFunction"]
# The name of the bucket and of the proxy: "streamcat-" and the stack id's UUID.
STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
STACK_NAME_EXPRESSION = {"Fn::Join": ["-", ["streamcat", STACK_UUID]]}
BUCKET_ARN_EXPRESSION = {
    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::streamcat-", STACK_UUID]]
}
BUCKET_ARN = "${DataBucket.Arn}"


def _sam(*arguments: str) -> subprocess.CompletedProcess[str]:
    sam = Path(sys.executable).with_name("sam")
    return subprocess.run(
        [str(sam), *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )


def _statements(function: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in RESOURCES[function]["Properties"].get("Policies") or []:
        statements.extend(policy.get("Statement", []) if isinstance(policy, dict) else [])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _bucket_path(resource: Any) -> str | None:
    """Where in the data bucket an IAM resource points: "" for the bucket itself, "/raw/*" for
    the keys under raw/; None when it is not written as an ARN of DataBucket."""
    if resource in ({"Fn::GetAtt": ["DataBucket", "Arn"]}, {"Fn::GetAtt": "DataBucket.Arn"}):
        return ""
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    if isinstance(text, str) and text.startswith(BUCKET_ARN + "/"):
        return text.removeprefix(BUCKET_ARN)
    return None


def _s3_grants(statements: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, bucket path, statement) of every Allow of an S3 action on the data bucket."""
    grants = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement["Action"]):
            if not action.startswith("s3:"):
                continue
            for resource in _as_list(statement["Resource"]):
                path = _bucket_path(resource)
                assert path is not None, f"{resource} is not an ARN of DataBucket: {statement}"
                grants.append((action, path, statement))
    return grants


def _allows(
    statements: list[dict[str, Any]], action: str, key_path: str, *, conditioned: bool = True
) -> bool:
    """Whether an Allow covers `action` on `key_path` ("" for the bucket, "/raw/x" for a key).
    conditioned=False ignores statements with a Condition (a GetObject request carries no
    s3:prefix, so such a ListBucket never applies to it)."""
    return any(
        fnmatch.fnmatchcase(action, granted)
        and fnmatch.fnmatchcase(key_path, path)
        and (conditioned or "Condition" not in statement)
        for granted, path, statement in _s3_grants(statements)
    )


def _function_timeout(function: str) -> int:
    properties = RESOURCES[function]["Properties"]
    return int(properties.get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]))


def _mappings() -> dict[str, dict[str, Any]]:
    """Each event source mapping's properties, by the logical id of its function."""
    return {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    }


def _notified_prefixes(queue: str) -> list[str]:
    """The key prefixes of the data bucket whose S3 events go to `queue`."""
    notifications = RESOURCES["DataBucket"]["Properties"]["NotificationConfiguration"]
    return [
        rule["Value"]
        for configuration in notifications["QueueConfigurations"]
        if configuration["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
        for rule in configuration["Filter"]["S3Key"]["Rules"]
        if rule["Name"] == "prefix"
    ]


def _template_routes() -> dict[tuple[str, str], str]:
    routes = {}
    for name in HTTP_FUNCTIONS:
        for event in RESOURCES[name]["Properties"]["Events"].values():
            if event["Type"] == "HttpApi":
                properties = event["Properties"]
                routes[(properties["Method"].upper(), properties["Path"])] = name
    return routes


def test_sam_validate_lint_is_clean() -> None:
    result = _sam("validate", "--lint", "--template", str(TEMPLATE_PATH))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_no_lint_rule_is_suppressed() -> None:
    assert "cfn-lint" not in (TEMPLATE.get("Metadata") or {})
    for name, resource in RESOURCES.items():
        assert "cfn-lint" not in (resource.get("Metadata") or {}), name
    assert not list(REPO.glob(".cfnlintrc*"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_exists_at_its_code_uri(function: str) -> None:
    spec = function_spec(TEMPLATE, function, REPO)
    module = spec.handler.rpartition(".")[0].replace(".", "/")
    assert (spec.code_dir / f"{module}.py").is_file(), f"{function}: {spec.handler} not found"


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_http_functions_cannot_write_data_or_log_in_as_the_owner(function: str) -> None:
    """They read the database as streamcat_reader, or not at all (recommendations answer from
    the model in S3), and never write to S3."""
    properties = RESOURCES[function]["Properties"]
    for statement in _statements(function):
        assert not S3_WRITES & set(_as_list(statement["Action"])), statement
    secrets = [
        policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
        for policy in properties["Policies"]
        if "AWSSecretsManagerGetSecretValuePolicy" in policy
    ]
    expected = [] if function == "RecommendationsFunction" else [{"Ref": "ReaderSecret"}]
    assert secrets == expected
    assert "DB_SECRET_ARN" not in (properties.get("Environment") or {}).get("Variables", {})
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["DB_SECRET_ARN"] == {
        "Ref": "ReaderSecret"
    }


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_statement_names_its_own_resources(function: str) -> None:
    """S3 resources are ARNs of DataBucket (`!GetAtt DataBucket.Arn`, `!Sub ${DataBucket.Arn}/..`),
    never a bucket name spelt out again, and never "*"."""
    for statement in _statements(function):
        for resource in _as_list(statement["Resource"]):
            assert resource != "*", statement
            if any(action.startswith("s3:") for action in _as_list(statement["Action"])):
                assert _bucket_path(resource) is not None, statement


def test_bucket_and_proxy_names_come_from_the_stack_id() -> None:
    """Two stacks of one stage never collide: names derive from the stack id's UUID."""
    assert RESOURCES["DataBucket"]["Properties"]["BucketName"] == STACK_NAME_EXPRESSION
    assert RESOURCES["DatabaseProxy"]["Properties"]["DBProxyName"] == STACK_NAME_EXPRESSION
    # The queue policies cannot reference DataBucket (it depends on them): they spell out its ARN.
    for policy in ("RawUploadsQueuePolicy", "InteractionsQueuePolicy"):
        for statement in RESOURCES[policy]["Properties"]["PolicyDocument"]["Statement"]:
            source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
            assert source == BUCKET_ARN_EXPRESSION, policy
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["DATA_BUCKET"] == {
        "Ref": "DataBucket"
    }


# Name properties whose value must be unique in an account and region.
UNIQUE_NAMES = {
    "BucketName", "LogGroupName", "DBProxyName", "QueueName", "FunctionName", "AlarmName",
    "DashboardName", "TopicName", "RoleName", "DBInstanceIdentifier", "DBSubnetGroupName",
    "Name", "ApiName", "LayerName", "SecretName",
}  # fmt: skip


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_no_resource_name_is_built_from_the_stage_alone(resource: str) -> None:
    """A fixed or stage-only name collides when two stacks share a stage (a CI run beside dev):
    leave names to CloudFormation, or build them from the stack's name or id."""
    for key, value in (RESOURCES[resource].get("Properties") or {}).items():
        if key not in UNIQUE_NAMES or (isinstance(value, dict) and set(value) <= {"Ref"}):
            continue
        if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
            continue
        text = str(value)
        assert "AWS::StackName" in text or "AWS::StackId" in text, f"{resource}.{key}: {value}"


def test_the_etl_may_read_the_versions_its_events_name() -> None:
    """The bucket is versioned, so its events carry versionId, and the ETL reads (or copies) an
    upload by that version: s3:GetObjectVersion, which s3:GetObject does not include."""
    function = "EtlFunction"
    assert RESOURCES["DataBucket"]["Properties"]["VersioningConfiguration"]["Status"] == "Enabled"
    queue = _mappings()[function]["EventSourceArn"]["Fn::GetAtt"][0]
    prefixes = _notified_prefixes(queue)
    assert prefixes, f"no S3 notification reaches {queue}"
    statements = _statements(function)
    for prefix in prefixes:
        key = f"/{prefix}some-upload.csv"
        assert _allows(statements, "s3:GetObject", key), (function, prefix)
        assert _allows(statements, "s3:GetObjectVersion", key), (function, prefix)


def test_training_reads_by_key_and_holds_no_version_grant() -> None:
    """Training reads manifests and parts by key (a v<n>.json is never rewritten)."""
    granted = [a for s in _statements("TrainFunction") for a in _as_list(s["Action"])]
    assert "s3:GetObject" in granted
    assert "s3:GetObjectVersion" not in granted


def test_etl_can_copy_a_versioned_upload_to_quarantine() -> None:
    """CopyObject of raw/<key>?versionId=.. to quarantine/<key>: read the version (and its tags,
    which the copy keeps) at the source, write the object and its tags at the target."""
    statements = _statements("EtlFunction")
    for action in ("s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"):
        assert _allows(statements, action, "/raw/platforms/netflix.csv"), action
    for action in ("s3:PutObject", "s3:PutObjectTagging"):
        assert _allows(statements, action, "/quarantine/raw/platforms/netflix.csv"), action
    assert _allows(statements, "s3:DeleteObject", "/raw/platforms/netflix.csv")


def _endpoint_statements() -> list[dict[str, Any]]:
    properties = RESOURCES["S3GatewayEndpoint"]["Properties"]
    statements: list[dict[str, Any]] = properties["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_s3_endpoint_allows_every_action_a_function_is_granted(function: str) -> None:
    """The functions reach S3 only through the gateway endpoint, whose policy applies on top of
    theirs: an action their role allows but the endpoint does not is denied in the cloud."""
    endpoint = _endpoint_statements()
    assert all(statement["Effect"] == "Allow" for statement in endpoint)
    for action, path, _ in _s3_grants(_statements(function)):
        example = path.replace("*", "some/key") if path else ""
        assert _allows(endpoint, action, example), f"endpoint denies {action} on bucket{path}"


@pytest.mark.parametrize("function", READERS_OF_MAYBE_MISSING_KEYS)
def test_readers_of_maybe_missing_keys_may_list_the_bucket(function: str) -> None:
    """Without a ListBucket that applies to the request, a GetObject or HeadObject of a missing
    key is answered 403, not 404: the first training (no models/recommender/latest.json), the
    first recommendation and the first quarantine would fail."""
    statements = _statements(function)
    assert _allows(statements, "s3:ListBucket", "", conditioned=False), function
    assert _allows(_endpoint_statements(), "s3:ListBucket", "", conditioned=False)


def test_no_list_bucket_grant_has_a_condition() -> None:
    """An s3:prefix condition never matches a GetObject (so 403s stay), and moto treats an unmet
    condition as an explicit deny."""
    statements = [s for f in FUNCTIONS for s in _statements(f)] + _endpoint_statements()
    for statement in statements:
        if "s3:ListBucket" in _as_list(statement["Action"]):
            assert "Condition" not in statement, statement


def test_no_event_source_grants_every_queue() -> None:
    """SAM's SQS event adds a managed policy on every queue; explicit mappings do not."""
    for function in FUNCTIONS:
        events = RESOURCES[function]["Properties"].get("Events") or {}
        assert all(event["Type"] != "SQS" for event in events.values()), function
    mappings = [r for r in RESOURCES.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert {m["Properties"]["FunctionName"]["Ref"] for m in mappings} == set(BACKGROUND_FUNCTIONS)


def test_etl_fans_out_within_limits_and_failures_reach_a_dead_letter_queue() -> None:
    """Many ratings files are shared among parallel invocations (small batches, several at
    once), never so many that their database connections crowd the proxy."""
    mapping = next(
        r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "EtlFunction"}
    )
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "EtlMaximumConcurrency"}
    assert mapping["BatchSize"] <= 10
    assert mapping["MaximumBatchingWindowInSeconds"] > 0
    queue = RESOURCES["RawUploadsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["RawUploadsDeadLetterQueue", "Arn"]
    }
    etl_timeout = RESOURCES["EtlFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * etl_timeout


def test_only_raw_uploads_trigger_the_etl_and_it_never_writes_under_raw() -> None:
    notifications = RESOURCES["DataBucket"]["Properties"]["NotificationConfiguration"]
    etl_trigger = next(
        q
        for q in notifications["QueueConfigurations"]
        if q["Queue"] == {"Fn::GetAtt": ["RawUploadsQueue", "Arn"]}
    )
    assert etl_trigger["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "raw/"}]
    for action, path, statement in _s3_grants(_statements("EtlFunction")):
        if action in S3_WRITES - {"s3:DeleteObject"}:
            assert not fnmatch.fnmatchcase("/raw/some-upload.csv", path), statement


def test_runtime_is_python_3_13_on_arm64_everywhere() -> None:
    """arm64 is about 20% cheaper per GB-second; python3.13 is supported to 2029. The
    Architecture parameter (arm64 by default) moves functions and layers together, so an x86_64
    machine can build and run them natively with `sam local invoke`."""
    architecture = TEMPLATE["Parameters"]["Architecture"]
    assert (architecture["Default"], sorted(architecture["AllowedValues"])) == (
        "arm64",
        ["arm64", "x86_64"],
    )
    chosen = {"Ref": "Architecture"}
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == [chosen]
    for name, resource in RESOURCES.items():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function":
            assert properties.get("Runtime", "python3.13") == "python3.13", name
            assert properties.get("Architectures", [chosen]) == [chosen], name
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            assert properties["CompatibleRuntimes"] == ["python3.13"], name
            assert properties["CompatibleArchitectures"] == [chosen], name
        build = (resource.get("Metadata") or {}).get("BuildArchitecture")
        assert build in (None, "arm64"), name


def test_database_engine_version_is_a_major_version() -> None:
    """RDS retires minor versions: a pinned one fails new deployments once it is gone."""
    assert RESOURCES["Database"]["Properties"]["EngineVersion"] == {"Ref": "DatabaseEngineVersion"}
    default = TEMPLATE["Parameters"]["DatabaseEngineVersion"]["Default"]
    assert re.fullmatch(r"[0-9]+", default), default
    assert default == "16"


def test_environment_names_the_url_suffix() -> None:
    """The recommendations' signed S3 reader builds its host from it (amazonaws.com.cn in China)."""
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["AWS_URL_SUFFIX"] == {"Ref": "AWS::URLSuffix"}


def test_bucket_and_database_are_private_and_encrypted() -> None:
    bucket = RESOURCES["DataBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    database = RESOURCES["Database"]["Properties"]
    assert database["StorageEncrypted"] is True
    assert database["ManageMasterUserPassword"] is True
    assert database["PubliclyAccessible"] is False
    assert RESOURCES["DatabaseProxy"]["Properties"]["RequireTLS"] is True


def test_outputs_name_the_api_the_bucket_and_the_dead_letter_queues() -> None:
    """The end-to-end suite finds the deployed stack's parts through these outputs."""
    outputs = TEMPLATE["Outputs"]
    expected = {
        "ApiUrl",
        "DataBucketName",
        "RawUploadsDeadLetterQueueUrl",
        "InteractionsDeadLetterQueueUrl",
    }
    assert expected <= set(outputs)
    assert outputs["DataBucketName"]["Value"] == {"Ref": "DataBucket"}
    assert outputs["RawUploadsDeadLetterQueueUrl"]["Value"] == {"Ref": "RawUploadsDeadLetterQueue"}
    assert outputs["InteractionsDeadLetterQueueUrl"]["Value"] == {
        "Ref": "InteractionsDeadLetterQueue"
    }


def test_template_routes_match_the_openapi_document() -> None:
    from streamcat.api.app import create_whole_api_app

    document = create_whole_api_app().openapi()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    routes = set(_template_routes())
    assert documented - routes == set(), "documented but not routed by API Gateway"
    assert routes - UNDOCUMENTED_ROUTES - documented == set(), "routed but not documented"
