"""The tests' PostgreSQL logs every statement (`OwnServer.log_path`, `log_statement=all`, each
entry prefixed by `STATEMENT_LOG_PREFIX`): what one session really sent, read back from it."""

import re

from local.postgres import OwnServer

# One log entry: STATEMENT_LOG_PREFIX's fields, then the message (continuation lines included).
ENTRY = re.compile(
    r"^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[(?P<pid>\d+)\] user=(?P<user>\S*) db=\S* app=.*? "
    r"session=(?P<session>\S+) (?P<message>.*?)(?=^\d{4}-\d\d-\d\d |\Z)",
    re.M | re.S,
)
_STATEMENT = "LOG:  statement: "


def log_end(server: OwnServer) -> int:
    """Where the next entry will start: a mark to read the statements sent after it."""
    return server.log_path.stat().st_size


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
