"""The read-only role of the HTTP functions in the cloud, created and granted by the ETL.

Each swap brings in a brand-new `catalog` schema whose grants start empty, so the grant is
repeated inside the swap's transaction: the readers never meet a catalog they may not read.
Locally (no `READER_SECRET_ARN`) every function uses `DATABASE_URL` and this does nothing.

The role is read-only by default (`default_transaction_read_only`, set on the role): every
session it opens starts read-only without the client sending a `SET`, which would pin the
client's connection in RDS Proxy (streamcat.db). Its secret is read as the database's is, at
each swap, so a rotated password is taken by the next load."""

import json

from psycopg2 import sql

from streamcat import aws
from streamcat.db import Cursor
from streamcat.settings import Settings


def grant_readers(cursor: Cursor, settings: Settings, schema: str) -> str | None:
    """Make sure the reader role exists with its secret's password and may read `schema`;
    returns the role name, or None where no reader is configured."""
    if not settings.reader_secret_arn:
        return None
    login = json.loads(aws.get_secret_string(settings, settings.reader_secret_arn))
    role = sql.Identifier(login["username"])
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login["username"],))
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
    cursor.execute(
        sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD %s").format(role), (login["password"],)
    )
    cursor.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
    cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role))
    cursor.execute(
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
            sql.Identifier(schema), role
        )
    )
    return str(login["username"])
