"""`GET /titles/{id}`: one title and where else to watch it (docs/api.md)."""

from typing import Annotated

from fastapi import APIRouter, Path

from streamcat.api.caching import catalog_cached
from streamcat.api.models import TitleDetailAnswer
from streamcat.api.params import TitleId
from streamcat.api.problems import COMMON_PROBLEMS, Problem, problem_responses
from streamcat.db import run_read
from streamcat.queries.titles import title_detail

router = APIRouter(
    dependencies=[catalog_cached],
    tags=["browse"],
    responses=problem_responses({**COMMON_PROBLEMS, 404: "No title has that id"}),
)


@router.get(
    "/titles/{id}",
    response_model=TitleDetailAnswer,
    summary="A title's detail, with every platform that has the same title and year",
)
async def get_title(id: Annotated[TitleId, Path()]) -> TitleDetailAnswer:
    found = run_read(lambda cursor: title_detail(cursor, title_id=id))
    if found is None:
        raise Problem(404, "Unknown id", f"no title has the id {id!r}", "id")
    return TitleDetailAnswer.model_validate(found._asdict())
