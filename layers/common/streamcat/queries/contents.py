"""How many titles carry an audience rating (`tv-ma`, `13+`, ...), any type or platform."""

from psycopg2 import extensions

SQL = """
SELECT count(*)
FROM catalog.titles
WHERE rating = %(rating)s
"""


def contents(cursor: extensions.cursor, *, rating: str) -> int:
    cursor.execute(SQL, {"rating": rating})
    row = cursor.fetchone()
    return int(row[0]) if row else 0
