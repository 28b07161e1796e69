"""One ratings file: parsed with pyarrow's CSV reader into typed columns, validated
whole, reduced to per-movie sums and counts, written as Parquet.

Columnar throughout: a 1.4-million-row file never becomes Python objects. The typed read is
the fast path; only when it fails is the file read again as text to find the first bad line.
The reader parses on the calling thread (the load already reads one file per core), straight
from the downloaded bytes, and the Parquet is written to memory: no file touches /tmp."""

import codecs
import csv
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from streamcat_etl.validation import InvalidFile, Rejection, preview, reject

RATINGS_HEADER = ("userId", "rating", "timestamp", "movieId")
COLUMN_TYPES = {
    "userId": pa.int32(),
    "rating": pa.float32(),
    "timestamp": pa.int64(),
    "movieId": pa.dictionary(pa.int32(), pa.string()),
}
"""movieId as a dictionary: each distinct id is hashed once while parsing, and the sums, the
match and the Parquet then work on integer indexes."""
EXPECTED_VALUES = {
    "userId": "an integer from 0 to 2147483647",
    "rating": "a number from 0.5 to 5.0 in steps of 0.5",
    "timestamp": "Unix seconds (an integer)",
    "movieId": "a catalog id such as 'ns2186'",
}
_TEXT_PATTERNS = {
    "userId": r"^\s*[0-9]{1,10}\s*$",
    "rating": r"^\s*[0-9]*\.?[0-9]+\s*$",
    "timestamp": r"^\s*-?[0-9]{1,19}\s*$",
    "movieId": r"\S",
}
BLOCK_BYTES = 16 << 20
"""The CSV reader's block: each block parses into a chunk with a dictionary of its own, which
the sums then unify; 16 MB keeps a file to a few chunks (1 MB made dozens, and unifying their
dictionaries cost more than the reading)."""
_FIRST_DATA_LINE = 2
_HEADER_PROBE_BYTES = 4096


@dataclass(frozen=True)
class EncodedMovies:
    """The movieId column as a dictionary: each distinct id once, and per row its index. Sums
    and matching then work on a few thousand ids and integer indexes, not millions of strings."""

    ids: pa.Array
    index: npt.NDArray[np.int32]
    column: pa.ChunkedArray
    """movieId again, dictionary-encoded: Parquet writes it without hashing the strings again."""


def parse_ratings_csv(data: bytes, source: str) -> pa.Table:
    """`data`: the file's bytes. Raises InvalidFile naming the line, column, expectation and
    find."""
    _check_header(data, source)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=list(RATINGS_HEADER),
                skip_rows=1,
                block_size=BLOCK_BYTES,
                use_threads=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=COLUMN_TYPES, strings_can_be_null=False, include_columns=None
            ),
        )
    except pa.ArrowInvalid as error:
        _raise_first_bad_line(data, source, error)
    if table.num_rows == 0:
        reject(source, None, None, "at least one rating after the header", "no rows")
    _check_values(table, source)
    return table


def encode_movies(table: pa.Table) -> EncodedMovies:
    column = table["movieId"]
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries()
    ids = column.chunk(0).dictionary if column.num_chunks else pa.array([], pa.string())
    index = np.concatenate([chunk.indices.to_numpy() for chunk in column.chunks])
    return EncodedMovies(ids, index.astype(np.int32, copy=False), column)


def rating_halves(table: pa.Table) -> npt.NDArray[np.uint8]:
    """Each rating in half stars, 1 to 10 once validated: exact integers for the sums, and one
    byte a rating for the training part."""
    ratings: npt.NDArray[np.float32] = table["rating"].to_numpy()
    return np.rint(ratings * 2).astype(np.uint8)


