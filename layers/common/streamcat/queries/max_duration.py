"""The longest title matching optional year and platform filters.

Ties on duration go to the smallest id (text order), so the answer never depends on plan or
load order. NULL filters fold to constants in the planner, so the statement uses
`titles_platform_duration` when a platform is given and `titles_duration` otherwise.
"""

from typing import NamedTuple

from psycopg2 import extensions

SQL = """
SELECT id, title, platform, release_year, duration_int, duration_type
FROM catalog.titles
WHERE duration_type = %(duration_type)s
  AND duration_int IS NOT NULL
  AND (%(platform)s::text IS NULL OR platform = %(platform)s)
  AND (%(year)s::integer IS NULL OR release_year = %(year)s)
ORDER BY duration_int DESC, id
LIMIT 1
"""


class LongestTitle(NamedTuple):
    id: str
    title: str
    platform: str
    release_year: int
    duration_int: int
    duration_type: str


def max_duration(
    cursor: extensions.cursor,
    *,
    duration_type: str = "min",
    platform: str | None = None,
    year: int | None = None,
) -> LongestTitle | None:
    """`min` durations are movies', `season` durations TV shows'; None when nothing matches."""
    cursor.execute(SQL, {"duration_type": duration_type, "platform": platform, "year": year})
    row = cursor.fetchone()
    return LongestTitle(*row) if row else None
