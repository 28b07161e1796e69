"""The catalog the model is trained on, read from PostgreSQL with its version in one statement
(a schema swap between two statements could otherwise pair titles with another version)."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import psycopg2.extensions

_QUERY = """
SELECT (SELECT max(version) FROM catalog.meta), id, platform, type, title, director,
       cast_members, countries, genres, description, score, votes
FROM catalog.titles
ORDER BY id
"""


@dataclass(frozen=True)
class CatalogTitles:
    """Parallel columns over the catalog's titles, ordered by id."""

    version: int
    ids: list[str]
    platforms: list[str]
    types: list[str]
    titles: list[str]
    directors: list[list[str]]
    cast: list[list[str]]
    countries: list[list[str]]
    genres: list[list[str]]
    descriptions: list[str]
    scores: npt.NDArray[np.float64]
    """NaN where nobody rated the title."""
    votes: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ids)


class EmptyCatalogError(RuntimeError):
    """No catalog is loaded: there is nothing to recommend from."""


def read_catalog(connection: psycopg2.extensions.connection) -> CatalogTitles:
    with connection.cursor() as cursor:
        cursor.execute(_QUERY)
        rows = cursor.fetchall()
    if not rows or rows[0][0] is None:
        raise EmptyCatalogError("the catalog holds no titles or no version")
    columns = list(zip(*rows, strict=True))
    return CatalogTitles(
        version=int(rows[0][0]),
        ids=list(columns[1]),
        platforms=list(columns[2]),
        types=list(columns[3]),
        titles=list(columns[4]),
        directors=[[d.strip() for d in (x or "").split(",") if d.strip()] for x in columns[5]],
        cast=[list(x) for x in columns[6]],
        countries=[list(x) for x in columns[7]],
        genres=[list(x) for x in columns[8]],
        descriptions=[x or "" for x in columns[9]],
        scores=np.array([np.nan if s is None else s for s in columns[10]], dtype=np.float64),
        votes=np.array(columns[11], dtype=np.int64),
    )
