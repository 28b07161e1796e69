"""`GET /max-duration` and the seed's `/get_max_duration/{year}/{platform}/{duration_type}`."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from streamcat.api.caching import catalog_cached
from streamcat.api.models import MaxDurationAnswer
from streamcat.api.params import DurationKind, DurationType, PlatformName, Year
from streamcat.api.problems import COMMON_PROBLEMS, Problem, problem_responses
from streamcat.db import run_read
from streamcat.platforms import Platform
from streamcat.queries.max_duration import max_duration

router = APIRouter(
    dependencies=[catalog_cached], tags=["queries"], responses=problem_responses(COMMON_PROBLEMS)
)

_NOT_FOUND = problem_responses({404: "No title matches the filters"})


@router.get(
    "/max-duration",
    response_model=MaxDurationAnswer,
    responses=_NOT_FOUND,
    summary="The longest title; ties go to the smallest id",
)
async def get_max_duration(
    year: Annotated[Year | None, Query()] = None,
    platform: Annotated[PlatformName | None, Query()] = None,
    duration_type: Annotated[DurationKind, Query()] = DurationType.MIN,
) -> MaxDurationAnswer:
    return _answer(year, platform, duration_type)


@router.get(
    "/get_max_duration/{year}/{platform}/{duration_type}",
    response_model=MaxDurationAnswer,
    responses=_NOT_FOUND,
    tags=["seed aliases"],
    summary="Alias of /max-duration",
)
async def get_max_duration_alias(
    year: Annotated[Year, Path()],
    platform: Annotated[PlatformName, Path()],
    duration_type: Annotated[DurationKind, Path()],
) -> MaxDurationAnswer:
    return _answer(year, platform, duration_type)


def _answer(
    year: int | None, platform: Platform | None, duration_type: DurationType
) -> MaxDurationAnswer:
    longest = run_read(
        lambda cursor: max_duration(
            cursor,
            duration_type=duration_type.value,
            platform=platform.value if platform else None,
            year=year,
        )
    )
    if longest is None:
        kind = "movie" if duration_type is DurationType.MIN else "tv show"
        filters = ", ".join(
            f"{name}={value}"
            for name, value in (("platform", platform and platform.value), ("year", year))
            if value is not None
        )
        raise Problem(
            404,
            "No matching title",
            f"no {kind} with a duration matches {filters or 'the catalog'}",
        )
    return MaxDurationAnswer.model_validate(longest._asdict())
