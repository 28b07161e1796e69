"""docs/etl.md, ratings: ratings files are validated with the exact line, reduced to per-movie
stats, and matched to the catalog (unmatched dropped and counted)."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from streamcat_etl.ratings import (
    encode_movies,
    parquet_bytes,
    parse_ratings_csv,
    rating_halves,
    rating_stats,
)
from streamcat_etl.validation import InvalidFile
from tests.support.etl import RATINGS_HEADER, ratings_csv

SOURCE = "raw/ratings/1.csv"


def read(data: bytes) -> pa.Table:
    return parse_ratings_csv(data, SOURCE)


def message(data: bytes) -> str:
    with pytest.raises(InvalidFile) as caught:
        read(data)
    assert caught.value.source == SOURCE
    return str(caught.value)


def test_columns_are_typed() -> None:
    table = read(ratings_csv((1, 4.5, "ns1")))
    movie_ids = pa.dictionary(pa.int32(), pa.string())
    assert table.schema.types == [pa.int32(), pa.float32(), pa.int64(), movie_ids]


def test_an_empty_movie_id_is_rejected_with_its_line() -> None:
    body = ratings_csv((1, 4.5, "ns1"), (2, 3.0, "ns2")).replace(b",ns2\n", b",\n")
    assert "line 3, column 'movieId'" in message(body)


def test_the_parquet_reads_back_as_plain_typed_columns() -> None:
    table = read(ratings_csv((1, 4.5, "ns1"), (2, 3.0, "zz")))
    back = pq.read_table(pa.BufferReader(parquet_bytes(table)))
    assert back.schema.types == [pa.int32(), pa.float32(), pa.int64(), pa.string()]
    assert back.to_pylist() == [
        {"userId": 1, "rating": 4.5, "timestamp": 1_600_000_000, "movieId": "ns1"},
        {"userId": 2, "rating": 3.0, "timestamp": 1_600_000_001, "movieId": "zz"},
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "1,4.0,1,ns1\n2,x,1,ns1\n",
            "line 3, column 'rating': expected a number from 0.5 to 5.0 in steps of 0.5, found 'x'",
        ),
        (
            "1,4.0,1,ns1\n2,4.25,1,ns1\n",
            "line 3, column 'rating': expected a number from 0.5 to 5.0 in steps of 0.5,"
            " found '4.25'",
        ),
        ("1,0,1,ns1\n", "line 2, column 'rating'"),
        ("1,4.0,1,ns1\n99999999999,4,1,ns1\n", "line 3, column 'userId'"),
        (
            "1,4.0,1,ns1\n2,4.0,,ns1\n",
            "line 3, column 'timestamp': expected Unix seconds (an integer), found an empty value",
        ),
        ("1,4.0,1,\n", "line 2, column 'movieId'"),
        ("1,4.0,1,ns1\n2,4.0,1\n", "line 3: expected 4 fields"),
        ("", "expected at least one rating after the header, found no rows"),
    ],
)
def test_bad_values_are_named_by_line_and_column(body: str, expected: str) -> None:
    assert expected in message((RATINGS_HEADER + body).encode())


def test_header_must_match() -> None:
    expected = "line 1: expected the header userId,rating,timestamp,movieId, found 'a,b'"
    assert expected in message(b"a,b\n1,2\n")


def test_stats_sum_and_count_per_movie() -> None:
    table = read(ratings_csv((1, 4.5, "ns1"), (2, 0.5, "ns1"), (1, 3.0, "ds2")))
    stats = sorted(
        rating_stats(encode_movies(table), rating_halves(table)).to_pylist(),
        key=lambda r: r["movie_id"],
    )
    assert stats == [
        {"movie_id": "ds2", "rating_sum": 3.0, "votes": 1},
        {"movie_id": "ns1", "rating_sum": 5.0, "votes": 2},
    ]


def test_a_file_split_into_many_chunks_sums_the_same() -> None:
    """The CSV reader hands a big file over in chunks, each encoded on its own dictionary."""
    rows = [(u, (u % 10 + 1) / 2, f"ns{u % 7}") for u in range(30_000)]
    table = read(ratings_csv(*rows))
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=1_000))
    assert chunked["movieId"].num_chunks > 1
    stats = rating_stats(encode_movies(chunked), rating_halves(chunked)).to_pylist()
    assert sorted((r["movie_id"], r["rating_sum"], r["votes"]) for r in stats) == sorted(
        (
            f"ns{m}",
            sum(r for _, r, i in rows if i == f"ns{m}"),
            sum(1 for *_, i in rows if i == f"ns{m}"),
        )
        for m in range(7)
    )
    movies = encode_movies(chunked)
    assert movies.ids.take(movies.index).to_pylist() == [i for *_, i in rows]
