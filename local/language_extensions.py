"""The AWS::LanguageExtensions transform, which CloudFormation runs before SAM's: every
`Fn::ForEach` loop expanded, so that the local stack, SAM's translator and the template tests see
the resources CloudFormation creates.

A loop is `Fn::ForEach::<LoopName>: [Identifier, [Value, ...], {OutputKey: OutputValue}]` in
Conditions, Resources or Outputs, or inside a resource: one copy of the fragment per value, with
`${Identifier}` replaced by the value, `&{Identifier}` by the value without its non-alphanumeric
characters, and `Ref: Identifier` by the value. CloudFormation rejects a malformed loop, a clash of
names or a loop without the transform, and so does this.
"""

import re
from collections.abc import Mapping
from typing import Any

TRANSFORM = "AWS::LanguageExtensions"
LOOP_PREFIX = "Fn::ForEach::"
# Loops may nest this deep, no deeper.
MAX_DEPTH = 5
_SECTIONS = ("Conditions", "Resources", "Outputs")
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]+")
_NON_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


class LanguageExtensionError(ValueError):
    """A template CloudFormation's AWS::LanguageExtensions transform would refuse."""


def transforms(template: Mapping[str, Any]) -> list[str]:
    """The transforms the template declares, in the order CloudFormation runs them."""
    declared = template.get("Transform") or []
    return [declared] if isinstance(declared, str) else list(declared)


