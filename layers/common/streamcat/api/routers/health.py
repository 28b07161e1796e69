"""`GET /health`: 200 once a catalog is loaded, else a 503 problem."""

from fastapi import APIRouter

from streamcat.api.caching import catalog_cached
from streamcat.api.models import HealthAnswer
from streamcat.api.problems import CATALOG_NOT_LOADED, COMMON_PROBLEMS, Problem, problem_responses
from streamcat.db import run_read
from streamcat.queries.catalog_meta import catalog_version

router = APIRouter(
    dependencies=[catalog_cached],
    tags=["health"],
    responses=problem_responses({503: COMMON_PROBLEMS[503]}),
)


@router.get(
    "/health",
    response_model=HealthAnswer,
    summary="Whether a catalog is loaded and serving",
)
async def get_health() -> HealthAnswer:
    loaded = run_read(catalog_version)
    if loaded is None:
        raise Problem(503, CATALOG_NOT_LOADED, "the catalog schema holds no loaded version")
    return HealthAnswer(status="ok", catalog_version=loaded.version, load_id=loaded.load_id)
