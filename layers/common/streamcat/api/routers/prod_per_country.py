"""`GET /prod-per-country` and the seed's `/prod_per_county/{tipo}/{pais}/{anio}` (sic)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from streamcat.api.caching import catalog_cached
from streamcat.api.models import ProdPerCountryAnswer
from streamcat.api.params import Text, TitleKind, TitleType, Year
from streamcat.api.problems import COMMON_PROBLEMS, problem_responses
from streamcat.db import run_read
from streamcat.queries.prod_per_country import prod_per_country

router = APIRouter(
    dependencies=[catalog_cached], tags=["queries"], responses=problem_responses(COMMON_PROBLEMS)
)


@router.get(
    "/prod-per-country",
    response_model=ProdPerCountryAnswer,
    summary="Titles of a type with that exact country, released in a year",
)
async def get_prod_per_country(
    tipo: Annotated[TitleKind, Query()],
    pais: Annotated[Text, Query(description="exact country, any case")],
    anio: Annotated[Year, Query()],
) -> ProdPerCountryAnswer:
    return _answer(tipo, pais, anio)


@router.get(
    "/prod_per_county/{tipo}/{pais}/{anio}",
    response_model=ProdPerCountryAnswer,
    tags=["seed aliases"],
    summary="Alias of /prod-per-country (the seed's spelling)",
)
async def get_prod_per_country_alias(
    tipo: Annotated[TitleKind, Path()],
    pais: Annotated[Text, Path(description="exact country, any case")],
    anio: Annotated[Year, Path()],
) -> ProdPerCountryAnswer:
    return _answer(tipo, pais, anio)


def _answer(tipo: TitleType, pais: str, anio: int) -> ProdPerCountryAnswer:
    count = run_read(
        lambda cursor: prod_per_country(cursor, title_type=tipo.value, country=pais, year=anio)
    )
    return ProdPerCountryAnswer(pais=pais, anio=anio, tipo=tipo, contenido=count)
