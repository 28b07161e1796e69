"""The HTTP API of template.yaml, locally: each request goes to the function its route names,
as an API Gateway payload 2.0 event, and the function's answer goes back as API Gateway sends
it. Routes come from the functions' `HttpApi` events; an unrouted request is API Gateway's
404, a function that fails is its 500 (`{"message": "Internal Server Error"}`).
"""

import base64
import datetime
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread

from local.functions import FunctionError, Invoke
from local.template import LocalStack, resources_of_type

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_PARAMETER = re.compile(r"\{([^}/]+)\}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route takes the request, else None."""
        if method != self.method:
            return None
        parts = _PARAMETER.split(self.path)  # literal, parameter name, literal, ...
        pattern = "".join(
            f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


def http_routes(stack: LocalStack) -> list[Route]:
    """Every HttpApi route of the template's functions."""
    routes = []
    for function, properties in resources_of_type(
        stack.template, "AWS::Serverless::Function"
    ).items():
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                route = event["Properties"]
                routes.append(Route(route["Method"].upper(), route["Path"], function))
    return routes


class ApiGateway:
    """An ASGI app standing in for the HTTP API's `$default` stage."""

    def __init__(
        self, routes: list[Route], functions: Mapping[str, Invoke], account_id: str
    ) -> None:
        self._routes = routes
        self._functions = functions
        self._account_id = account_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = await _read_body(receive)
        method, path = scope["method"], scope["path"]
        for route in self._routes:
            parameters = route.match(method, path)
            if parameters is not None:
                event = self.event(route, scope, body, parameters)
                answer = await anyio.to_thread.run_sync(self._answer, route, event)
                await _send(send, answer)
                return
        await _send(send, _json_answer(404, {"message": "Not Found"}))

    def _answer(self, route: Route, event: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._functions[route.function](event)
        except FunctionError as error:
            log.error("%s failed: %s", route.function, error)
            return _json_answer(500, {"message": "Internal Server Error"})
        return _proxy_answer(response)

    def event(
        self, route: Route, scope: Scope, body: bytes, parameters: dict[str, str]
    ) -> dict[str, Any]:
        """The payload 2.0 event API Gateway builds (repeated headers and query parameters
        joined by commas)."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        query = scope.get("query_string", b"").decode("latin-1")
        now = datetime.datetime.now(datetime.UTC)
        host = headers.get("host", "127.0.0.1")
        source_ip = (scope.get("client") or ("127.0.0.1", 0))[0]
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.key,
            "rawPath": scope["path"],
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": self._account_id,
                "apiId": "local",
                "domainName": host,
                "domainPrefix": host.split(".", 1)[0],
                "http": {
                    "method": scope["method"],
                    "path": scope["path"],
                    "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": secrets.token_urlsafe(12),
                "routeKey": route.key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(time.time() * 1000),
            },
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = _query_parameters(query)
        if parameters:
            event["pathParameters"] = parameters
        if "cookie" in headers:
            event["cookies"] = [c.strip() for c in headers.pop("cookie").split(";")]
        if body:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        return event


def _query_parameters(query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _proxy_answer(response: Any) -> dict[str, Any]:
    """A function's answer as API Gateway reads it: a dict with `statusCode`, or any other
    JSON value, which it sends as a 200 JSON body."""
    if isinstance(response, dict) and "statusCode" in response:
        return response
    return _json_answer(200, response)


def _json_answer(status: int, body: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": body if isinstance(body, str) else json.dumps(body),
    }


async def _send(send: Send, answer: dict[str, Any]) -> None:
    body = answer.get("body") or ""
    payload = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
    headers = [
        (k.lower().encode(), str(v).encode()) for k, v in (answer.get("headers") or {}).items()
    ]
    headers += [(b"set-cookie", c.encode()) for c in answer.get("cookies") or []]
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(payload)).encode()))
    await send(
        {"type": "http.response.start", "status": int(answer["statusCode"]), "headers": headers}
    )
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
