"""The HTTP functions behind API Gateway, listed once.

Each function's own app, the whole-API app the docs function serves, the local stack, the
benchmarks and the tests read this list; `tests/infrastructure/test_function_registry.py` holds
it equal to the template's functions with HttpApi events.
"""

import importlib
from dataclasses import dataclass
from enum import StrEnum

from fastapi import APIRouter


class Kind(StrEnum):
    SEED_QUERY = "seed query"
    """One of the six queries the API started with: each also answers its original path."""
    BROWSE = "browse"
    RECOMMENDATIONS = "recommendations"
    DOCS = "docs"
    """The OpenAPI document, Swagger UI and `/health`."""


@dataclass(frozen=True)
class HttpFunction:
    name: str
    """Its folder under `functions/`, its router module and the prefix of its events."""
    kind: Kind

    @property
    def logical_id(self) -> str:
        """The template's resource name: `max_duration` is `MaxDurationFunction`."""
        return "".join(part.title() for part in self.name.split("_")) + "Function"

    def router(self) -> APIRouter:
        """Imported on demand, so a single-query function never loads the other routers."""
        module = importlib.import_module(f"streamcat.api.routers.{self.name}")
        router: APIRouter = module.router
        return router


HTTP_FUNCTIONS = (
    HttpFunction("max_duration", Kind.SEED_QUERY),
    HttpFunction("score_count", Kind.SEED_QUERY),
    HttpFunction("count_platform", Kind.SEED_QUERY),
    HttpFunction("actor", Kind.SEED_QUERY),
    HttpFunction("prod_per_country", Kind.SEED_QUERY),
    HttpFunction("contents", Kind.SEED_QUERY),
    HttpFunction("titles", Kind.BROWSE),
    HttpFunction("title_detail", Kind.BROWSE),
    HttpFunction("recommendations", Kind.RECOMMENDATIONS),
    HttpFunction("docs", Kind.DOCS),
)


def of_kind(*kinds: Kind) -> tuple[HttpFunction, ...]:
    return tuple(function for function in HTTP_FUNCTIONS if function.kind in kinds)


QUERY_ROUTERS = of_kind(Kind.SEED_QUERY, Kind.BROWSE, Kind.RECOMMENDATIONS)
"""The functions whose routers make up the whole API beside `/health` and the docs."""
