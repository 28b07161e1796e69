"""CloudFormation's own rules, checked offline on the template as CloudFormation receives it
(SAM's translator expanded it first): what `sam validate --lint` passes and a deploy rejects."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.template import expand_sam, load_template
from tests.support.cloudformation import cycles, dependency_graph

TEMPLATE = load_template()
TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
EXPANDED = expand_sam(TEMPLATE, "us-east-1")
FUNCTIONS = {
    name: resource["Properties"]
    for name, resource in EXPANDED["Resources"].items()
    if resource["Type"] == "AWS::Lambda::Function"
}
# Set by Lambda itself: a function that defines one fails to deploy.
LAMBDA_RESERVED_VARIABLES = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
}
# A template `sam deploy` uploads to S3 (--resolve-s3) may be 1 MB, with at most 500 resources
# after the transform.
TEMPLATE_S3_LIMIT_BYTES = 1_000_000
RESOURCE_LIMIT = 500


def test_cloudformation_finds_no_dependency_cycle() -> None:
    assert cycles(dependency_graph(EXPANDED)) == []


def test_an_api_alarm_in_a_canary_closes_a_cycle() -> None:
    """The detector sees the cycle the last review found: the alias's UpdatePolicy names its
    deployment group, which names the alarm, whose dimension names the API, whose integration
    names the alias."""
    template = copy.deepcopy(TEMPLATE)
    preference = template["Resources"]["TitlesFunction"]["Properties"]["DeploymentPreference"]
    preference["Alarms"].append({"Ref": "ApiLatencyAlarm"})

    found = cycles(dependency_graph(expand_sam(template, "us-east-1")))

    assert found == [
        [
            "ApiLatencyAlarm",
            "HttpApi",
            "TitlesFunctionAliaslive",
            "TitlesFunctionDeploymentGroup",
        ]
    ]


def test_cfn_lint_passes_the_expanded_template(tmp_path: Path) -> None:
    """W2001: the transform inlines a parameter's value where it is used (the CORS origins go
    into the API's OpenAPI body), so the expanded form no longer refers to it."""
    expanded = tmp_path / "expanded.json"
    expanded.write_text(json.dumps(EXPANDED), encoding="utf-8")

    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("cfn-lint")),
            *("--format", "parseable", "--ignore-checks", "W2001", "--", str(expanded)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_function_sets_a_variable_lambda_reserves(function: str) -> None:
    variables = (FUNCTIONS[function].get("Environment") or {}).get("Variables") or {}

    assert not set(variables) & LAMBDA_RESERVED_VARIABLES


def test_every_output_refers_to_a_resource_that_exists_under_its_condition() -> None:
    resources = EXPANDED["Resources"]
    for name, output in EXPANDED["Outputs"].items():
        graph = dependency_graph({"Resources": {**resources, name: output}})
        for target in graph[name]:
            condition = resources[target].get("Condition")
            assert condition in (None, output.get("Condition")), (name, target, condition)


def test_the_template_fits_the_upload_path_it_uses() -> None:
    assert TEMPLATE_PATH.stat().st_size <= TEMPLATE_S3_LIMIT_BYTES
    assert len(json.dumps(EXPANDED).encode()) <= TEMPLATE_S3_LIMIT_BYTES
    assert len(EXPANDED["Resources"]) <= RESOURCE_LIMIT
