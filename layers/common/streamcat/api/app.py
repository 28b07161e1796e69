"""The FastAPI app factory: every function's app and the whole-API app come from here, so
every error anywhere is an RFC 9457 problem and nothing is ever an unformatted 500."""

from http import HTTPStatus
from typing import Any

import psycopg2
import psycopg2.errors
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streamcat.api.caching import NotModified, not_modified_response
from streamcat.api.observability import logger
from streamcat.api.problems import CATALOG_NOT_LOADED, Problem

API_TITLE = "Streaming catalog API"
API_VERSION = "1.0.0"
API_DESCRIPTION = (
    "Queries over the catalogs of Amazon Prime Video, Disney+, Hulu and Netflix. Platform names "
    "and text parameters are case-insensitive; errors are RFC 9457 `application/problem+json`."
)

# A catalog that was never loaded shows up as a missing schema or table: not an outage of ours.
_NO_CATALOG = (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName)
_UNAVAILABLE = (psycopg2.OperationalError, psycopg2.InterfaceError)


def create_app(*routers: APIRouter, docs: bool = False) -> FastAPI:
    """An app serving `routers`; `docs` adds `/docs` (Swagger UI served offline, see
    `routers.docs`) and `/openapi.json`."""
    app = FastAPI(
        title=API_TITLE,
        version=API_VERSION,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    for router in routers:
        app.include_router(router)
    if docs:
        from streamcat.api.routers.docs import docs_router

        app.include_router(docs_router(app))
    app.add_exception_handler(NotModified, _not_modified)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(psycopg2.Error, _database_error)
    app.add_middleware(_LastResort)
    return app


def create_whole_api_app() -> FastAPI:
    """Every route in one app with one OpenAPI document: what the docs function serves, and the
    local stack's API."""
    from streamcat.api.registry import QUERY_ROUTERS
    from streamcat.api.routers import health

    return create_app(health.router, *(function.router() for function in QUERY_ROUTERS), docs=True)


async def _not_modified(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return not_modified_response(exc)


async def _problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def _invalid_request(_: Request, exc: Exception) -> Response:
    """422 naming the first offending parameter; every error is listed under `errors`."""
    assert isinstance(exc, RequestValidationError)
    errors = [_parameter_error(error) for error in exc.errors()]
    first = errors[0] if errors else {"parameter": None, "message": "invalid request"}
    return Problem(
        422,
        "Invalid parameter",
        f"{first['parameter']}: {first['message']}",
        parameter=first["parameter"],
        errors=errors,
    ).response()


def _parameter_error(error: Any) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "request"
    name = ".".join(location[1:]) if len(location) > 1 else where
    return {"parameter": name, "in": where, "message": str(error.get("msg", "invalid value"))}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = str(exc.detail)
    if exc.status_code in (404, 405) and detail == phrase:
        detail = f"no route for {request.method} {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    return Problem(exc.status_code, phrase, detail).response(headers=headers)


async def _database_error(_: Request, exc: Exception) -> Response:
    if isinstance(exc, _NO_CATALOG):
        logger.warning("no catalog loaded", extra={"error": str(exc).strip()})
        return Problem(503, CATALOG_NOT_LOADED, "no catalog has been loaded yet").response(
            headers={"Retry-After": "30"}
        )
    if isinstance(exc, _UNAVAILABLE):
        logger.exception("database unavailable")
        return Problem(503, "Database unavailable", "the catalog database is unreachable").response(
            headers={"Retry-After": "5"}
        )
    logger.exception("database error")
    return _internal_error()


def _internal_error() -> Response:
    return Problem(500, "Internal error", "the request failed; it has been logged").response()


class _LastResort:
    """Any exception no handler took becomes a problem response (Starlette's own 500 handler
    would answer in plain text and re-raise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error")
            if started:
                raise
            await _internal_error()(scope, receive, send)
