"""How many titles of a type, with an exact country, were released in a year.

`title_countries` holds one row per title and country, so `niger` never matches `nigeria` and a
title listing a country twice counts once. Answered from the index `title_countries_lookup`.
"""

from psycopg2 import extensions

SQL = """
SELECT count(*)
FROM catalog.title_countries
WHERE country = %(country)s
  AND release_year = %(year)s
  AND type = %(type)s
"""


def prod_per_country(cursor: extensions.cursor, *, title_type: str, country: str, year: int) -> int:
    cursor.execute(SQL, {"type": title_type, "country": country, "year": year})
    row = cursor.fetchone()
    return int(row[0]) if row else 0
