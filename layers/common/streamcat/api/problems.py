"""RFC 9457 problem details: the one shape of every error body the API sends."""

from typing import Any

from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Stable problem types (relative URI references, RFC 9457 section 3.1.1) for the statuses we send.
_TYPES: dict[int, str] = {
    400: "/problems/bad-request",
    404: "/problems/not-found",
    405: "/problems/method-not-allowed",
    409: "/problems/conflict",
    422: "/problems/invalid-parameter",
    500: "/problems/internal-error",
    503: "/problems/service-unavailable",
}


# The 503 titles a stack answers by design until its first catalog load or its first model:
# `answer` logs them as not_ready, which the template's fault alarm leaves out of the API's 5xx.
CATALOG_NOT_LOADED = "Catalog not loaded"
MODEL_NOT_LOADED = "Recommendations unavailable"
NOT_READY_TITLES = frozenset({CATALOG_NOT_LOADED, MODEL_NOT_LOADED})


class Problem(Exception):  # noqa: N818 (the name other modules import)
    """Raised by routers for an answer that is not a 200 (a 404 with its reason, ...).
    Keyword extras (`suggestions=[...]`) become extension members of the body."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        parameter: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.parameter = parameter
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": _TYPES.get(self.status, "about:blank"),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.parameter is not None:
            body["parameter"] = self.parameter
        body.update(self.extra)
        return body

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(
            self.body(), status_code=self.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
        )


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "parameter": {"type": "string", "description": "the offending parameter"},
    },
    "additionalProperties": True,
}

COMMON_PROBLEMS: dict[int, str] = {
    422: "A parameter is missing or invalid; `parameter` names it",
    503: "No catalog loaded yet, or the database is unreachable",
}


def problem_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting problem bodies (instead of FastAPI's default 422 shape)."""
    return {
        status: {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status, description in descriptions.items()
    }
