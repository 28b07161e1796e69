"""How many movies of a platform and year score strictly above a threshold.

Unscored titles (score NULL) never count: `NULL > x` is not true. Answered from the index
`titles_platform_type_year_score`.
"""

from psycopg2 import extensions

SQL = """
SELECT count(*)
FROM catalog.titles
WHERE platform = %(platform)s
  AND type = 'movie'
  AND release_year = %(year)s
  AND score > %(scored)s
"""


def score_count(cursor: extensions.cursor, *, platform: str, scored: float, year: int) -> int:
    cursor.execute(SQL, {"platform": platform, "scored": scored, "year": year})
    row = cursor.fetchone()
    return int(row[0]) if row else 0
