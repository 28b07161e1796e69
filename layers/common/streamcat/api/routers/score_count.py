"""`GET /score-count` and the seed's `/get_score_count/{platform}/{scored}/{year}`."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from streamcat.api.caching import catalog_cached
from streamcat.api.models import ScoreCountAnswer
from streamcat.api.params import PlatformName, Score, Year
from streamcat.api.problems import COMMON_PROBLEMS, problem_responses
from streamcat.db import run_read
from streamcat.platforms import Platform
from streamcat.queries.score_count import score_count

router = APIRouter(
    dependencies=[catalog_cached], tags=["queries"], responses=problem_responses(COMMON_PROBLEMS)
)


@router.get(
    "/score-count",
    response_model=ScoreCountAnswer,
    summary="Movies of a platform and year scoring strictly above `scored`",
)
async def get_score_count(
    platform: Annotated[PlatformName, Query()],
    scored: Annotated[Score, Query()],
    year: Annotated[Year, Query()],
) -> ScoreCountAnswer:
    return _answer(platform, scored, year)


@router.get(
    "/get_score_count/{platform}/{scored}/{year}",
    response_model=ScoreCountAnswer,
    tags=["seed aliases"],
    summary="Alias of /score-count",
)
async def get_score_count_alias(
    platform: Annotated[PlatformName, Path()],
    scored: Annotated[Score, Path()],
    year: Annotated[Year, Path()],
) -> ScoreCountAnswer:
    return _answer(platform, scored, year)


def _answer(platform: Platform, scored: float, year: int) -> ScoreCountAnswer:
    count = run_read(
        lambda cursor: score_count(cursor, platform=platform.value, scored=scored, year=year)
    )
    return ScoreCountAnswer(platform=platform, scored=scored, year=year, count=count)
