"""The catalog in PostgreSQL, as a load writes it: a complete new catalog is built in the staging
schema with COPY, then made live by renaming schemas in the load's transaction, so a reader sees
the old catalog or the new one, never a mix or an empty table. The titles go in unscored, with
their indexes, while the ratings are still being read; `score_titles` then sets every score from
the summed ratings in one update.

Everything here but `load_lock` runs in the caller's one transaction, under the load lock."""

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

import psycopg2
import psycopg2.extensions
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg2 import sql

from streamcat.catalog import (
    LIST_TABLES,
    LIVE,
    RECOMPUTED,
    RETIRED,
    SCHEMA_FILE,
    SCORE_INDEX,
    STAGING,
    TITLE_COLUMNS,
    TITLE_LINKS,
    UNSCORED_INDEXES,
    schema_sql,
)
from streamcat.db import Cursor
from streamcat_etl.titles import CleanTitle

LOAD_LOCK = 0x5354_5245_414D_4341  # 'STREAMCA': any constant shared by every load
_BROKEN = (psycopg2.OperationalError, psycopg2.InterfaceError)


@contextmanager
def load_lock(connection: psycopg2.extensions.connection, wait: bool = True) -> Iterator[bool]:
    """Serialise merges, publishing to S3 included: a lock held only until the swap commits
    would let an older load's Parquet land in curated/ after a newer one's. The lock is the
    session's, so a container that dies releases it with its connection. With `wait` False it
    is taken only if free; yields whether it is held. Call it outside a transaction."""
    query = "SELECT pg_advisory_lock(%s)" if wait else "SELECT pg_try_advisory_lock(%s)"
    with connection, connection.cursor() as cursor:
        cursor.execute(query, (LOAD_LOCK,))
        row = cursor.fetchone()
    held = wait or bool(row and row[0])
    try:
        yield held
    finally:
        if held:
            _unlock(connection)


def _unlock(connection: psycopg2.extensions.connection) -> None:
    """A broken connection has lost its session, and the lock with it."""
    if not connection.closed:
        with suppress(*_BROKEN), connection, connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (LOAD_LOCK,))


def live_version(cursor: Cursor) -> int | None:
    cursor.execute("SELECT to_regclass(%s)", (f"{LIVE}.meta",))
    row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    cursor.execute(sql.SQL("SELECT max(version) FROM {}.meta").format(sql.Identifier(LIVE)))
    found = cursor.fetchone()
    return None if found is None or found[0] is None else int(found[0])


def create_staging(cursor: Cursor) -> None:
    """An empty catalog: the shared schema file run with the staging schema as search path."""
    drop_staging(cursor)
    cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(STAGING)))
    _run_in_staging(cursor, SCHEMA_FILE)


def _run_in_staging(cursor: Cursor, schema_file: str) -> None:
    """Run one of the layer's schema files with the staging schema as search path."""
    cursor.execute("SELECT current_setting('search_path')")
    row = cursor.fetchone()
    previous = str(row[0]) if row else "public"
    cursor.execute("SELECT set_config('search_path', %s, true)", (STAGING,))
    cursor.execute(schema_sql(schema_file))
    cursor.execute("SELECT set_config('search_path', %s, true)", (previous,))


def drop_staging(cursor: Cursor) -> None:
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(STAGING)))


def copy_titles(cursor: Cursor, titles: list[CleanTitle]) -> None:
    """COPY the titles, unscored, as columns written to CSV by pyarrow: the rows transpose into
    columns in one step and the lists become array literals in pyarrow's string kernels, so no
    Python code runs per value."""
    transposed = list(zip(*titles, strict=True)) or [()] * len(CleanTitle._fields)
    values = dict(zip(CleanTitle._fields, transposed, strict=True))
    columns = {name: _column(name, values[name]) for name in _COPIED_TITLE_COLUMNS}
    _copy_csv(cursor, "titles", pa.table(columns))


