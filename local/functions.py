"""The template's functions run as Lambda runs them, without Docker.

A function is read from template.yaml (code, handler, layers, memory, timeout, environment with
the Globals merged in as SAM merges them). Each warm container is a process of its own, started
with only the function's environment (its role's credentials included) and its code and layers
on the import path, so no function sees another's credentials or modules. A pool keeps up to
the function's concurrency of containers warm; a container that times out or dies is replaced,
as Lambda replaces it.
"""

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.lambda_context import LocalLambdaContext
from local.template import LOCAL_STACK_NAME, LocalStack, TemplateError

Invoke = Callable[[dict[str, Any]], Any]
"""A function as its callers see it: an event in, the response out (FunctionError on failure)."""
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3
# What a Lambda container's environment has besides the function's own variables.
_PROCESS_VARIABLES = (
    "PATH",
    "HOME",
    "LANG",
    "TMPDIR",
    "TZ",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


class FunctionError(RuntimeError):
    """The function failed: raised, timed out, or its container died. `payload` is what
    Lambda reports (errorType, errorMessage, stackTrace)."""

    def __init__(self, function: str, payload: dict[str, Any]) -> None:
        super().__init__(f"{function}: {payload.get('errorType')}: {payload.get('errorMessage')}")
        self.payload = payload


@dataclass(frozen=True)
class FunctionSpec:
    """What Lambda knows about one function, read from the template."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, Any]
    layer_dirs: list[Path] = field(default_factory=list)
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: int = DEFAULT_TIMEOUT_S

    @property
    def function_name(self) -> str:
        """As CloudFormation names it after the stack (without its random suffix)."""
        return f"{LOCAL_STACK_NAME}-{self.logical_id}"

    @property
    def import_paths(self) -> list[str]:
        """/var/task first, then the layers' /opt/python, as Lambda orders them."""
        return [str(self.code_dir), *(str(layer) for layer in self.layer_dirs)]


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
        raise TemplateError(f"no function {logical_id!r} in the template; functions: {known}")
    defaults: dict[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    properties: dict[str, Any] = resource.get("Properties") or {}
    code_uri = properties.get("CodeUri", defaults.get("CodeUri"))
    handler = properties.get("Handler", defaults.get("Handler"))
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise TemplateError(f"{logical_id} needs a local CodeUri and a Handler in the template")
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
        raise TemplateError(
            f"layer {layer!r} is not a layer with a local ContentUri in the template"
        )
    return (base_dir / content_uri).resolve()


def declared_environment(spec: FunctionSpec, stack: LocalStack) -> dict[str, str]:
    """The template's variables that resolve locally; the rest need a local value."""
    return {
        name: str(value)
        for name, raw in spec.environment.items()
        if (value := stack.try_resolve(raw)) is not None
    }


def container_environment(spec: FunctionSpec, variables: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a container: the process basics, what Lambda sets, then the
    function's own variables."""
    basics = {name: os.environ[name] for name in _PROCESS_VARIABLES if name in os.environ}
    return {
        **basics,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        **variables,
    }


class FunctionProcess:
    """One warm container: a process holding the imported handler, one event at a time."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
        self.spec = spec
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve_container,
            args=(spec.handler, spec.import_paths, dict(environment), spec, child),
            name=f"lambda-{spec.logical_id}",
            daemon=True,
        )
        self._process.start()
        child.close()

    def invoke(self, event: Any) -> Any:
        """The handler's response; FunctionError when it raised, timed out or died."""
        try:
            self._connection.send(event)
            if not self._connection.poll(self.spec.timeout_s):
                self.stop()
                raise FunctionError(
                    self.spec.logical_id,
                    {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": f"Task timed out after {self.spec.timeout_s} seconds",
                    },
                )
            status, payload = self._connection.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError) as error:
            self.stop()
            raise FunctionError(
                self.spec.logical_id,
                {"errorType": "Runtime.ExitError", "errorMessage": f"container exited ({error})"},
            ) from error
        if status == "error":
            raise FunctionError(self.spec.logical_id, payload)
        return payload

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        self._connection.close()
        self._process.terminate()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve_container(
    handler_path: str,
    import_paths: list[str],
    environment: dict[str, str],
    spec: FunctionSpec,
    connection: multiprocessing.connection.Connection,
) -> None:
    """The container's main loop. Ctrl-C is the stack's to handle: it stops containers itself.
    Lambda sends function output to its logs, so stdout goes to stderr here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    os.environ.clear()
    os.environ.update(environment)
    sys.path[:0] = import_paths
    try:
        handler = _import_handler(handler_path)
    except Exception as error:  # reported on each invocation, as Lambda's init errors are
        init_error = _error_payload(error, "Runtime.ImportModuleError")
        handler = None
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        if handler is None:
            connection.send(("error", init_error))
            continue
        context = LocalLambdaContext(
            function_name=spec.function_name,
            memory_limit_in_mb=spec.memory_mb,
            timeout_s=spec.timeout_s,
            region=environment.get("AWS_REGION", "us-east-1"),
        )
        try:
            connection.send(("ok", handler(event, context)))
        except Exception as error:  # the function's failure, reported as Lambda reports it
            connection.send(("error", _error_payload(error)))


def _import_handler(dotted_path: str) -> Any:
    import importlib

    module_name, _, attribute = dotted_path.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(handler):
        raise TypeError(f"handler {dotted_path!r}: {module_name} has no callable {attribute!r}")
    return handler


def _error_payload(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


class FunctionPool:
    """Up to `concurrency` warm containers of one function; an invocation takes an idle one,
    starts a new one under the limit, or waits (Lambda would throttle; locally it queues)."""

    def __init__(
        self, spec: FunctionSpec, environment: Mapping[str, str], concurrency: int
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.spec = spec
        self._environment = dict(environment)
        self._concurrency = concurrency
        self._idle: list[FunctionProcess] = []
        self._started = 0
        self._closed = False
        self._available = threading.Condition()

    def invoke(self, event: Any) -> Any:
        container = self._acquire()
        try:
            return container.invoke(event)
        finally:
            self._release(container)

    def _acquire(self) -> FunctionProcess:
        with self._available:
            while not self._idle and self._started >= self._concurrency:
                self._available.wait()
            if self._closed:
                raise RuntimeError(f"{self.spec.logical_id}: the pool is closed")
            if self._idle:
                return self._idle.pop()
            self._started += 1
        try:
            return FunctionProcess(self.spec, self._environment)
        except BaseException:
            with self._available:
                self._started -= 1
                self._available.notify()
            raise

    def _release(self, container: FunctionProcess) -> None:
        with self._available:
            if container.alive and not self._closed:
                self._idle.append(container)
            else:
                self._started -= 1
                container.stop()
            self._available.notify()

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._available.notify_all()
        for container in idle:
            container.stop()
