"""`GET /actor` and the seed's `/get_actor/{platform}/{year}`."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from streamcat.api.caching import catalog_cached
from streamcat.api.models import ActorAnswer
from streamcat.api.params import PlatformName, Year
from streamcat.api.problems import COMMON_PROBLEMS, Problem, problem_responses
from streamcat.db import run_read
from streamcat.platforms import Platform
from streamcat.queries.actor import platform_has_cast, top_actor

router = APIRouter(
    dependencies=[catalog_cached], tags=["queries"], responses=problem_responses(COMMON_PROBLEMS)
)

_NOT_FOUND = problem_responses({404: "No title of that platform and year lists a cast"})


@router.get(
    "/actor",
    response_model=ActorAnswer,
    responses=_NOT_FOUND,
    summary="The cast member in most titles of a platform and year; ties go alphabetically",
)
async def get_actor(
    platform: Annotated[PlatformName, Query()], year: Annotated[Year, Query()]
) -> ActorAnswer:
    return _answer(platform, year)


@router.get(
    "/get_actor/{platform}/{year}",
    response_model=ActorAnswer,
    responses=_NOT_FOUND,
    tags=["seed aliases"],
    summary="Alias of /actor",
)
async def get_actor_alias(
    platform: Annotated[PlatformName, Path()], year: Annotated[Year, Path()]
) -> ActorAnswer:
    return _answer(platform, year)


def _answer(platform: Platform, year: int) -> ActorAnswer:
    top = run_read(lambda cursor: top_actor(cursor, platform=platform.value, year=year))
    if top is None:
        has_cast = run_read(lambda cursor: platform_has_cast(cursor, platform=platform.value))
        reason = (
            f"no {platform.value} title released in {year} lists a cast"
            if has_cast
            else f"the {platform.value} catalog lists no cast for any title"
        )
        raise Problem(404, "No actor", reason, platform=platform.value, year=year)
    return ActorAnswer(platform=platform, year=year, actor=top.actor, appearances=top.appearances)