def derive_title_links(cursor: Cursor) -> None:
    """The list tables, from the lists of every staged title (new and carried over)."""
    _run_in_staging(cursor, TITLE_LINKS)


def copy_rating_stats(cursor: Cursor, source: str, stats: pa.Table) -> None:
    """One ratings file's per-movie sums, as CSV written by pyarrow (no Python rows)."""
    sources = pa.array([source] * stats.num_rows, pa.string())
    table = stats.select(["movie_id", "rating_sum", "votes"]).add_column(0, "source", sources)
    _copy_csv(cursor, "rating_stats", table)


def keep_live_titles(cursor: Cursor, platforms: list[str]) -> None:
    """Carry the titles of the platforms this load does not replace over from live, unscored
    like the new ones."""
    if not platforms or not _live_exists(cursor):
        return
    columns = [c for c in _shared_columns(cursor, "titles") if c not in RECOMPUTED]
    _insert_from_live(cursor, "titles", sql.SQL("platform = ANY(%s)"), platforms, columns)


def keep_live_rating_stats(cursor: Cursor, replaced_sources: list[str]) -> None:
    if _live_exists(cursor):
        _insert_from_live(
            cursor, "rating_stats", sql.SQL("NOT (source = ANY(%s))"), replaced_sources
        )


def live_ids(cursor: Cursor, platforms: list[str]) -> list[str]:
    """The live catalog's ids of these platforms (none before the first load)."""
    if not platforms or not _live_exists(cursor):
        return []
    query = sql.SQL("SELECT id FROM {}.titles WHERE platform = ANY(%s)")
    cursor.execute(query.format(sql.Identifier(LIVE)), (platforms,))
    return [row[0] for row in cursor.fetchall()]


def score_titles(cursor: Cursor) -> None:
    """Per movieId, the sum of all sources' ratings and their number; a title's score is their
    quotient, and a title nobody rated keeps no score and 0 votes. Then the scores'
    index and their statistics (rating_stats gets none: only the next load reads it, whole)."""
    query = sql.SQL(
        "UPDATE {0}.titles AS t SET score = s.total / s.votes, votes = s.votes"
        " FROM (SELECT movie_id, sum(rating_sum) AS total, sum(votes) AS votes"
        "       FROM {0}.rating_stats GROUP BY movie_id) AS s WHERE s.movie_id = t.id"
    )
    cursor.execute(query.format(sql.Identifier(STAGING)))
    _run_in_staging(cursor, SCORE_INDEX)
    _analyze(cursor, "titles", "score", "votes")


def rating_counts(cursor: Cursor, schema: str = STAGING) -> dict[str, int]:
    """The ratings files whose sums a catalog holds, each with its number of ratings (every
    rating of the file, whether its movieId matches a title or not)."""
    query = sql.SQL(
        "SELECT source, sum(votes) FROM {}.rating_stats GROUP BY source ORDER BY source"
    )
    cursor.execute(query.format(sql.Identifier(schema)))
    return {source: int(count) for source, count in cursor.fetchall()}


def index_staging(cursor: Cursor) -> None:
    """The indexes, foreign keys and statistics of the unscored catalog: the titles and their
    lists are complete, only their scores are not."""
    _run_in_staging(cursor, UNSCORED_INDEXES)
    for table in ("titles", *LIST_TABLES):
        _analyze(cursor, table)


def stamp_version(cursor: Cursor, version: int, load_id: str) -> None:
    query = sql.SQL("INSERT INTO {}.meta (version, load_id) VALUES (%s, %s)")
    cursor.execute(query.format(sql.Identifier(STAGING)), (version, load_id))
    _analyze(cursor, "meta")


def _analyze(cursor: Cursor, table: str, *columns: str) -> None:
    """A staging table's statistics: of `columns` only, when given."""
    query = sql.SQL("ANALYZE {}.{}").format(sql.Identifier(STAGING), sql.Identifier(table))
    if columns:
        query += sql.SQL(" ({})").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
    cursor.execute(query)


