"""SnapStart in the template: every HTTP function publishes versions behind a `live` alias that
the API calls, with SnapStart switchable by a parameter, nothing SnapStart refuses, and a
deployment that CodeDeploy rolls back on the alarms of the function's live alias."""

from typing import Any

import pytest

from local.template import expand_sam, load_template
from streamcat.api.registry import HTTP_FUNCTIONS as REGISTRY

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
EXPANDED = expand_sam(TEMPLATE, "us-east-1")["Resources"]
HTTP_FUNCTIONS = [function.logical_id for function in REGISTRY]


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
def test_prod_deploys_by_canary_rolled_back_on_the_alias_alarms(function: str) -> None:
    """The canary's alarms watch the alias (dimension Resource `<function>:live`). An API alarm
    there would close a cycle CloudFormation rejects: alias, deployment group, alarm, HttpApi,
    alias (test_template_deploy_rules)."""
    preference = _properties(function)["DeploymentPreference"]
    assert preference["Type"] == {"Fn::If": ["IsProd", "Canary10Percent5Minutes", "AllAtOnce"]}
    prefix = function.removesuffix("Function")
    alarms = {alarm["Ref"] for alarm in preference["Alarms"]}
    assert alarms == {f"{prefix}ErrorsAlarm", f"{prefix}ThrottlesAlarm", f"{prefix}DurationAlarm"}
    for alarm in alarms:
        assert RESOURCES[alarm]["Type"] == "AWS::CloudWatch::Alarm"
        assert {"Name": "Resource", "Value": {"Fn::Sub": f"${{{function}}}:live"}} in RESOURCES[
            alarm
        ]["Properties"]["Dimensions"]
    group = EXPANDED[f"{function}DeploymentGroup"]["Properties"]
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_a_replaced_version_and_its_snapshot_are_deleted(function: str) -> None:
    """SAM retains every published version unless told otherwise, so each deploy would leave
    one more version and SnapStart snapshot behind."""
    versions = [
        resource
        for name, resource in EXPANDED.items()
        if resource["Type"] == "AWS::Lambda::Version" and name.startswith(f"{function}Version")
    ]
    assert versions and all(version["DeletionPolicy"] == "Delete" for version in versions)
