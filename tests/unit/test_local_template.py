"""template.yaml's intrinsic functions resolved against the local stack's resources."""

import pytest

from local.template import LocalStack, TemplateError, load_template, parameter_overrides

TEMPLATE = {
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
    "Mappings": {"Levels": {"dev": {"Name": "DEBUG"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    },
    "Resources": {},
}


def _stack(**parameters: str) -> LocalStack:
    return LocalStack(template=TEMPLATE, parameters=parameters).with_resource(
        "Queue", "http://q", Arn="arn:aws:sqs:us-east-1:123456789012:q", QueueName="q"
    )


def test_sub_reads_pseudo_parameters_parameters_and_attributes() -> None:
    text = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}-${Stage}"

    assert _stack().resolve({"Fn::Sub": text}) == "arn:aws:sqs:us-east-1:123456789012:q-dev"
    assert _stack().resolve({"Fn::Sub": ["${name}/x", {"name": {"Ref": "Queue"}}]}) == "http://q/x"
    assert _stack().resolve({"Fn::Sub": "${!Literal}"}) == "${Literal}"


def test_the_stack_id_names_the_local_stack_as_the_template_builds_names() -> None:
    bucket = {
        "Fn::Join": [
            "-",
            ["streamcat", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}],
        ]
    }

    assert _stack().resolve(bucket) == "streamcat-local"


def test_conditions_choose_and_no_value_drops_the_entry() -> None:
    value = {
        "Level": {"Fn::If": ["IsProd", "INFO", "DEBUG"]},
        "Alarm": {"Fn::If": ["NotProd", {"Ref": "AWS::NoValue"}, "x"]},
        "List": ["a", {"Ref": "AWS::NoValue"}],
    }

    assert _stack().resolve(value) == {"Level": "DEBUG", "List": ["a"]}
    assert _stack(Stage="prod").resolve(value) == {"Level": "INFO", "Alarm": "x", "List": ["a"]}


def test_find_in_map_reads_the_templates_mappings() -> None:
    assert _stack().resolve({"Fn::FindInMap": ["Levels", {"Ref": "Stage"}, "Name"]}) == "DEBUG"
    with pytest.raises(TemplateError, match=r"no Levels\.prod\.Name"):
        _stack(Stage="prod").resolve({"Fn::FindInMap": ["Levels", {"Ref": "Stage"}, "Name"]})


def test_what_the_local_stack_does_not_know_is_named() -> None:
    with pytest.raises(TemplateError, match=r"Database\.Endpoint has no local value"):
        _stack().resolve({"Fn::GetAtt": ["Database", "Endpoint"]})
    assert _stack().try_resolve({"Ref": "Unknown"}) is None


def test_the_real_template_names_its_bucket_after_the_stack() -> None:
    template = load_template()
    name = LocalStack(template).resolve(
        template["Resources"]["DataBucket"]["Properties"]["BucketName"]
    )

    assert name == "streamcat-local"


def test_parameter_overrides_are_checked_as_cloudformation_checks_them() -> None:
    template = load_template()
    found = parameter_overrides(template, ["SparkTrainingThreshold=0", "Architecture=x86_64"])
    assert found == {"SparkTrainingThreshold": "0", "Architecture": "x86_64"}
    for bad, why in [
        ("Nope=1", "not Name=Value for a parameter"),
        ("SparkTrainingThreshold", "not Name=Value"),
        ("SparkTrainingThreshold=-1", "outside"),
        ("SparkTrainingThreshold=many", "not a number"),
        ("Architecture=sparc", "not one of"),
        ("SparkReleaseLabel=7.11", "does not match"),
    ]:
        with pytest.raises(TemplateError, match=why):
            parameter_overrides(template, [bad])


def test_an_overridden_parameter_is_what_ref_resolves_to() -> None:
    stack = LocalStack(load_template(), parameters={"SparkTrainingThreshold": "0"})
    assert stack.resolve({"Ref": "SparkTrainingThreshold"}) == "0"
    assert LocalStack(load_template()).resolve({"Ref": "SparkTrainingThreshold"}) == "50000000"
