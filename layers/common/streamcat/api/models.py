"""The JSON answers of the query routes (docs/api.md)."""

import datetime

from pydantic import BaseModel, Field

from streamcat.api.params import DurationType, TitleType
from streamcat.platforms import Platform


class MaxDurationAnswer(BaseModel):
    id: str
    title: str
    platform: Platform
    release_year: int
    duration_int: int
    duration_type: DurationType


class ScoreCountAnswer(BaseModel):
    platform: Platform
    scored: float
    year: int
    count: int


class CountPlatformAnswer(BaseModel):
    platform: Platform
    count: int


class ActorAnswer(BaseModel):
    platform: Platform
    year: int
    actor: str
    appearances: int


class ProdPerCountryAnswer(BaseModel):
    pais: str
    anio: int
    tipo: TitleType
    contenido: int


class ContentsAnswer(BaseModel):
    rating: str
    count: int


class HealthAnswer(BaseModel):
    status: str
    catalog_version: int
    load_id: str


class TitleSummary(BaseModel):
    id: str
    title: str
    platform: Platform
    type: TitleType
    release_year: int
    score: float | None = Field(description="mean rating; null when nobody rated the title")
    votes: int


class TitlesAnswer(BaseModel):
    items: list[TitleSummary]
    total: int = Field(description="titles matching the query, over every page")
    next_cursor: str | None = Field(description="the next page's `cursor`; null on the last page")
    catalog_version: int = Field(description="the catalog the page was read from")


class Copy(BaseModel):
    id: str
    platform: Platform


class TitleDetailAnswer(BaseModel):
    id: str
    title: str
    platform: Platform
    type: TitleType
    director: str | None
    cast: list[str]
    countries: list[str]
    genres: list[str]
    release_year: int
    date_added: datetime.date | None
    rating: str = Field(description="audience rating, e.g. tv-ma")
    duration_int: int | None
    duration_type: DurationType | None
    description: str | None
    score: float | None = Field(description="mean rating; null when nobody rated the title")
    votes: int
    available_on: list[Copy] = Field(
        description="every copy of the title (same title and release year), this one included"
    )
