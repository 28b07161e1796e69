"""`GET /recommendations?title=…` (or `?id=…`) and the seed's `/get_recommendation/{titulo}`.

Answers come from the model in memory (`streamcat.recommend`); the database is not touched.
A title on several platforms resolves to the entry with the most votes, then the lowest id,
and the answer's `id` says which one was used.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, BeforeValidator, Field

from streamcat.api.caching import cached_by
from streamcat.api.params import TitleId, no_control_characters
from streamcat.api.problems import MODEL_NOT_LOADED, Problem, problem_responses
from streamcat.recommend.model import Recommender
from streamcat.recommend.store import ModelUnavailable, get_store
from streamcat.title_text import normalize_title

RECOMMENDATIONS = 5
SUGGESTIONS = 5


class Recommendation(BaseModel):
    id: str
    title: str
    platform: str
    score: float | None = Field(description="mean rating; null when nobody rated the title")


class RecommendationAnswer(BaseModel):
    id: str = Field(description="the catalog id the query resolved to")
    title: str
    recommendations: list[Recommendation] = Field(description="most similar first")


def _title_text(value: object) -> object:
    """Normalised as the trainer normalised the model's titles; a control character (a tab is
    not a space here) is refused first, before normalising would turn it into a space."""
    return normalize_title(no_control_characters(value)) if isinstance(value, str) else value


TITLE_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
"""What `_title_text` accepts, stated in the OpenAPI document: no control character, and
something besides whitespace (whitespace alone normalises to nothing)."""

# The pattern is stated for the OpenAPI document (a BeforeValidator hides Field's own).
TitleText = Annotated[
    str,
    BeforeValidator(_title_text),
    Field(
        min_length=1,
        max_length=300,
        description="a title, any case",
        json_schema_extra={"pattern": TITLE_PATTERN},
    ),
]


def _model_tag() -> str | None:
    """The served model's version: a new model changes every recommendation's tag."""
    try:
        return f"model-{get_store().current().version}"
    except ModelUnavailable:
        return None


router = APIRouter(
    tags=["recommendations"],
    dependencies=[cached_by(_model_tag)],
    responses=problem_responses(
        {
            404: "Unknown title (with `suggestions`) or id",
            422: "Neither or both of `title` and `id`, or an invalid value",
            503: "No recommendation model is loaded (missing or corrupt)",
        }
    ),
)


@router.get(
    "/recommendations",
    response_model=RecommendationAnswer,
    summary="5 titles similar to the given one (by title or id), best first",
)
def get_recommendations(
    response: Response,
    title: Annotated[TitleText | None, Query()] = None,
    id: Annotated[TitleId | None, Query()] = None,
) -> RecommendationAnswer:
    if (title is None) == (id is None):
        raise Problem(422, "Invalid parameter", "give exactly one of `title` or `id`", "title")
    return _answer(response, title=title, title_id=id)


@router.get(
    "/get_recommendation/{titulo}",
    response_model=RecommendationAnswer,
    tags=["seed aliases"],
    summary="Alias of /recommendations?title=",
)
def get_recommendation_alias(
    response: Response, titulo: Annotated[TitleText, Path()]
) -> RecommendationAnswer:
    return _answer(response, title=titulo, title_id=None, parameter="titulo")


def _answer(
    response: Response, title: str | None, title_id: str | None, parameter: str = "title"
) -> RecommendationAnswer:
    model = _model()
    response.headers["X-Model-Version"] = str(model.version)
    if title_id is not None:
        index = model.find_id(title_id)
        if index is None:
            raise Problem(404, "Unknown id", f"no title has the id {title_id!r}", "id")
    else:
        assert title is not None
        index = model.find_title(title)
        if index is None:
            suggestions = model.suggest(title, SUGGESTIONS)
            hint = f"; did you mean {suggestions[0]!r}?" if suggestions else ""
            raise Problem(
                404,
                "Unknown title",
                f"no title is called {title!r}{hint}",
                parameter,
                suggestions=suggestions,
            )
    found = model.entry(index)
    return RecommendationAnswer(
        id=found.id,
        title=found.title,
        recommendations=[
            Recommendation(id=r.id, title=r.title, platform=r.platform, score=r.score)
            for r in model.recommend(index, RECOMMENDATIONS)
        ],
    )


def _model() -> Recommender:
    try:
        return get_store().current()
    except ModelUnavailable as reason:
        raise Problem(503, MODEL_NOT_LOADED, str(reason)) from reason
