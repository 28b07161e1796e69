"""`GET /titles`: search by words, filter, sort and page through every title.

The cursor is opaque to clients: base64url JSON of the catalog version, a digest of the query it
pages (filters, sort, order) and the last row's keys. A cursor of another query is a 422; one of
an older catalog is a 409, never a page of the new catalog continuing a page of the old one.
"""

import base64
import binascii
import datetime
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, Field

from streamcat.api.caching import catalog_cached
from streamcat.api.models import TitlesAnswer, TitleSummary
from streamcat.api.params import PlatformName, Score, Text, TitleKind, Year
from streamcat.api.problems import CATALOG_NOT_LOADED, COMMON_PROBLEMS, Problem, problem_responses
from streamcat.db import run_read
from streamcat.queries.titles import Filters, Keys, Order, Sort, search_page

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 400

# The natural direction of each sort when `order` is not given: A to Z, otherwise newest,
# best-scored and most-voted first.
_DEFAULT_ORDER = {Sort.TITLE: Order.ASC}

# The Python types of each sort's two keys, checked before a cursor's keys reach SQL.
_KEY_TYPES: dict[Sort, tuple[type, type]] = {
    Sort.RELEVANCE: (int, int),
    Sort.TITLE: (str, int),
    Sort.RELEASE_YEAR: (int, int),
    Sort.VOTES: (int, int),
    Sort.SCORE: (int, float),
    Sort.DATE_ADDED: (int, datetime.date),
}


def _has_a_word(value: str) -> str:
    if not any(char.isalnum() for char in value):
        raise ValueError("must contain a letter or a digit")
    return value


Words = Annotated[Text, AfterValidator(_has_a_word)]

router = APIRouter(
    dependencies=[catalog_cached],
    tags=["browse"],
    responses=problem_responses(
        {
            **COMMON_PROBLEMS,
            409: "The cursor belongs to an older catalog: start again without it",
        }
    ),
)


@router.get(
    "/titles",
    response_model=TitlesAnswer,
    summary="Search and browse titles: words, filters, sort and keyset pages",
)
async def get_titles(
    q: Annotated[
        Words | None,
        Query(description="words of the title, any case and accents; ranked by relevance"),
    ] = None,
    platform: Annotated[
        list[PlatformName] | None, Query(description="repeatable: any of these platforms")
    ] = None,
    type: Annotated[TitleKind | None, Query()] = None,
    year_from: Annotated[Year | None, Query(description="first release year, inclusive")] = None,
    year_to: Annotated[Year | None, Query(description="last release year, inclusive")] = None,
    genre: Annotated[Text | None, Query(description="an exact genre, e.g. dramas")] = None,
    country: Annotated[Text | None, Query(description="an exact country")] = None,
    cast: Annotated[Text | None, Query(description="an exact cast member")] = None,
    director: Annotated[Text | None, Query(description="an exact director")] = None,
    rating: Annotated[Text | None, Query(description="audience rating, e.g. tv-ma")] = None,
    min_score: Annotated[Score | None, Query(description="lowest mean rating")] = None,
    min_votes: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    sort: Annotated[
        Sort | None, Query(description="relevance (with q, the default) or title (the default)")
    ] = None,
    order: Annotated[
        Order | None, Query(description="asc or desc; title defaults to asc, the others to desc")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), Query()] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page"),
    ] = None,
) -> TitlesAnswer:
    filters = Filters(
        q=q,
        platforms=tuple(sorted({p.value for p in platform or ()})),
        type=type.value if type else None,
        year_from=year_from,
        year_to=year_to,
        genre=genre,
        country=country,
        cast=cast,
        director=director,
        rating=rating,
        min_score=min_score,
        min_votes=min_votes,
    )
    chosen = _sort(sort, q)
    direction = order or _DEFAULT_ORDER.get(chosen, Order.DESC)
    digest = _digest(filters, chosen, direction)
    version, after = _decode(cursor, digest, chosen) if cursor else (None, None)
    page = run_read(
        lambda c: search_page(c, filters, sort=chosen, order=direction, limit=limit, after=after)
    )
    if page.version is None:
        raise Problem(503, CATALOG_NOT_LOADED, "the catalog schema holds no loaded version")
    if version is not None and version != page.version:
        raise Problem(
            409,
            "Catalog reloaded",
            f"the cursor pages catalog version {version}, now version {page.version} serves: "
            "request the first page again",
            "cursor",
        )
    return TitlesAnswer(
        items=[TitleSummary.model_validate(item._asdict()) for item in page.items],
        total=page.total,
        next_cursor=_encode(page.version, digest, page.last) if page.last else None,
        catalog_version=page.version,
    )


def _sort(sort: Sort | None, q: str | None) -> Sort:
    """Relevance needs words to be relevant to."""
    if sort is Sort.RELEVANCE and q is None:
        raise Problem(422, "Invalid parameter", "sort: relevance needs `q`", "sort")
    return sort or (Sort.RELEVANCE if q is not None else Sort.TITLE)


def _digest(filters: Filters, sort: Sort, order: Order) -> str:
    """What a cursor pages: its filters, sort and order (limit may change between pages)."""
    return hashlib.sha256(repr((filters, sort.value, order.value)).encode()).hexdigest()[:16]


def _encode(version: int, digest: str, last: Keys) -> str:
    key0, key1, last_id = last
    document = {"v": version, "q": digest, "k": [key0, key1], "id": last_id}
    raw = json.dumps(document, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, digest: str, sort: Sort) -> tuple[int, Keys]:
    """The cursor's catalog version and keys; a 422 naming `cursor` for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode()))
        version, keys = document["v"], _keys(document, sort)
    except (ValueError, TypeError, KeyError, binascii.Error) as error:
        raise Problem(
            422, "Invalid parameter", "cursor: not a cursor of GET /titles", "cursor"
        ) from error
    if not isinstance(version, int) or document.get("q") != digest:
        raise Problem(
            422,
            "Invalid parameter",
            "cursor: it pages another query (filters, sort or order changed)",
            "cursor",
        )
    return version, keys


def _keys(document: dict[str, Any], sort: Sort) -> Keys:
    """The keys, each of its sort's type (a float key may arrive as a JSON integer)."""
    key0, key1 = document["k"]
    last_id = document["id"]
    checked: list[object] = []
    for value, expected in zip((key0, key1), _KEY_TYPES[sort], strict=True):
        if expected is datetime.date:
            checked.append(datetime.date.fromisoformat(value).isoformat())
        elif expected is float and isinstance(value, int | float) and not isinstance(value, bool):
            checked.append(float(value))
        elif type(value) is expected:
            checked.append(value)
        else:
            raise TypeError(f"{value!r} is not a {expected.__name__}")
    if not isinstance(last_id, str) or not last_id.isascii() or len(last_id) > 70:
        raise TypeError("id")
    return checked[0], checked[1], last_id
