"""Search and browse the catalog (GET /titles) and one title's detail (GET /titles/{id}).

A page is one statement: the catalog version, the number of matches and the page's rows come
from the same snapshot, so a page never mixes two catalogs and the caller can refuse a cursor of
another version. Pages are keyset pages: each sort orders by two keys and the id, and the next
page starts strictly after the last row's (key0, key1, id), whatever was loaded in between.

`q` is compared in its known-item form (`search_key`: the search form without a leading
article, as the titles' `search_key`), that form's words, and its spellings: each word no title
holds replaced by the title words similar to it by trigrams (`%`), so `sarbina` finds `sabrina`
where the whole-title trigrams are too far apart. All are computed once by the statement (CTE
`query`) and used as parameters of the index conditions, so none is re-planned nor re-computed
per row. Sort keys (nulls always last): relevance is (rank, -votes), so among equals what
people watch comes first. The rank, one integer so a cursor keeps two keys and the id: 0 for an
exact title (its key is `q`'s); 1 + its extra words for a title holding every word of `q`
(`narcos` before `narcos: mexico`); from 1000 a close spelling, `q`'s key similar to a part
of the title's key by trigrams (`<%`) or the title holding its spellings (pg_trgm's default
thresholds, never changed by a `SET`): 100 per hundredth of trigram distance to the title,
plus the title's words, so `irishmn` finds `the irishman` before its longer namesakes. Keys,
not search forms, are compared by trigrams: a leading article's trigrams are in a quarter of the
titles, so `the act` as typed rechecked a thousand candidates (10 ms) and matched titles by
their `the` alone. Whole-title similarity (`%`) is left out: for a short `q` it rechecks a
thousand candidates and doubles the p99. Score and date_added are (is-null flag, value); the
others (value, 0).
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from psycopg2 import extensions, sql


class Sort(StrEnum):
    RELEVANCE = "relevance"
    TITLE = "title"
    RELEASE_YEAR = "release_year"
    SCORE = "score"
    VOTES = "votes"
    DATE_ADDED = "date_added"


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class Filters:
    """Every filter of GET /titles; None (or empty) is no filter. Text is lower case."""

    q: str | None = None
    platforms: tuple[str, ...] = ()
    type: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    genre: str | None = None
    country: str | None = None
    cast: str | None = None
    director: str | None = None
    rating: str | None = None
    min_score: float | None = None
    min_votes: int | None = None


Keys = tuple[Any, Any, str]
"""(key0, key1, id) of a row: where the next page starts."""


class TitleItem(NamedTuple):
    id: str
    title: str
    platform: str
    type: str
    release_year: int
    score: float | None
    votes: int


class Page(NamedTuple):
    version: int | None
    total: int
    items: list[TitleItem]
    last: Keys | None
    """The keys of the page's last row when another page follows, else None."""


_KEY = "(SELECT key FROM query)"
_WORDS = "t.search_words @@ (SELECT words FROM query)"
_SIMILAR = f"{_KEY} <%% t.search_key"
_TITLE_WORDS = "cardinality(string_to_array(t.search_key, ' '))"
_RANK = (
    f"CASE WHEN t.search_key = {_KEY} THEN 0"
    f" WHEN {_WORDS} THEN 1 + least(greatest({_TITLE_WORDS} - (SELECT size FROM query), 0), 998)"
    f" ELSE 1000 + 100 * round(100 * (1 - word_similarity({_KEY}, t.search_title)))::integer"
    f" + least({_TITLE_WORDS}, 99) END"
)

# Per sort: the SQL of key0 and key1 for ascending and descending order, and their SQL types.
_KEYS: dict[Sort, tuple[str, str, str, str, str]] = {
    Sort.RELEVANCE: (_RANK, _RANK, "-t.votes", "integer", "integer"),
    Sort.TITLE: ("t.title", "t.title", "0", "text", "integer"),
    Sort.RELEASE_YEAR: ("t.release_year", "t.release_year", "0", "integer", "integer"),
    Sort.VOTES: ("t.votes", "t.votes", "0", "integer", "integer"),
    Sort.SCORE: (
        "(t.score IS NULL)::integer",
        "(t.score IS NOT NULL)::integer",
        "coalesce(t.score, 0)",
        "integer",
        "double precision",
    ),
    Sort.DATE_ADDED: (
        "(t.date_added IS NULL)::integer",
        "(t.date_added IS NOT NULL)::integer",
        "coalesce(t.date_added, date '0001-01-01')",
        "integer",
        "date",
    ),
}

# Filter name -> condition on catalog.titles `t`; only the given filters are in the statement,
# so each plan is made for the filters at hand.
_CONDITIONS: dict[str, str] = {
    "q": f"(t.search_words @@ (SELECT spellings FROM query) OR {_SIMILAR})",
    "platforms": "t.platform = ANY(%(platforms)s)",
    "type": "t.type = %(type)s",
    "year_from": "t.release_year >= %(year_from)s",
    "year_to": "t.release_year <= %(year_to)s",
    "genre": "t.genres @> ARRAY[%(genre)s]::text[]",
    "country": "t.countries @> ARRAY[%(country)s]::text[]",
    "cast": "t.cast_members @> ARRAY[%(cast)s]::text[]",
    "director": "catalog.directors(t.director) @> ARRAY[%(director)s]::text[]",
    "rating": "t.rating = %(rating)s",
    "min_score": "t.score >= %(min_score)s",
    "min_votes": "t.votes >= %(min_votes)s",
}

