"""`GET /count-platform` and the seed's `/get_count_platform/{platform}`."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from streamcat.api.caching import catalog_cached
from streamcat.api.models import CountPlatformAnswer
from streamcat.api.params import PlatformName
from streamcat.api.problems import COMMON_PROBLEMS, problem_responses
from streamcat.db import run_read
from streamcat.platforms import Platform
from streamcat.queries.count_platform import count_platform

router = APIRouter(
    dependencies=[catalog_cached], tags=["queries"], responses=problem_responses(COMMON_PROBLEMS)
)


@router.get("/count-platform", response_model=CountPlatformAnswer, summary="Movies on a platform")
async def get_count_platform(platform: Annotated[PlatformName, Query()]) -> CountPlatformAnswer:
    return _answer(platform)


@router.get(
    "/get_count_platform/{platform}",
    response_model=CountPlatformAnswer,
    tags=["seed aliases"],
    summary="Alias of /count-platform",
)
async def get_count_platform_alias(
    platform: Annotated[PlatformName, Path()],
) -> CountPlatformAnswer:
    return _answer(platform)


def _answer(platform: Platform) -> CountPlatformAnswer:
    count = run_read(lambda cursor: count_platform(cursor, platform=platform.value))
    return CountPlatformAnswer(platform=platform, count=count)
