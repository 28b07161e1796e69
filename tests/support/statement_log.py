"""The tests' PostgreSQL logs every statement (`OwnServer.log_path`, `log_statement=all`, each
entry prefixed by `STATEMENT_LOG_PREFIX`): what one session really sent, read back from it."""

import re
import time
import uuid

import psycopg2

from local.postgres import OwnServer

# One log entry: STATEMENT_LOG_PREFIX's fields, then the message (continuation lines included).
ENTRY = re.compile(
    r"^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[(?P<pid>\d+)\] user=(?P<user>\S*) db=\S* app=.*? "
    r"session=(?P<session>\S+) (?P<message>.*?)(?=^\d{4}-\d\d-\d\d |\Z)",
    re.M | re.S,
)
_STATEMENT = "LOG:  statement: "


def log_end(server: OwnServer, dsn: str, timeout: float = 30.0) -> int:
    """Where the next entry will start: a mark to read the statements sent after it.

    PostgreSQL's logging collector writes behind the statements, so the log's size alone may
    leave out a statement already run; a statement of our own, on a connection of its own, marks
    the point and is waited for."""
    marker = f"log-mark-{uuid.uuid4().hex}"
    connection = psycopg2.connect(dsn)
    try:
        connection.autocommit = True  # no COMMIT logged after the mark
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", (marker,))
    finally:
        connection.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = server.log_path.read_bytes()
        at = text.find(marker.encode())
        if at >= 0:
            return text.index(b"\n", at) + 1
        time.sleep(0.05)
    raise AssertionError(f"{marker} never reached {server.log_path}")


def statements(server: OwnServer, pid: int, start: int, end: int | None = None) -> list[str]:
    """The statements backend `pid` sent between two marks of the log, whitespace collapsed."""
    with server.log_path.open("rb") as log:
        log.seek(start)
        text = log.read(None if end is None else end - start).decode(errors="replace")
    return [
        one_line(entry["message"].removeprefix(_STATEMENT))
        for entry in ENTRY.finditer(text)
        if int(entry["pid"]) == pid and entry["message"].startswith(_STATEMENT)
    ]


def one_line(sql: str) -> str:
    return " ".join(sql.split())
