"""Typed, validated request parameters shared by the query-string routes and their path aliases.

Text is trimmed and lower-cased before validation (the catalog stores lower case), so `Netflix`,
`NETFLIX` and ` netflix ` are one platform. Free-text parameters refuse control characters, which
PostgreSQL could not take as text anyway.
"""

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from streamcat.platforms import Platform

MIN_YEAR = 1900
MAX_YEAR = 2100
MAX_TEXT_LENGTH = 100


class DurationType(StrEnum):
    MIN = "min"
    SEASON = "season"


class TitleType(StrEnum):
    MOVIE = "movie"
    TV_SHOW = "tv show"


def _normalized(value: object) -> object:
    return value.strip(" ").lower() if isinstance(value, str) else value


def no_control_characters(value: str) -> str:
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters")
    return value


PlatformName = Annotated[
    Platform, BeforeValidator(_normalized), Field(description="amazon, disney, hulu or netflix")
]
DurationKind = Annotated[
    DurationType,
    BeforeValidator(_normalized),
    Field(description="`min` (movies) or `season` (TV shows)"),
]
TitleKind = Annotated[
    TitleType, BeforeValidator(_normalized), Field(description="`movie` or `tv show`")
]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR, description="release year")]
Score = Annotated[float, Field(ge=0, le=5, allow_inf_nan=False, description="a score from 0 to 5")]
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
"""What the validators below accept, stated in the OpenAPI document: no control character,
and something besides spaces."""
Text = Annotated[
    str,
    BeforeValidator(_normalized),
    Field(min_length=1, max_length=MAX_TEXT_LENGTH, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(no_control_characters),
]


_ID = re.compile(r"^[a-z]s[a-z0-9_.-]+$")


def _catalog_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("must be a platform letter, 's' and a show id, e.g. ns8807")
    return value


TitleId = Annotated[
    str,
    BeforeValidator(_normalized),
    Field(
        min_length=2,
        max_length=70,
        description="a catalog id, e.g. ns8807",
        json_schema_extra={"pattern": r"^ *[a-zA-Z][sS][a-zA-Z0-9_.-]+ *$"},
    ),
    AfterValidator(_catalog_id),
]
