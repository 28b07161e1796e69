"""Invoke one function of template.yaml without Docker, the way Lambda would.

`python -m local.invoke <LogicalId> <events/file.json>` reads the template, gives the function
its environment (Globals, then its own Environment; values the template cannot know locally,
such as `!GetAtt DatabaseProxy.Endpoint`, come from env.json's `Parameters` and the function's own
entry there, and the shell overrides both), puts its CodeUri and its layers' ContentUris on
sys.path, imports its Handler, calls it with the event and a fake Lambda context, and prints the
JSON response on stdout (the handler's own output goes to stderr).
"""

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local.lambda_context import LocalLambdaContext

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO / "template.yaml"
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3


class InvokeError(RuntimeError):
    """The template, the function or the event cannot be used as asked."""


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
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, short-form intrinsics included."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as error:
        raise InvokeError(f"cannot read template {path}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise InvokeError(f"{path} is not a CloudFormation template (no Resources)")
    return document


@dataclass(frozen=True)
class FunctionSpec:
    """What Lambda would know about one function, read from the template."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, Any]
    layer_dirs: list[Path] = field(default_factory=list)
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: int = DEFAULT_TIMEOUT_S


def function_names(template: Mapping[str, Any]) -> list[str]:
    return sorted(
        name
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    )


def function_spec(template: Mapping[str, Any], logical_id: str, base_dir: Path) -> FunctionSpec:
    """The function's settings with the Globals merged in as SAM merges them."""
    resource = template["Resources"].get(logical_id)
    if not resource or resource.get("Type") != "AWS::Serverless::Function":
        known = ", ".join(function_names(template))
        raise InvokeError(f"no function {logical_id!r} in the template; functions: {known}")
    defaults: dict[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    properties: dict[str, Any] = resource.get("Properties") or {}
    code_uri = properties.get("CodeUri", defaults.get("CodeUri"))
    handler = properties.get("Handler", defaults.get("Handler"))
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise InvokeError(f"{logical_id} needs a local CodeUri and a Handler in the template")
    layers = [*(defaults.get("Layers") or []), *(properties.get("Layers") or [])]
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=(base_dir / code_uri).resolve(),
        handler=handler,
        environment={**_variables(defaults), **_variables(properties)},
        layer_dirs=[_layer_dir(template, layer, base_dir) for layer in layers],
        memory_mb=int(properties.get("MemorySize", defaults.get("MemorySize", DEFAULT_MEMORY_MB))),
        timeout_s=int(properties.get("Timeout", defaults.get("Timeout", DEFAULT_TIMEOUT_S))),
    )


def _variables(properties: Mapping[str, Any]) -> dict[str, Any]:
    environment = properties.get("Environment") or {}
    return dict(environment.get("Variables") or {})


def _layer_dir(template: Mapping[str, Any], layer: Any, base_dir: Path) -> Path:
    """A layer of this template (`!Ref SomeLayer`) as its local ContentUri."""
    name = layer.get("Ref") if isinstance(layer, dict) else None
    resource = template["Resources"].get(name) if isinstance(name, str) else None
    content_uri = ((resource or {}).get("Properties") or {}).get("ContentUri")
    if not isinstance(content_uri, str):
        raise InvokeError(f"layer {layer!r} is not a layer with a local ContentUri in the template")
    return (base_dir / content_uri).resolve()


def read_local_values(env_file: Path, logical_id: str) -> dict[str, str]:
    """env.json's values for this function: `Parameters` for all, its own entry on top."""
    if not env_file.is_file():
        return {}
    try:
        document = json.loads(env_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvokeError(f"cannot read {env_file}: {error}") from error
    values: dict[str, str] = {}
    for section in ("Parameters", logical_id):
        entry = document.get(section) or {}
        if not isinstance(entry, dict):
            raise InvokeError(f"{env_file}: {section!r} must map variable names to values")
        values.update({str(name): str(value) for name, value in entry.items()})
    return values


def resolve_environment(
    declared: Mapping[str, Any], local_values: Mapping[str, str], shell: Mapping[str, str]
) -> dict[str, str]:
    """Template literals, then the local values, then the shell. A template value that only
    CloudFormation can resolve is left out unless a local value replaces it."""
    resolved = {
        name: str(value)
        for name, value in declared.items()
        if isinstance(value, str | int | float | bool)
    }
    resolved.update(local_values)
    resolved.update({name: shell[name] for name in resolved if name in shell})
    return resolved


@contextlib.contextmanager
def _function_process_state(spec: FunctionSpec, environment: Mapping[str, str]) -> Iterator[None]:
    """The environment and import path of the function, restored afterwards so that several
    functions (all named `app`) can be invoked one after another in one process."""
    saved_environ = dict(os.environ)
    saved_path = list(sys.path)
    top_module = spec.handler.split(".", 1)[0]
    _forget_modules(top_module)
    os.environ.update(environment)
    sys.path[:0] = [str(spec.code_dir), *(str(layer) for layer in spec.layer_dirs)]
    _clear_cached_settings()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        sys.path[:] = saved_path
        _forget_modules(top_module)
        _clear_cached_settings()


def _forget_modules(top_module: str) -> None:
    for name in [n for n in sys.modules if n == top_module or n.startswith(f"{top_module}.")]:
        del sys.modules[name]


def _clear_cached_settings() -> None:
    """Settings and clients are cached per container; a new invocation here is a new one."""
    from streamcat.settings import get_settings
    from streamcat.storage import s3_client

    get_settings.cache_clear()
    s3_client.cache_clear()


def _load_handler(spec: FunctionSpec) -> Callable[[Any, Any], Any]:
    module_name, _, attribute = spec.handler.rpartition(".")
    if not module_name:
        raise InvokeError(f"{spec.logical_id}: handler {spec.handler!r} is not module.function")
    if not spec.code_dir.is_dir():
        raise InvokeError(f"{spec.logical_id}: CodeUri {spec.code_dir} does not exist")
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise InvokeError(f"{spec.logical_id}: {module_name} has no callable {attribute!r}")
    return handler  # type: ignore[no-any-return]


def invoke(
    logical_id: str,
    event: Any,
    template_path: Path = DEFAULT_TEMPLATE,
    env_file: Path | None = None,
) -> Any:
    """Call the function's handler with `event` and return its response."""
    template = load_template(template_path)
    spec = function_spec(template, logical_id, template_path.parent)
    local_values = read_local_values(env_file or template_path.parent / "env.json", logical_id)
    environment = resolve_environment(spec.environment, local_values, os.environ)
    with _function_process_state(spec, environment), contextlib.redirect_stdout(sys.stderr):
        handler = _load_handler(spec)
        region = os.environ.get("AWS_REGION", "us-east-1")
        return handler(
            event,
            LocalLambdaContext(
                function_name=f"streamcat-local-{spec.logical_id}",
                memory_limit_in_mb=spec.memory_mb,
                timeout_s=spec.timeout_s,
                region=region,
            ),
        )


def read_event(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvokeError(f"cannot read event {path}: {error}") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.invoke", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("logical_id", help="the function's logical id in the template")
    parser.add_argument("event", type=Path, help="a JSON event file, e.g. events/<name>.json")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--env-vars", type=Path, default=None, help="default: env.json")
    arguments = parser.parse_args(argv)
    try:
        response = invoke(
            arguments.logical_id,
            read_event(arguments.event),
            template_path=arguments.template.resolve(),
            env_file=arguments.env_vars,
        )
    except InvokeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(response, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
