"""Which catalog is loaded: the health check's question."""

from typing import NamedTuple

from psycopg2 import extensions

SQL = """
SELECT version, load_id
FROM catalog.meta
ORDER BY version DESC
LIMIT 1
"""


class CatalogVersion(NamedTuple):
    version: int
    load_id: str


def catalog_version(cursor: extensions.cursor) -> CatalogVersion | None:
    """None when the schema exists but holds no `meta` row; a missing schema raises
    `psycopg2.errors.UndefinedTable`."""
    cursor.execute(SQL)
    row = cursor.fetchone()
    return CatalogVersion(int(row[0]), str(row[1])) if row else None
