"""template.yaml read as the local stack needs it: plain data with its Fn::ForEach loops expanded,
SAM expanded into CloudFormation, and intrinsic functions resolved against the local stand-ins
of the stack's resources.

Whatever the local stack provisions (the bucket's name, the queues' attributes, each
function's role and environment) comes from here, so the template stays the one source of
truth and a change to it changes what runs locally.
"""

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local.language_extensions import LanguageExtensionError, apply_language_extensions

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO / "template.yaml"
LOCAL_ACCOUNT = "123456789012"
LOCAL_STACK_NAME = "streamcat-local"
_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class TemplateError(RuntimeError):
    """The template cannot be read, or a value cannot be resolved locally."""


class _TemplateLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """Reads CloudFormation's short tags (`!Ref`, `!Sub`, `!GetAtt`...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def read_template(path: Path = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """The template as written, as plain data, short-form intrinsics included."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"cannot read template {path}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return document


def load_template(path: Path = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """The template as SAM's transform receives it: after CloudFormation's
    AWS::LanguageExtensions transform has expanded its loops."""
    try:
        return apply_language_extensions(read_template(path))
    except LanguageExtensionError as error:
        raise TemplateError(f"{path}: {error}") from error


def parameter_overrides(template: Mapping[str, Any], pairs: list[str]) -> dict[str, str]:
    """`Name=Value` pairs, as `sam deploy --parameter-overrides` takes them, checked as
    CloudFormation checks them: a parameter of the template, within its constraints."""
    declared, values = template.get("Parameters") or {}, {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or name not in declared:
            known = ", ".join(sorted(declared))
            raise TemplateError(
                f"{pair!r}: not Name=Value for a parameter of the template ({known})"
            )
        values[name] = _checked_parameter(name, declared[name], value)
    return values


def _checked_parameter(name: str, declared: Mapping[str, Any], value: str) -> str:
    allowed, pattern = declared.get("AllowedValues"), declared.get("AllowedPattern")
    if allowed is not None and value not in [str(v) for v in allowed]:
        raise TemplateError(f"{name}={value!r}: not one of {allowed}")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise TemplateError(f"{name}={value!r}: does not match {pattern}")
    if declared.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"{name}={value!r}: not a number") from None
        low, high = declared.get("MinValue"), declared.get("MaxValue")
        if (low is not None and number < float(low)) or (high is not None and number > float(high)):
            raise TemplateError(f"{name}={value!r}: outside [{low}, {high}]")
    return value


def expand_sam(template: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The CloudFormation that SAM's own translator makes of the template: each function's
    execution role with its policy templates expanded, exactly as `sam deploy` creates it.
    Code locations are replaced by placeholders (the translator wants S3 URIs; they change no
    role)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    document = copy.deepcopy(dict(template))
    for resource in document["Resources"].values():
        properties = resource.get("Properties") or {}
        for name in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(name), str):
                properties[name] = f"s3://local-code/{properties[name]}"
    try:
        translator = Translator(
            None, Parser(), boto_session=boto3.session.Session(region_name=region)
        )
        # The template names managed policies by ARN, so the translator needs no lookup.
        expanded: dict[str, Any] = translator.translate(
            document, parameter_values={}, get_managed_policy_map=dict
        )
    except Exception as error:  # the translator raises its own exception types
        raise TemplateError(f"SAM could not translate the template: {error}") from error
    return expanded


@dataclass(frozen=True)
class LocalStack:
    """What CloudFormation would know of a deployed stack, for the local one: the pseudo
    parameters, the parameter values, and each resource's `Ref` and attributes once known."""

    template: Mapping[str, Any]
    region: str = "us-east-1"
    stack_name: str = LOCAL_STACK_NAME
    account_id: str = LOCAL_ACCOUNT
    parameters: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def stack_id(self) -> str:
        """A stack id whose last part (the UUID in AWS) names the local stack's resources."""
        return (
            f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/"
            f"{self.stack_name}/{self.stack_name.removeprefix('streamcat-')}"
        )

    def with_resource(self, logical_id: str, ref: str, **attributes: str) -> "LocalStack":
        """A copy that knows one more resource's `Ref` and attributes (`Arn`, `QueueName`...)."""
        facts = {"Ref": ref, **attributes}
        return LocalStack(
            template=self.template,
            region=self.region,
            stack_name=self.stack_name,
            account_id=self.account_id,
            parameters=self.parameters,
            resources={**self.resources, logical_id: facts},
        )

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated; TemplateError names what is not
        known locally."""
        resolved = _Resolver(self).value(value)
        return None if resolved is _NO_VALUE else resolved

    def try_resolve(self, value: Any) -> Any | None:
        """As `resolve`, or None when something in `value` is not known locally."""
        try:
            return self.resolve(value)
        except TemplateError:
            return None


class _Resolver:
    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    def value(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.value(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            function = _FUNCTIONS.get(name)
            if function is not None:
                return function(self, argument)
        resolved = {key: self.value(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def ref(self, name: Any) -> Any:
        if isinstance(name, dict):  # a name spelled by an intrinsic function
            name = str(self.value(name))
        stack = self._stack
        pseudo = {
            "AWS::Region": stack.region,
            "AWS::AccountId": stack.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.stack_name,
            "AWS::StackId": stack.stack_id,
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in stack.parameters:
            return stack.parameters[name]
        parameter = (stack.template.get("Parameters") or {}).get(name)
        if parameter is not None and "Default" in parameter:
            return str(parameter["Default"])
        return self.attribute(name, "Ref")

    def attribute(self, logical_id: str, name: str) -> str:
        facts = self._stack.resources.get(logical_id)
        if facts is None or name not in facts:
            what = logical_id if name == "Ref" else f"{logical_id}.{name}"
            raise TemplateError(f"{what} has no local value (not provisioned by the local stack)")
        return facts[name]

    def get_att(self, argument: Any) -> str:
        logical_id, name = argument if isinstance(argument, list) else argument.split(".", 1)
        return self.attribute(str(self.value(logical_id)), str(self.value(name)))

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {name: self.value(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(name)
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def join(self, argument: Any) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.value(items))

    def select(self, argument: Any) -> Any:
        index, items = argument
        return self.value(items)[int(self.value(index))]

    def split(self, argument: Any) -> list[str]:
        separator, text = argument
        return str(self.value(text)).split(str(separator))

    def find_in_map(self, argument: Any) -> Any:
        name, first, second = (self.value(item) for item in argument)
        try:
            return self._stack.template["Mappings"][name][first][second]
        except KeyError as error:
            raise TemplateError(f"no {name}.{first}.{second} in the template's Mappings") from error

    def if_(self, argument: Any) -> Any:
        condition, when_true, when_false = argument
        return self.value(when_true if self.condition(condition) else when_false)

    def condition(self, name: str) -> bool:
        conditions = self._stack.template.get("Conditions") or {}
        if name not in conditions:
            raise TemplateError(f"condition {name} is not in the template")
        return bool(self.value(conditions[name]))

    def equals(self, argument: Any) -> bool:
        left, right = (self.value(item) for item in argument)
        return bool(str(left) == str(right))

    def not_(self, argument: Any) -> bool:
        return not self.value(argument[0])

    def and_(self, argument: Any) -> bool:
        return all(self.value(item) for item in argument)

    def or_(self, argument: Any) -> bool:
        return any(self.value(item) for item in argument)


_FUNCTIONS = {
    "Ref": _Resolver.ref,
    "Fn::GetAtt": _Resolver.get_att,
    "Fn::Sub": _Resolver.sub,
    "Fn::Join": _Resolver.join,
    "Fn::Select": _Resolver.select,
    "Fn::Split": _Resolver.split,
    "Fn::FindInMap": _Resolver.find_in_map,
    "Fn::If": _Resolver.if_,
    "Fn::Equals": _Resolver.equals,
    "Fn::Not": _Resolver.not_,
    "Fn::And": _Resolver.and_,
    "Fn::Or": _Resolver.or_,
    "Condition": _Resolver.condition,
}


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    """Logical id to properties of every resource of one type."""
    return {
        name: resource.get("Properties") or {}
        for name, resource in template["Resources"].items()
        if resource.get("Type") == resource_type
    }
