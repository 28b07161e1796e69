"""The Lambda entry point of every HTTP function: Mangum for the app, Powertools around it."""

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from fastapi import FastAPI
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from streamcat.api.observability import logger, metrics, tracer, tracing_enabled
from streamcat.api.problems import NOT_READY_TITLES, PROBLEM_MEDIA_TYPE
from streamcat.api.snapstart import register as register_snapstart_hooks

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_handler(app: FastAPI) -> LambdaHandler:
    """Lifespan is off so no per-invocation startup work runs (the database connection is opened
    lazily once per container); problem bodies are sent as text, not base64. The Tracer wraps it
    only where it traces (see `observability`). SnapStart's hooks are registered for `app`."""
    register_snapstart_hooks(app)
    mangum = Mangum(
        app,
        lifespan="off",
        text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, PROBLEM_MEDIA_TYPE],
    )

    def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = mangum(event, context)
        status = int(response["statusCode"])
        route = str(event.get("routeKey", "-"))
        metrics.add_dimension(name="route", value=route)
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        if status >= 400:
            metrics.add_metric(name=f"Status{status // 100}xx", unit=MetricUnit.Count, value=1)
        logger.info(
            "answered",
            extra={"route": route, "status": status, "not_ready": is_not_ready(response)},
        )
        return response

    traced = (
        tracer().capture_lambda_handler(answer, capture_response=False)
        if tracing_enabled()
        else answer
    )
    with_metrics = metrics.log_metrics(traced)
    handler: LambdaHandler = logger.inject_lambda_context(
        with_metrics, correlation_id_path=correlation_paths.API_GATEWAY_HTTP
    )
    return handler


def is_not_ready(response: dict[str, Any]) -> bool:
    """A 503 the API sends by design before the first catalog or model (the template's
    ApiFaultsAlarm counts it out of the API's 5xx), not a fault."""
    if int(response["statusCode"]) != 503:
        return False
    title = json.loads(response.get("body") or "{}").get("title")
    return title in NOT_READY_TITLES