_PAGE = """
WITH query AS MATERIALIZED (
    SELECT key, plainto_tsquery('simple', key) AS words,
           cardinality(string_to_array(key, ' ')) AS size,
           (SELECT catalog.all_of(
                CASE WHEN EXISTS (SELECT FROM catalog.title_words AS v WHERE v.word = w)
                     THEN plainto_tsquery('simple', w)
                     ELSE coalesce((SELECT catalog.any_of(plainto_tsquery('simple', v.word))
                                    FROM catalog.title_words AS v WHERE v.word %% w),
                                   plainto_tsquery('simple', w)) END)
            FROM unnest(string_to_array(key, ' ')) AS w) AS spellings
    FROM (SELECT catalog.search_key(%(q)s) AS key) AS q
),
matches AS MATERIALIZED (
    SELECT t.id, t.title, t.platform, t.type, t.release_year, t.score, t.votes,
           {key0} AS key0, {key1} AS key1
    FROM catalog.titles AS t
    WHERE {conditions}
)
SELECT (SELECT max(version) FROM catalog.meta),
       (SELECT count(*) FROM matches),
       (SELECT coalesce(json_agg(page ORDER BY key0 {direction}, key1 {direction}, id {direction}),
                        '[]')
        FROM (SELECT * FROM matches
              WHERE {after}
              ORDER BY key0 {direction}, key1 {direction}, id {direction}
              LIMIT %(limit)s) AS page)
"""


def page_sql(filters: Filters, sort: Sort, order: Order, after: Keys | None) -> sql.Composed:
    """The statement of one page; relevance is always best first, whatever `order` says."""
    ascending = sort is Sort.RELEVANCE or order is Order.ASC
    key0_asc, key0_desc, key1, type0, type1 = _KEYS[sort]
    given = [name for name in _CONDITIONS if _given(getattr(filters, name))]
    conditions = " AND ".join(_CONDITIONS[name] for name in given) or "true"
    keyset = "true"
    if after is not None:
        compare = ">" if ascending else "<"
        keyset = (
            f"(key0, key1, id) {compare} "
            f"(%(after0)s::{type0}, %(after1)s::{type1}, %(after_id)s::text)"
        )
    return sql.SQL(_PAGE).format(
        key0=sql.SQL(key0_asc if ascending else key0_desc),
        key1=sql.SQL(key1),
        conditions=sql.SQL(conditions),
        direction=sql.SQL("ASC" if ascending else "DESC"),
        after=sql.SQL(keyset),
    )


def page_args(filters: Filters, limit: int, after: Keys | None) -> dict[str, Any]:
    """The statement's parameters: one row more than `limit` tells whether a page follows."""
    args: dict[str, Any] = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in vars(filters).items()
    }
    args["limit"] = limit + 1
    if after is not None:
        args["after0"], args["after1"], args["after_id"] = after
    return args


def search_page(
    cursor: extensions.cursor,
    filters: Filters,
    *,
    sort: Sort,
    order: Order,
    limit: int,
    after: Keys | None = None,
) -> Page:
    cursor.execute(page_sql(filters, sort, order, after), page_args(filters, limit, after))
    row = cursor.fetchone()
    assert row is not None  # an aggregate without GROUP BY always answers one row
    version, total, rows = row
    items = [_item(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(
        version=None if version is None else int(version),
        total=int(total),
        items=items,
        last=None if last is None else (last["key0"], last["key1"], last["id"]),
    )


def _given(value: object) -> bool:
    return value is not None and value != ()


def _item(row: dict[str, Any]) -> TitleItem:
    return TitleItem(
        id=row["id"],
        title=row["title"],
        platform=row["platform"],
        type=row["type"],
        release_year=int(row["release_year"]),
        score=None if row["score"] is None else float(row["score"]),
        votes=int(row["votes"]),
    )


DETAIL_SQL = """
SELECT t.id, t.title, t.platform, t.type, t.director, t.cast_members, t.countries, t.genres,
       t.release_year, t.date_added, t.rating, t.duration_int, t.duration_type, t.description,
       t.score, t.votes,
       (SELECT json_agg(json_build_object('id', o.id, 'platform', o.platform)
                        ORDER BY o.platform, o.id)
        FROM catalog.titles AS o
        WHERE o.search_title = t.search_title AND o.release_year = t.release_year)
FROM catalog.titles AS t
WHERE t.id = %(id)s
"""


class TitleDetail(NamedTuple):
    id: str
    title: str
    platform: str
    type: str
    director: str | None
    cast: list[str]
    countries: list[str]
    genres: list[str]
    release_year: int
    date_added: datetime.date | None
    rating: str
    duration_int: int | None
    duration_type: str | None
    description: str | None
    score: float | None
    votes: int
    available_on: list[dict[str, str]]


def title_detail(cursor: extensions.cursor, *, title_id: str) -> TitleDetail | None:
    """`available_on`: every copy with the same search form of the title and the same release
    year, on any platform, itself included; None for an unknown id."""
    cursor.execute(DETAIL_SQL, {"id": title_id})
    row = cursor.fetchone()
    return TitleDetail(*row) if row else None
