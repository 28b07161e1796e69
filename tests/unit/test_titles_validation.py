"""docs/etl.md, quarantine: a bad titles file is rejected whole, naming where, what was expected and
found."""

import tracemalloc

import pytest

from streamcat.platforms import Platform
from streamcat_etl.titles import clean_titles
from streamcat_etl.titles_csv import MAX_TITLES_FILE_BYTES
from streamcat_etl.validation import MAX_LISTED_PROBLEMS, InvalidFile, Rejection
from tests.support.titles import HEADER_LINE, clean_rows, csv_bytes, title_row

SOURCE = "raw/titles/netflix_titles.csv"


def rejected(data: bytes) -> InvalidFile:
    with pytest.raises(InvalidFile) as caught:
        clean_titles(Platform.NETFLIX, data, SOURCE)
    assert caught.value.source == SOURCE
    assert SOURCE in str(caught.value)
    return caught.value


def first(data: bytes) -> Rejection:
    return rejected(data).rejections[0]


def test_message_names_file_line_column_expected_and_found() -> None:
    data = csv_bytes(title_row(show_id="s1"), title_row(show_id="s2", release_year="20x1"))
    error = rejected(data)
    assert error.rejections == [
        Rejection(
            3, "release_year", f"a year from 1880 to {error.rejections[0].expected[-4:]}", "'20x1'"
        )
    ]
    assert "line 3, column 'release_year': expected a year from 1880 to" in str(error)
    assert "found '20x1'" in str(error)


@pytest.mark.parametrize("data", [b"", b" \n\n"])
def test_empty_file(data: bytes) -> None:
    problem = first(data)
    assert problem.found == "an empty file"
    assert "show_id,type,title" in problem.expected


@pytest.mark.parametrize("data", [HEADER_LINE.encode(), (HEADER_LINE + "\r\n\r\n").encode()])
def test_header_only(data: bytes) -> None:
    assert first(data) == Rejection(2, None, "at least one title row after the header", "no rows")


@pytest.mark.parametrize(
    ("header", "mentions"),
    [
        (HEADER_LINE.replace(",cast", ""), "missing cast"),
        (HEADER_LINE + ",score", "unexpected 'score'"),
        (HEADER_LINE.replace("show_id,type", "type,show_id"), "another order"),
        ("userId,rating,timestamp,movieId", "missing show_id"),
    ],
)
def test_wrong_header(header: str, mentions: str) -> None:
    row = csv_bytes(title_row()).split(b"\n", 1)[1]
    problem = first(header.encode() + b"\n" + row)
    assert (problem.row, problem.column) == (1, None)
    assert mentions in problem.found


def test_not_utf8_names_line_and_byte_offset() -> None:
    good = csv_bytes(title_row(show_id="s1"), title_row(show_id="s2"))
    data = good + "s3,Movie,Caf\u00e9,,,,,2020,,90 min,Dramas,\n".encode("latin-1")
    offset = len(good) + len("s3,Movie,Caf")
    assert first(data) == Rejection(4, None, "UTF-8 text", f"byte 0xe9 at byte offset {offset}")
    in_header = first(b"show_id,typ\xff\n" + good)
    assert (in_header.row, in_header.found) == (1, "byte 0xff at byte offset 11")


def test_wrong_field_counts_are_all_listed_with_lines() -> None:
    good = csv_bytes(title_row(show_id="s1"))
    bad = "".join(f"s{n},Movie,x\n" for n in range(2, 40)).encode()
    error = rejected(good + bad + b"s40," + b",".join([b"a"] * 12) + b"\n")
    assert error.total == 39
    assert len(error.rejections) == MAX_LISTED_PROBLEMS
    assert error.rejections[0] == Rejection(3, None, "12 fields", "3 fields")
    assert "and 19 more" in str(error)
    too_many = rejected(good + b"s2," + b",".join([b"a"] * 12) + b"\n").rejections[0]
    assert too_many.found == "13 fields (extra: 'a')"


def test_truncated_file_with_open_quote() -> None:
    data = csv_bytes(title_row(show_id="s1"), title_row(show_id="s2"))
    problem = first(data + b's3,Movie,Title,,,,,2020,,90 min,Dramas,"A story cut sh')
    assert problem.row == 4
    assert "truncated" in problem.found


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("release_year", "abc"),
        ("release_year", "1700"),
        ("release_year", "3021"),
        ("release_year", ""),
        ("duration", "ninety minutes"),
        ("duration", "-5 min"),
        ("duration", "1001 min"),
        ("duration", "101 Seasons"),
        ("show_id", ""),
        ("show_id", "s 1"),
        ("type", "Film"),
        ("date_added", "Sept 45, 2021"),
        ("date_added", "February 30, 2021"),
        ("title", " "),
    ],
)
def test_unusable_value_rejects_the_file(column: str, value: str) -> None:
    problem = first(csv_bytes(title_row(show_id="s0"), title_row(**{column: value})))
    assert (problem.row, problem.column, problem.found) == (3, column, repr(value))


def test_duplicate_show_id_names_the_first_line() -> None:
    data = csv_bytes(title_row(show_id="s1"), title_row(show_id="s2"), title_row(show_id="S1"))
    problem = first(data)
    assert (problem.row, problem.column) == (4, "show_id")
    assert problem.found == "'s1', already on line 2"


def test_duration_in_rating_while_duration_present_is_ambiguous() -> None:
    problem = first(csv_bytes(title_row(rating="74 min", duration="90 min")))
    assert (problem.row, problem.column) == (2, "rating")


def test_bom_crlf_blank_lines_and_quoted_newlines_are_accepted() -> None:
    rows = (title_row(show_id="s1", description="Line one\r\nline two"), title_row(show_id="s2"))
    data = b"\xef\xbb\xbf" + csv_bytes(*rows, line_end="\r\n") + b"\r\n"
    result = clean_titles(Platform.NETFLIX, data, SOURCE)
    assert [t.id for t in result.titles] == ["ns1", "ns2"]
    assert result.titles[0].description == "line one line two"
    assert result.fixes["bom_stripped"] == 1
    assert result.fixes["crlf_line_ends"] == 5
    assert result.fixes["blank_lines_skipped"] == 1


def test_line_numbers_count_physical_lines_after_multiline_fields() -> None:
    data = csv_bytes(
        title_row(show_id="s1", description="one\ntwo\nthree"), title_row(show_id="s2", type="x")
    )
    assert first(data).row == 5


def test_ratings_file_uploaded_as_titles_is_rejected_on_the_header() -> None:
    problem = first(b"userId,rating,timestamp,movieId\n1,4.0,1425941529,ns1\n")
    assert problem.row == 1


def test_200_mb_of_garbage_is_rejected_on_the_header_in_bounded_memory() -> None:
    garbage = b"\xff\x00garbage" * (200 * 1024 * 1024 // 9)
    tracemalloc.start()
    with pytest.raises(InvalidFile) as caught:
        clean_titles(Platform.NETFLIX, garbage, SOURCE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert caught.value.rejections[0].row == 1
    assert peak < 1024 * 1024


def test_oversized_file_with_a_valid_header_is_rejected_before_decoding() -> None:
    data = csv_bytes(title_row()) + b"x" * MAX_TITLES_FILE_BYTES
    tracemalloc.start()
    problem = first(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "at most" in problem.expected
    assert peak < 1024 * 1024


def test_valid_rows_pass() -> None:
    assert len(clean_rows(title_row(show_id="s1"), title_row(show_id="s2")).titles) == 2
