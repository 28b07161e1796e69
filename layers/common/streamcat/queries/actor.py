"""The cast member in the most titles (any type) of a platform released in a year.

Exact members from `title_cast` (one row per title and member), grouped on the index
`title_cast_platform_year`. Ties go to the alphabetically first name.
"""

from typing import NamedTuple

from psycopg2 import extensions

SQL = """
SELECT member, count(*) AS appearances
FROM catalog.title_cast
WHERE platform = %(platform)s
  AND release_year = %(year)s
GROUP BY member
ORDER BY appearances DESC, member
LIMIT 1
"""

HAS_CAST_SQL = """
SELECT EXISTS (SELECT 1 FROM catalog.title_cast WHERE platform = %(platform)s)
"""


class TopActor(NamedTuple):
    actor: str
    appearances: int


def top_actor(cursor: extensions.cursor, *, platform: str, year: int) -> TopActor | None:
    """None when no title of that platform and year lists a cast."""
    cursor.execute(SQL, {"platform": platform, "year": year})
    row = cursor.fetchone()
    return TopActor(row[0], int(row[1])) if row else None


def platform_has_cast(cursor: extensions.cursor, *, platform: str) -> bool:
    """Whether any title of the platform lists a cast: the reason given when `top_actor` is None."""
    cursor.execute(HAS_CAST_SQL, {"platform": platform})
    row = cursor.fetchone()
    return bool(row and row[0])
