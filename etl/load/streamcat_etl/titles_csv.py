"""The file-level shape of a titles CSV: encoding, header, records, before any field is read.

Checks are ordered cheapest first so garbage is rejected in microseconds and bounded memory:
the header is found and checked within its first `MAX_HEADER_BYTES` before anything else is
decoded, and the size limit is checked before the body is decoded. Structural faults (no
header, wrong header, not UTF-8, a quote left open) stop reading at once, since nothing after
them can be trusted; a record with the wrong number of fields is logged and reading goes on,
so one rejection lists every such line."""

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator

from streamcat_etl.validation import Rejection, RejectionLog, preview, reject

TITLES_HEADER: tuple[str, ...] = (
    "show_id",
    "type",
    "title",
    "director",
    "cast",
    "country",
    "date_added",
    "release_year",
    "rating",
    "duration",
    "listed_in",
    "description",
)

MAX_HEADER_BYTES = 4096
"""The real header is 102 bytes; a first line longer than this is not a titles header."""

MAX_TITLES_FILE_BYTES = 64 * 1024 * 1024
"""The largest real catalog (Amazon) is 4 MB; 16 times that still fits a Lambda comfortably.
Callers holding only an S3 object's size can check it against this before downloading."""

_NOT_SPACE = re.compile(rb"\S")
_EXPECTED_HEADER = "the header line " + ",".join(TITLES_HEADER)


def read_records(
    data: bytes, source: str, log: RejectionLog, fixes: Counter[str]
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, its 12 fields) for every non-blank record."""
    start = _check_bom(data, source, fixes)
    _check_header(data, start, source)
    check_size(len(data), source)
    text = _decode(data, start, source)
    crlf = data.count(b"\r\n")
    if crlf:
        fixes["crlf_line_ends"] += crlf
    yield from _records(text, source, log, fixes)


def check_size(size: int, source: str) -> None:
    """Also callable with an S3 object's size alone, so an oversized file is never read."""
    if size > MAX_TITLES_FILE_BYTES:
        expected = f"a titles file of at most {MAX_TITLES_FILE_BYTES:,} bytes"
        reject(source, None, None, expected, f"{size:,} bytes")


def _check_bom(data: bytes, source: str, fixes: Counter[str]) -> int:
    if _NOT_SPACE.search(data) is None:
        reject(source, None, None, _EXPECTED_HEADER, "an empty file")
    if data.startswith(codecs.BOM_UTF8):
        fixes["bom_stripped"] += 1
        return len(codecs.BOM_UTF8)
    return 0


def _check_header(data: bytes, start: int, source: str) -> None:
    """Check line 1 alone, and that something follows it."""
    end = data.find(b"\n", start, start + MAX_HEADER_BYTES)
    if end < 0 and len(data) - start > MAX_HEADER_BYTES:
        found = data[start : start + 40].decode("utf-8", "replace")
        found = f"no line end in the first {MAX_HEADER_BYTES} bytes, which start {preview(found)}"
        reject(source, 1, None, _EXPECTED_HEADER, found)
    line = data[start:] if end < 0 else data[start:end]
    try:
        header_text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        reject(source, 1, None, "UTF-8 text", _bad_byte(data, start + exc.start))
    names = next(csv.reader([header_text]), [])
    if tuple(names) != TITLES_HEADER:
        reject(source, 1, None, _EXPECTED_HEADER, _header_difference(names, header_text))
    if end < 0 or _NOT_SPACE.search(data, end + 1) is None:
        reject(source, 2, None, "at least one title row after the header", "no rows")


def _header_difference(names: list[str], header_text: str) -> str:
    missing = [name for name in TITLES_HEADER if name not in names]
    extra = [name for name in names if name not in TITLES_HEADER]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(preview(name) for name in extra))
    if not parts:
        parts.append("the columns in another order or repeated")
    return f"{preview(header_text)} ({'; '.join(parts)})"


def _decode(data: bytes, start: int, source: str) -> str:
    try:
        return str(memoryview(data)[start:], "utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        reject(
            source, data.count(b"\n", 0, offset) + 1, None, "UTF-8 text", _bad_byte(data, offset)
        )


def _bad_byte(data: bytes, offset: int) -> str:
    return f"byte 0x{data[offset]:02x} at byte offset {offset}"


def _records(
    text: str, source: str, log: RejectionLog, fixes: Counter[str]
) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next(reader)
    line = reader.line_num + 1
    width = len(TITLES_HEADER)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reject(source, line, None, *_csv_error(str(exc)))
        if not fields:
            fixes["blank_lines_skipped"] += 1
        elif len(fields) != width:
            log.add(_width_problem(line, fields, width))
        else:
            yield line, fields
        line = reader.line_num + 1


def _csv_error(message: str) -> tuple[str, str]:
    if "unexpected end of data" in message:
        return "every quoted field closed", "end of file inside a quoted field (truncated file?)"
    if "field larger than field limit" in message:
        limit = csv.field_size_limit()
        return f"fields of at most {limit:,} characters", "a longer field (unbalanced quotes?)"
    return "well-formed CSV quoting", message


def _width_problem(line: int, fields: list[str], width: int) -> Rejection:
    found = f"{len(fields)} fields"
    if len(fields) > width:
        found += f" (extra: {preview(','.join(fields[width:]))})"
    return Rejection(line, None, f"{width} fields", found)
