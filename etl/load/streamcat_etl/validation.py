"""Why a raw file was rejected whole: every rejection with its line, column, expectation and
find. A rejected file never reaches the catalog, so the message is all a data engineer gets: it
names the file, the line as an editor shows it (the header is line 1), the column, what was
expected and what was found."""

from dataclasses import dataclass, field
from typing import NoReturn

MAX_LISTED_PROBLEMS = 20
"""Rejections kept for the message; all of them are still counted."""

_FOUND_PREVIEW_CHARS = 60


@dataclass(frozen=True)
class Rejection:
    """One reason a file is rejected: a row or field (or the file) not as expected."""

    row: int | None
    column: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        where = [f"line {self.row}"] if self.row is not None else []
        if self.column is not None:
            where.append(f"column '{self.column}'")
        place = ", ".join(where) or "file"
        return f"{place}: expected {self.expected}, found {self.found}"


def preview(value: str) -> str:
    """A found value quoted and shortened, so one garbage field cannot flood the message."""
    if len(value) > _FOUND_PREVIEW_CHARS:
        value = value[:_FOUND_PREVIEW_CHARS] + "..."
    return repr(value)


class FieldError(ValueError):
    """One field's value is unusable; the caller knows the line, the column and the value."""

    def __init__(self, expected: str) -> None:
        super().__init__(f"expected {expected}")
        self.expected = expected


class InvalidFile(Exception):  # noqa: N818 - the name the ETL and its callers use
    """A file rejected whole; `total` counts every rejection, `rejections` keeps the first."""

    def __init__(self, source: str, rejections: list[Rejection], total: int | None = None) -> None:
        self.source = source
        self.rejections = rejections[:MAX_LISTED_PROBLEMS]
        self.total = max(total or 0, len(rejections))
        super().__init__(self._message())

    def _message(self) -> str:
        count = f"{self.total} problem" + ("" if self.total == 1 else "s")
        lines = [f"{self.source} rejected ({count}):"]
        lines += [f"  {rejection}" for rejection in self.rejections]
        if self.total > len(self.rejections):
            lines.append(f"  ... and {self.total - len(self.rejections)} more")
        return "\n".join(lines)


@dataclass
class RejectionLog:
    """Collects the rejections of many rows so the file's rejection lists them all, memory
    bounded."""

    source: str
    rejections: list[Rejection] = field(default_factory=list)
    total: int = 0

    def add(self, rejection: Rejection) -> None:
        self.total += 1
        if len(self.rejections) < MAX_LISTED_PROBLEMS:
            self.rejections.append(rejection)

    def raise_if_any(self) -> None:
        if self.total:
            raise InvalidFile(self.source, self.rejections, self.total)


def reject(source: str, row: int | None, column: str | None, expected: str, found: str) -> NoReturn:
    """Reject a file for one structural problem that makes reading further pointless."""
    raise InvalidFile(source, [Rejection(row, column, expected, found)])