def rating_stats(movies: EncodedMovies, halves: npt.NDArray[np.uint8]) -> pa.Table:
    """Per movieId: `rating_sum` (exact: summed in half stars) and `votes`."""
    votes = np.bincount(movies.index, minlength=len(movies.ids))
    sums = np.bincount(movies.index, weights=halves, minlength=len(movies.ids))
    return pa.table({"movie_id": movies.ids, "rating_sum": sums / 2, "votes": votes})


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as a Parquet file, without the Arrow schema, so readers see movieId as the
    plain string it is. Statistics (for readers' row-group pruning) only where min and max mean
    something: not on movieId, whose string statistics cost as much as the rest of the write.
    `timestamp` is delta-encoded rather than offered a dictionary: nearly every value is
    distinct, so a dictionary would be built only to be dropped, while the differences between
    neighbours pack into few bits."""
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        store_schema=False,
        write_statistics=["userId", "rating", "timestamp"],
        use_dictionary=["userId", "rating", "movieId"],
        column_encoding={"timestamp": "DELTA_BINARY_PACKED"},
    )
    return bytes(sink.getvalue())


def _check_header(data: bytes, source: str) -> None:
    probe = data[:_HEADER_PROBE_BYTES]
    if not probe.strip():
        expected = "a CSV file with header " + ",".join(RATINGS_HEADER)
        reject(source, None, None, expected, "an empty file")
    first_line = probe.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = codecs.decode(first_line.removeprefix(codecs.BOM_UTF8), "utf-8")
    except UnicodeDecodeError:
        reject(source, 1, None, "UTF-8 text", "bytes that are not UTF-8 (not a CSV file?)")
    if tuple(part.strip() for part in header.split(",")) != RATINGS_HEADER:
        reject(source, 1, None, "the header " + ",".join(RATINGS_HEADER), preview(header))


def _check_values(table: pa.Table, source: str) -> None:
    """Missing values and ratings off the half-star scale."""
    for name in RATINGS_HEADER:
        column = table[name]
        if column.null_count:
            _reject_row(source, table, name, pc.is_null(column))
    movies = table["movieId"]
    if any(pc.any(pc.equal(chunk.dictionary, "")).as_py() for chunk in movies.chunks):
        _reject_row(source, table, "movieId", pc.equal(pc.cast(movies, pa.string()), ""))
    halves = pc.multiply(table["rating"], pa.scalar(2.0, pa.float32()))
    off_scale = pc.or_(
        pc.not_equal(halves, pc.round(halves)),
        pc.or_(pc.less(halves, 1.0), pc.greater(halves, 10.0)),
    )
    if pc.any(off_scale).as_py():
        _reject_row(source, table, "rating", off_scale)


def _reject_row(source: str, table: pa.Table, column: str, bad: pa.ChunkedArray) -> None:
    index = pc.index(bad, True).as_py()
    found = table[column][index].as_py()
    shown = (
        "an empty value"
        if found in (None, "")
        else preview(f"{found:g}" if isinstance(found, float) else str(found))
    )
    reject(source, index + _FIRST_DATA_LINE, column, EXPECTED_VALUES[column], shown)


def _raise_first_bad_line(data: bytes, source: str, error: pa.ArrowInvalid) -> None:
    """Re-read as text to point at the first line with a bad field count or value."""
    problem = _first_value_problem(data) if "conversion error" in str(error) else None
    problem = problem or _first_shape_problem(data)
    if problem is None:
        reject(source, None, None, "a readable CSV file", preview(str(error)))
    raise InvalidFile(source, [problem])


def _first_value_problem(data: bytes) -> Rejection | None:
    text = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=list(RATINGS_HEADER), skip_rows=1),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(RATINGS_HEADER, pa.string()), strings_can_be_null=False
        ),
    )
    for name in RATINGS_HEADER:
        fits = pc.match_substring_regex(text[name], _TEXT_PATTERNS[name])
        if name == "userId":
            fits = _fits_int32(text[name], fits)
        if not pc.all(fits).as_py():
            index = pc.index(fits, False).as_py()
            found = preview(text[name][index].as_py())
            return Rejection(index + _FIRST_DATA_LINE, name, EXPECTED_VALUES[name], found)
    return None


def _fits_int32(column: pa.ChunkedArray, digits: pa.ChunkedArray) -> pa.ChunkedArray:
    """The regex admits 10 digits; int32 does not hold all of them."""
    numbers = pc.cast(pc.if_else(digits, pc.utf8_trim_whitespace(column), "0"), pa.int64())
    return pc.and_(digits, pc.less_equal(numbers, 2**31 - 1))


def _first_shape_problem(data: bytes) -> Rejection | None:
    """Streams the file: only reached for a file already known to be broken."""
    with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="") as file:
        for line, row in enumerate(csv.reader(file), start=1):
            if line > 1 and row and len(row) != len(RATINGS_HEADER):
                expected = f"{len(RATINGS_HEADER)} fields ({','.join(RATINGS_HEADER)})"
                return Rejection(line, None, expected, f"{len(row)}: {preview(','.join(row))}")
    return None
