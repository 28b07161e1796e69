"""SnapStart in the template: every HTTP function publishes versions behind a `live` alias that
the API calls, with SnapStart switchable by a parameter, nothing SnapStart refuses, and a
deployment that CodeDeploy rolls back on the function's and the API's alarms."""

from typing import Any

import pytest

from local.template import expand_sam, load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
EXPANDED = expand_sam(TEMPLATE, "us-east-1")["Resources"]
HTTP_FUNCTIONS = sorted(
    name
    for name, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Serverless::Function"
    and any(e["Type"] == "HttpApi" for e in resource["Properties"].get("Events", {}).values())
)
API_ALARMS = ("ApiServerErrorsAlarm", "ApiLatencyAlarm")


def _properties(function: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[function]["Properties"]
    return properties


def test_every_function_but_the_background_ones_is_covered() -> None:
    """A function the HttpApi filter missed would silently escape every check below."""
    functions = {n for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(HTTP_FUNCTIONS) == functions - {"EtlFunction", "TrainFunction"}


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_snapstart_on_published_versions_switchable_by_parameter(function: str) -> None:
    properties = _properties(function)
    assert properties["AutoPublishAlias"] == "live"
    assert properties["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    assert TEMPLATE["Parameters"]["SnapStart"]["AllowedValues"] == ["PublishedVersions", "None"]


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_nothing_snapstart_refuses(function: str) -> None:
    """No provisioned concurrency, no EFS, at most 512 MB of ephemeral storage."""
    merged = {**TEMPLATE.get("Globals", {}).get("Function", {}), **_properties(function)}
    assert "ProvisionedConcurrencyConfig" not in merged
    assert "FileSystemConfigs" not in merged
    assert merged.get("EphemeralStorage", {}).get("Size", 512) <= 512


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_the_api_calls_the_alias(function: str) -> None:
    alias = f"{function}Aliaslive"
    assert EXPANDED[alias]["Type"] == "AWS::Lambda::Alias"
    permissions = [
        resource["Properties"]["FunctionName"]
        for name, resource in EXPANDED.items()
        if resource["Type"] == "AWS::Lambda::Permission" and name.startswith(function)
    ]
    assert permissions and all(target == {"Ref": alias} for target in permissions)
    paths = EXPANDED["HttpApi"]["Properties"]["Body"]["paths"]
    uris = [
        str(operation["x-amazon-apigateway-integration"]["uri"])
        for path in paths.values()
        for operation in path.values()
        if function in str(operation["x-amazon-apigateway-integration"]["uri"])
    ]
    assert uris and all(f"${{{alias}}}" in uri for uri in uris)


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_prod_deploys_by_canary_rolled_back_on_alarms(function: str) -> None:
    preference = _properties(function)["DeploymentPreference"]
    assert preference["Type"] == {"Fn::If": ["IsProd", "Canary10Percent5Minutes", "AllAtOnce"]}
    prefix = function.removesuffix("Function")
    alarms = {alarm["Ref"] for alarm in preference["Alarms"]}
    assert alarms == {
        f"{prefix}ErrorsAlarm",
        f"{prefix}ThrottlesAlarm",
        f"{prefix}DurationAlarm",
        *API_ALARMS,
    }
    assert all(RESOURCES[alarm]["Type"] == "AWS::CloudWatch::Alarm" for alarm in alarms)
    group = EXPANDED[f"{function}DeploymentGroup"]["Properties"]
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
