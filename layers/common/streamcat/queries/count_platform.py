"""How many movies a platform has (TV shows are not counted)."""

from psycopg2 import extensions

SQL = """
SELECT count(*)
FROM catalog.titles
WHERE platform = %(platform)s
  AND type = 'movie'
"""


def count_platform(cursor: extensions.cursor, *, platform: str) -> int:
    cursor.execute(SQL, {"platform": platform})
    row = cursor.fetchone()
    return int(row[0]) if row else 0