def apply_language_extensions(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as the transforms after AWS::LanguageExtensions receive it: its loops
    expanded and the transform taken off its Transform list. A template that does not declare
    the transform is returned unchanged, unless it holds a loop: CloudFormation refuses that."""
    document = dict(template)
    declared = transforms(document)
    if TRANSFORM not in declared:
        for section in _SECTIONS:
            if _holds_loop(document.get(section)):
                raise LanguageExtensionError(
                    f"{section} uses Fn::ForEach, which needs the {TRANSFORM} transform"
                )
        return document
    expander = _Expander(document)
    for section in _SECTIONS:
        if isinstance(document.get(section), dict):
            expanded = expander.mapping(document[section], {}, depth=0)
            for logical_id in expanded:
                if not _LOGICAL_ID.fullmatch(logical_id):
                    raise LanguageExtensionError(
                        f"{section}: {logical_id!r} is not alphanumeric, as a logical id must be"
                    )
            document[section] = expanded
    remaining = [name for name in declared if name != TRANSFORM]
    if not remaining:
        document.pop("Transform", None)
    else:
        document["Transform"] = remaining[0] if len(remaining) == 1 else remaining
    folded: dict[str, Any] = _fold_literal_names(document)
    return folded


def _holds_loop(value: Any) -> bool:
    return bool(_loop_names(value))


def _loop_names(value: Any) -> list[str]:
    """The name of every loop written in `value`, nested ones included, once per writing."""
    names: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.startswith(LOOP_PREFIX):
                names.append(key.removeprefix(LOOP_PREFIX))
            names.extend(_loop_names(item))
    elif isinstance(value, list):
        for item in value:
            names.extend(_loop_names(item))
    return names


class _Expander:
    def __init__(self, template: Mapping[str, Any]) -> None:
        self._parameters = set(template.get("Parameters") or {})
        self._resources = {
            key for key in template.get("Resources") or {} if not key.startswith(LOOP_PREFIX)
        }
        names: list[str] = []
        for section in _SECTIONS:
            names.extend(_loop_names(template.get(section)))
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise LanguageExtensionError(f"loop names used twice: {', '.join(repeated)}")

    def value(self, value: Any, identifiers: dict[str, str], depth: int) -> Any:
        if isinstance(value, dict):
            return self.mapping(value, identifiers, depth)
        if isinstance(value, list):
            return [self.value(item, identifiers, depth) for item in value]
        return value

    def mapping(
        self, value: dict[str, Any], identifiers: dict[str, str], depth: int
    ) -> dict[str, Any]:
        """`value` with its loops replaced by what they expand to, nested loops included."""
        expanded: dict[str, Any] = {}
        for key, item in value.items():
            if key.startswith(LOOP_PREFIX):
                produced = self._loop(key, item, identifiers, depth + 1)
            else:
                produced = {key: self.value(item, identifiers, depth)}
            for produced_key, produced_value in produced.items():
                if produced_key in expanded:
                    raise LanguageExtensionError(f"{key} produces {produced_key!r} a second time")
                expanded[produced_key] = produced_value
        return expanded

    def _loop(self, key: str, loop: Any, identifiers: dict[str, str], depth: int) -> dict[str, Any]:
        name = key.removeprefix(LOOP_PREFIX)
        if depth > MAX_DEPTH:
            raise LanguageExtensionError(f"{key} nests loops deeper than {MAX_DEPTH}")
        if not isinstance(loop, list) or len(loop) != 3:
            raise LanguageExtensionError(f"{key} is not [Identifier, [values], {{fragment}}]")
        identifier, collection, fragment = loop
        if not isinstance(identifier, str) or not identifier:
            raise LanguageExtensionError(f"{key}: the identifier is not a name")
        if not isinstance(fragment, dict) or not fragment:
            raise LanguageExtensionError(f"{key}: the fragment is not a mapping")
        if not isinstance(collection, list) or not all(isinstance(v, str) for v in collection):
            raise LanguageExtensionError(
                f"{key}: the collection is not a list of strings (a parameter's list is known "
                "only at deploy time, so the local stack needs the values written out)"
            )
        clashes = {
            "a parameter": identifier in self._parameters or name in self._parameters,
            "an enclosing loop's identifier": identifier in identifiers,
            "a resource": name in self._resources,
        }
        for what, clash in clashes.items():
            if clash:
                raise LanguageExtensionError(f"{key}: its name or identifier is that of {what}")
        for output_key in fragment:
            named = "${" + identifier + "}" in output_key or "&{" + identifier + "}" in output_key
            if not output_key.startswith(LOOP_PREFIX) and not named:
                raise LanguageExtensionError(
                    f"{key}: output key {output_key!r} does not name ${{{identifier}}} or "
                    f"&{{{identifier}}}, so every value would produce it again"
                )
        expanded: dict[str, Any] = {}
        for item in collection:
            copy = _substitute(fragment, identifier, item)
            for produced_key, produced_value in self.mapping(
                copy, {**identifiers, identifier: item}, depth
            ).items():
                if produced_key in expanded:
                    raise LanguageExtensionError(f"{key} produces {produced_key!r} a second time")
                expanded[produced_key] = produced_value
        return expanded


def _substitute(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, str):
        stripped = _NON_ALPHANUMERIC.sub("", item)
        return value.replace("${" + identifier + "}", item).replace(
            "&{" + identifier + "}", stripped
        )
    if isinstance(value, list):
        return [_substitute(element, identifier, item) for element in value]
    if isinstance(value, dict):
        if value == {"Ref": identifier}:
            return item
        return {
            _substitute(key, identifier, item): _substitute(element, identifier, item)
            for key, element in value.items()
        }
    return value


def _fold_literal_names(value: Any) -> Any:
    """`Ref` and `Fn::GetAtt` may name their target with an intrinsic function under the
    transform; one that is a Fn::Sub without variables left (a loop's `${Identifier}` replaced)
    is the literal name it spells."""
    if isinstance(value, list):
        return [_fold_literal_names(item) for item in value]
    if not isinstance(value, dict):
        return value
    folded = {key: _fold_literal_names(item) for key, item in value.items()}
    if set(folded) == {"Ref"}:
        return {"Ref": _literal(folded["Ref"])}
    if set(folded) == {"Fn::GetAtt"} and isinstance(folded["Fn::GetAtt"], list):
        return {"Fn::GetAtt": [_literal(part) for part in folded["Fn::GetAtt"]]}
    return folded


def _literal(name: Any) -> Any:
    if isinstance(name, dict) and set(name) == {"Fn::Sub"}:
        text = name["Fn::Sub"]
        if isinstance(text, str) and "${" not in text:
            return text
    return name
