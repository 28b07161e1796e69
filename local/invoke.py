"""Invoke one function of template.yaml without Docker, the way Lambda would.

`python -m local.invoke <LogicalId> <events/file.json>` reads the template and runs the
function's handler in a container of its own (a fresh process with only the function's
environment, its CodeUri and layers on the import path), then prints the JSON response on
stdout (the handler's own output goes to stderr).

While `make run` serves, the function runs against that stack as the stack runs it: with its
role's credentials (IAM enforced), the template's environment resolved to the stack's
resources, and the stack's database and endpoint. Otherwise the template's environment is
completed from env.json (`Parameters`, then the function's own entry) and the shell. Unlike
`sam local invoke --env-vars`, which passes only the variables the function declares (and
credentials only from its own session), every name in env.json is passed, and the shell wins
over env.json: docs/sam-local-invoke.md lists the differences.

Only the command line looks for `make run`'s state file by default (`--state` names another);
`invoke()` uses a stack only when given its state file, so a caller (a test) never runs
against a stack it did not name.
"""

import argparse
import json
import os
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.cloud import STATE_FILE, LocalCloud
from local.functions import (
    FunctionError,
    FunctionProcess,
    FunctionSpec,
    container_environment,
    declared_environment,
    function_spec,
)
from local.template import DEFAULT_TEMPLATE, LocalStack, TemplateError, load_template


class InvokeError(RuntimeError):
    """The template, the function or the event cannot be used as asked."""


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


def running_stack(state: Path) -> LocalCloud | None:
    """The stack `make run` serves, if its state file names a server that answers. moto's
    config is asked, not its data.json: that dumps every resource (megabytes once IAM's
    managed policies are loaded) and outlasts the timeout."""
    if not state.is_file():
        return None
    cloud = LocalCloud.load(state)
    try:
        with urllib.request.urlopen(f"{cloud.endpoint_url}/moto-api/config", timeout=2):  # noqa: S310
            return cloud
    except OSError:
        return None


def function_environment(
    spec: FunctionSpec,
    template: Mapping[str, Any],
    cloud: LocalCloud | None,
    local_values: Mapping[str, str],
    shell: Mapping[str, str],
) -> dict[str, str]:
    """Against a running stack: the stack's resources, settings and the role's credentials.
    Otherwise: template literals, then env.json (any name), then the shell for those names."""
    if cloud is not None and spec.logical_id in cloud.functions:
        declared = declared_environment(spec, cloud.stack(dict(template)))
        credentials = cloud.functions[spec.logical_id].environment()
        return {**declared, **cloud.function_overrides, **credentials}
    resolved = {**declared_environment(spec, LocalStack(template)), **local_values}
    resolved.update({name: shell[name] for name in resolved if name in shell})
    return resolved


def invoke(
    logical_id: str,
    event: Any,
    template_path: Path = DEFAULT_TEMPLATE,
    env_file: Path | None = None,
    state: Path | None = None,
) -> Any:
    """Call the function with `event` in a fresh container and return its response;
    FunctionError when it fails as Lambda would report it. Against the stack of `state` when
    it serves, else on env.json and the shell."""
    try:
        template = load_template(template_path)
        spec = function_spec(template, logical_id, template_path.parent)
    except TemplateError as error:
        raise InvokeError(str(error)) from error
    local_values = read_local_values(env_file or template_path.parent / "env.json", logical_id)
    cloud = running_stack(state) if state is not None else None
    variables = function_environment(spec, template, cloud, local_values, os.environ)
    container = FunctionProcess(spec, container_environment(spec, variables))
    try:
        return container.invoke(event)
    finally:
        container.stop()


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
    parser.add_argument("--state", type=Path, default=STATE_FILE, help="default: %(default)s")
    arguments = parser.parse_args(argv)
    try:
        response = invoke(
            arguments.logical_id,
            read_event(arguments.event),
            template_path=arguments.template.resolve(),
            env_file=arguments.env_vars,
            state=arguments.state,
        )
    except InvokeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FunctionError as error:
        print(json.dumps(error.payload, indent=2))
        return 1
    print(json.dumps(response, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
