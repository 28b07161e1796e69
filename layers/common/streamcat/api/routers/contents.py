"""`GET /contents` and the seed's `/get_contents/{rating}`."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from streamcat.api.caching import catalog_cached
from streamcat.api.models import ContentsAnswer
from streamcat.api.params import Text
from streamcat.api.problems import COMMON_PROBLEMS, problem_responses
from streamcat.db import run_read
from streamcat.queries.contents import contents

router = APIRouter(
    dependencies=[catalog_cached], tags=["queries"], responses=problem_responses(COMMON_PROBLEMS)
)

_RATING = "audience rating, any case: `tv-ma`, `13+`, `pg-13`, ..."


@router.get("/contents", response_model=ContentsAnswer, summary="Titles with an audience rating")
async def get_contents(rating: Annotated[Text, Query(description=_RATING)]) -> ContentsAnswer:
    return _answer(rating)


@router.get(
    "/get_contents/{rating}",
    response_model=ContentsAnswer,
    tags=["seed aliases"],
    summary="Alias of /contents",
)
async def get_contents_alias(rating: Annotated[Text, Path(description=_RATING)]) -> ContentsAnswer:
    return _answer(rating)


def _answer(rating: str) -> ContentsAnswer:
    count = run_read(lambda cursor: contents(cursor, rating=rating))
    return ContentsAnswer(rating=rating, count=count)
