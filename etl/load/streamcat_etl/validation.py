"""Why a raw file was rejected whole: every problem with its line, column, expectation and find.

A rejected file never reaches the catalog (SPEC 3.9), so the message is all a data engineer
gets: it names the file, the line as an editor shows it (the header is line 1), the column,
what was expected and what was found.
"""

from dataclasses import dataclass, field
from typing import NoReturn

MAX_LISTED_PROBLEMS = 20
"""Problems kept for the message; all of them are still counted."""

_FOUND_PREVIEW_CHARS = 60


@dataclass(frozen=True)
class Problem:
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
    """A file rejected whole; `total` counts every problem, `problems` keeps the first ones."""

    def __init__(self, source: str, problems: list[Problem], total: int | None = None) -> None:
        self.source = source
        self.problems = problems[:MAX_LISTED_PROBLEMS]
        self.total = max(total or 0, len(problems))
        super().__init__(self._message())

    def _message(self) -> str:
        count = f"{self.total} problem" + ("" if self.total == 1 else "s")
        lines = [f"{self.source} rejected ({count}):"]
        lines += [f"  {problem}" for problem in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems)} more")
        return "\n".join(lines)


@dataclass
class ProblemLog:
    """Collects problems of many rows so one rejection reports them all, memory bounded."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.total:
            raise InvalidFile(self.source, self.problems, self.total)


def reject(source: str, row: int | None, column: str | None, expected: str, found: str) -> NoReturn:
    """Reject a file for one structural problem that makes reading further pointless."""
    raise InvalidFile(source, [Problem(row, column, expected, found)])
