"""Fn::ForEach expanded as CloudFormation's AWS::LanguageExtensions transform expands it, before
SAM's transform, the local stack and the template tests read the template."""

from typing import Any

import pytest
from samcli.lib.cfn_language_extensions.api import process_template

from local.language_extensions import LanguageExtensionError, apply_language_extensions
from local.template import DEFAULT_TEMPLATE, load_template, read_template

TRANSFORMS = ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


def _template(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Transform": list(TRANSFORMS), "Resources": resources, **sections}


def _topic(name: Any) -> dict[str, Any]:
    return {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}


def test_nested_loops_replace_the_identifiers_in_keys_values_and_refs() -> None:
    template = _template(
        {
            "Fn::ForEach::Topics": [
                "Team",
                ["Ops", "Data"],
                {
                    "Fn::ForEach::Levels": [
                        "Level",
                        ["Low", "High"],
                        {"${Team}${Level}Topic": _topic({"Ref": "Level"})},
                    ],
                    "${Team}Queue": {
                        "Type": "AWS::SQS::Queue",
                        "Properties": {"QueueName": {"Fn::Sub": "${Team}-${AWS::StackName}"}},
                    },
                },
            ]
        }
    )

    expanded = apply_language_extensions(template)

    assert expanded["Transform"] == "AWS::Serverless-2016-10-31"
    assert sorted(expanded["Resources"]) == [
        "DataHighTopic",
        "DataLowTopic",
        "DataQueue",
        "OpsHighTopic",
        "OpsLowTopic",
        "OpsQueue",
    ]
    assert expanded["Resources"]["OpsHighTopic"] == _topic("High")
    assert expanded["Resources"]["DataQueue"]["Properties"]["QueueName"] == {
        "Fn::Sub": "Data-${AWS::StackName}"
    }


def test_ampersand_strips_what_a_logical_id_may_not_hold() -> None:
    template = _template(
        {"Fn::ForEach::Ranges": ["Cidr", ["10.0.0.0/16"], {"Range&{Cidr}": _topic("${Cidr}")}]}
    )

    assert apply_language_extensions(template)["Resources"] == {
        "Range1000016": _topic("10.0.0.0/16")
    }


def test_a_loop_inside_a_resource_expands_its_properties() -> None:
    template = _template(
        {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "Fn::ForEach::Tags": ["Key", ["Owner", "Stage"], {"${Key}Tag": "&{Key}"}]
                },
            }
        }
    )

    properties = apply_language_extensions(template)["Resources"]["Table"]["Properties"]

    assert properties == {"OwnerTag": "Owner", "StageTag": "Stage"}


def test_a_name_spelled_by_a_sub_becomes_the_literal_name() -> None:
    template = _template(
        {
            "Fn::ForEach::Alarms": [
                "Name",
                ["A"],
                {
                    "${Name}Alarm": {
                        "Type": "AWS::CloudWatch::Alarm",
                        "Properties": {
                            "Function": {"Ref": {"Fn::Sub": "${Name}Function"}},
                            "Arn": {"Fn::GetAtt": [{"Fn::Sub": "${Name}Function"}, "Arn"]},
                            "Alias": {"Fn::Sub": "${${Name}Function}:live"},
                        },
                    }
                },
            ]
        }
    )

    properties = apply_language_extensions(template)["Resources"]["AAlarm"]["Properties"]

    assert properties == {
        "Function": {"Ref": "AFunction"},
        "Arn": {"Fn::GetAtt": ["AFunction", "Arn"]},
        "Alias": {"Fn::Sub": "${AFunction}:live"},
    }


def test_a_template_without_the_transform_is_left_alone() -> None:
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Topic": _topic("t")}}

    assert apply_language_extensions(template) == template


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            {"Resources": {"Fn::ForEach::T": ["N", ["A"], {"${N}Topic": _topic("x")}]}},
            "needs the AWS::LanguageExtensions transform",
        ),
        (
            _template({"Fn::ForEach::T": ["N", ["A", "B"], {"Topic": _topic("${N}")}]}),
            "does not name ${N}",
        ),
        (
            _template(
                {
                    "ATopic": _topic("x"),
                    "Fn::ForEach::T": ["N", ["A"], {"${N}Topic": _topic("y")}],
                }
            ),
            "produces 'ATopic' a second time",
        ),
        (
            _template(
                {"Fn::ForEach::T": ["Stage", ["A"], {"${Stage}Topic": _topic("x")}]},
                Parameters={"Stage": {"Type": "String"}},
            ),
            "that of a parameter",
        ),
        (
            _template({"Fn::ForEach::T": ["N", {"Ref": "Names"}, {"${N}Topic": _topic("x")}]}),
            "not a list of strings",
        ),
        (
            _template({"Fn::ForEach::T": ["N", ["a-b"], {"${N}Topic": _topic("x")}]}),
            "'a-bTopic' is not alphanumeric",
        ),
        (
            _template(
                {
                    "Fn::ForEach::T": ["N", ["A"], {"${N}Topic": _topic("x")}],
                    "Other": {
                        "Type": "AWS::SNS::Topic",
                        "Properties": {"Fn::ForEach::T": ["M", ["B"], {"${M}": "y"}]},
                    },
                }
            ),
            "loop names used twice: T",
        ),
        (_template({"Fn::ForEach::T": ["N", ["A"]]}), "is not [Identifier"),
    ],
)
def test_what_cloudformation_refuses_is_refused(template: dict[str, Any], message: str) -> None:
    with pytest.raises(
        LanguageExtensionError, match=message.replace("[", r"\[").replace("$", r"\$")
    ):
        apply_language_extensions(template)


def test_loops_nest_at_most_five_deep() -> None:
    def nested(depth: int) -> dict[str, Any]:
        key = "".join(f"${{I{level}}}" for level in range(depth)) + "Topic"
        fragment: dict[str, Any] = {key: _topic("x")}
        for level in reversed(range(depth)):
            fragment = {f"Fn::ForEach::L{level}": [f"I{level}", ["A"], fragment]}
        return fragment

    assert list(apply_language_extensions(_template(nested(5)))["Resources"]) == ["AAAAATopic"]
    with pytest.raises(LanguageExtensionError, match="deeper than 5"):
        apply_language_extensions(_template(nested(6)))


def test_the_template_expands_to_the_resources_sam_cli_expands_it_to() -> None:
    """SAM CLI's own expansion (what `sam build` builds) and the local one agree on every
    resource the template's loops make, and on its type."""
    sam_cli = process_template(read_template(DEFAULT_TEMPLATE))["Resources"]
    local = load_template(DEFAULT_TEMPLATE)["Resources"]

    assert any(
        key.startswith("Fn::ForEach::") for key in read_template(DEFAULT_TEMPLATE)["Resources"]
    )
    assert {key: r["Type"] for key, r in sam_cli.items()} == {
        key: r["Type"] for key, r in local.items()
    }
