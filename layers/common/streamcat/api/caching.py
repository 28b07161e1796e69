"""HTTP caching of every GET: an ETag from the version of the data and the request, a short
Cache-Control, and a 304 without a body (and without running the query) for a matching
If-None-Match.

The version is read before the answer is made. Versions only grow, so an answer is never older
than the version its tag names: a client revalidating a tag of version v while v still serves
holds either v's answer or, in the instant of a reload, a newer one, and any later version
changes the tag. A reload (new catalog or new model) therefore changes every tag.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute

from streamcat.db import run_read
from streamcat.queries.catalog_meta import catalog_version

CACHE_CONTROL = "public, max-age=30"
"""Short: a reload shows within half a minute; revalidating after that costs one indexed row."""


class NotModified(Exception):  # noqa: N818 (reads as the answer it becomes)
    """The client's copy is current: answered as a 304 by the app's handler."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def etag(version: str, request: Request) -> str:
    """A strong tag of the data's version, the path and the query parameters (in any order)."""
    query = sorted(request.query_params.multi_items())
    text = repr((version, request.url.path, query))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def matches(header: str | None, tag: str) -> bool:
    """If-None-Match: `*`, or a list of tags, weak ones compared weakly (RFC 9110 13.1.2)."""
    if header is None:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or tag in candidates


def not_modified_response(exc: NotModified) -> Response:
    return Response(status_code=304, headers=cache_headers(exc.etag))


def cache_headers(tag: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": CACHE_CONTROL}


def cached_by(version_of: Callable[[], str | None]) -> Any:
    """A dependency for a router: tags its answers, or answers 304 before the endpoint runs.
    No version (nothing loaded yet) means no tag: the endpoint answers its own problem."""

    async def revalidate(request: Request, response: Response) -> None:
        if not _valid(request):
            return
        version = version_of()
        if version is None:
            return
        tag = etag(version, request)
        if matches(request.headers.get("if-none-match"), tag):
            raise NotModified(tag)
        response.headers.update(cache_headers(tag))

    return Depends(revalidate)


def _valid(request: Request) -> bool:
    """Whether the route's own path and query parameters are valid. FastAPI calls a router's
    dependencies before it validates them: a request it will refuse with a 422 must not read
    the database (or fail on it) first."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return True
    dependant = route.dependant
    _, query_errors = request_params_to_args(dependant.query_params, request.query_params)
    _, path_errors = request_params_to_args(dependant.path_params, request.path_params)
    return not query_errors and not path_errors


def catalog_tag() -> str | None:
    """The loaded catalog's version, for the routes that read the catalog."""
    loaded = run_read(catalog_version)
    return None if loaded is None else f"catalog-{loaded.version}"


catalog_cached = cached_by(catalog_tag)
