"""`/docs` (Swagger UI), its assets and `/openapi.json`, all served by the docs function itself:
the page works on a machine without internet (FastAPI's default loads Swagger UI from a CDN).

The assets come from the `swagger-ui-bundle-v2` package (Swagger UI 5, which renders OpenAPI
3.1 documents as FastAPI writes them). Their tag is the API's and Swagger UI's version.
"""

from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, JSONResponse, Response
from swagger_ui_bundle import swagger_ui_path

from streamcat.api.caching import cache_headers, cached_by, etag
from streamcat.api.problems import Problem

ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def _docs_version(app: FastAPI) -> str:
    return f"docs-{app.version}-{Path(str(swagger_ui_path)).name}"


def docs_router(app: FastAPI) -> APIRouter:
    """The routes of the documentation of `app` (its OpenAPI document is made once, lazily)."""
    version = _docs_version(app)
    router = APIRouter(include_in_schema=False, dependencies=[cached_by(lambda: version)])

    @router.get("/openapi.json")
    async def openapi(request: Request) -> Response:
        return JSONResponse(app.openapi(), headers=cache_headers(etag(version, request)))

    @router.get("/docs")
    async def swagger_ui(request: Request) -> Response:
        page: HTMLResponse = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url="/docs/swagger-ui-bundle.js",
            swagger_css_url="/docs/swagger-ui.css",
            swagger_favicon_url="/docs/favicon-32x32.png",
        )
        page.headers.update(cache_headers(etag(version, request)))
        return page

    @router.get("/docs/{asset}")
    async def swagger_asset(request: Request, asset: Annotated[str, PathParam()]) -> Response:
        if asset not in ASSETS:
            raise Problem(404, "Not Found", f"no asset {asset!r} in /docs")
        return Response(
            _asset(asset),
            media_type=ASSETS[asset],
            headers=cache_headers(etag(version, request)),
        )

    return router


@cache
def _asset(name: str) -> bytes:
    """Read once per container: the bundle is 1.5 MB."""
    return (Path(str(swagger_ui_path)) / name).read_bytes()