def make_staging_live(cursor: Cursor) -> None:
    """The staging schema renamed live, the live one retired and dropped. Visible to readers
    only when the caller commits; readers blocked by the drop then resolve `catalog` again and
    see the new tables."""
    live, retired = sql.Identifier(LIVE), sql.Identifier(RETIRED)
    if _live_exists(cursor):
        cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(retired))
        cursor.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(live, retired))
    cursor.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(STAGING), live))
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(retired))


_COPIED_TITLE_COLUMNS = tuple(c for c in TITLE_COLUMNS if c not in RECOMPUTED)
"""Each a `CleanTitle` field of the same name."""
_LIST_COLUMNS = frozenset({"cast_members", "countries", "genres"})
_COLUMN_TYPES = {"date_added": pa.date32(), "release_year": pa.int32(), "duration_int": pa.int32()}
"""The copied columns that are not text."""


def _column(name: str, values: Sequence[object]) -> pa.Array:
    if name in _LIST_COLUMNS:
        return _array_literals(pa.array(values, pa.list_(pa.string())))
    return pa.array(values, _COLUMN_TYPES.get(name, pa.string()))


def _array_literals(lists: pa.ListArray) -> pa.Array:
    """Each list as a PostgreSQL array literal with every element quoted, so commas, braces and
    quotes stay inside their element: ('a"b', 'c,d') becomes {"a\\"b","c,d"}."""
    members = pc.replace_substring(lists.values, "\\", "\\\\")
    members = pc.replace_substring(members, '"', '\\"')
    quoted = pc.binary_join_element_wise('"', members, '"', "")
    joined = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, quoted), ",")
    return pc.binary_join_element_wise("{", joined, "}", "")


def _copy_csv(cursor: Cursor, table: str, rows: pa.Table) -> None:
    """COPY `rows` into the staging `table`, its columns by name. pyarrow quotes every text
    value and leaves a null unquoted and empty, which is how COPY's CSV tells NULL from ''."""
    buffer = io.BytesIO()
    pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
    buffer.seek(0)
    columns = sql.SQL(", ").join(map(sql.Identifier, rows.column_names))
    query = sql.SQL("COPY {}.{} ({}) FROM STDIN WITH (FORMAT csv)")
    cursor.copy_expert(
        query.format(sql.Identifier(STAGING), sql.Identifier(table), columns), buffer
    )


def _live_exists(cursor: Cursor) -> bool:
    cursor.execute("SELECT to_regnamespace(%s) IS NOT NULL", (LIVE,))
    row = cursor.fetchone()
    return bool(row and row[0])


def _shared_columns(cursor: Cursor, table: str) -> list[str]:
    """The columns both schemas' `table` have, generated ones (`search_title`) excepted: a
    catalog.sql that gained a column still loads (the new column takes its default until its
    data is reloaded)."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s AND is_generated = 'NEVER'"
        " AND column_name IN (SELECT column_name FROM information_schema.columns"
        "                     WHERE table_schema = %s AND table_name = %s)"
        " ORDER BY ordinal_position",
        (STAGING, table, LIVE, table),
    )
    return [row[0] for row in cursor.fetchall()]


def _insert_from_live(
    cursor: Cursor,
    table: str,
    where: sql.Composable,
    arg: list[str],
    columns: list[str] | None = None,
) -> None:
    """`columns`: by default every column both schemas' `table` have."""
    shared = _shared_columns(cursor, table) if columns is None else columns
    names = sql.SQL(", ").join(map(sql.Identifier, shared))
    query = sql.SQL("INSERT INTO {0}.{2} ({3}) SELECT {3} FROM {1}.{2} WHERE {4}")
    schemas_and_table = (sql.Identifier(name) for name in (STAGING, LIVE, table))
    cursor.execute(query.format(*schemas_and_table, names, where), (arg,))
