"""The JSON answers of the query routes (SPEC section 4)."""

from pydantic import BaseModel

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
