"""docs/etl.md, quarantine: a bad file is rejected with a precise message, moved to quarantine/, and
the previous catalog keeps serving; valid files of the same batch still load."""

import json

import pytest

from tests.support.etl import Etl, ratings_csv, titles_csv
from tests.support.titles import HEADER_LINE

NETFLIX = "raw/titles/netflix_titles.csv"
HULU = "raw/titles/hulu_titles.csv"
RATINGS = "raw/ratings/3.csv"


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    etl = Etl(database_url, bucket)
    etl.upload_and_load({NETFLIX: titles_csv("s1"), RATINGS: ratings_csv((1, 4.0, "ns1"))})
    return etl


def rejection(etl: Etl, key: str) -> dict[str, object]:
    assert key not in etl.keys("raw/")
    assert etl.layout.quarantined(key) in etl.keys(etl.layout.quarantine)
    document: dict[str, object] = json.loads(etl.read(etl.layout.rejection(key)))
    return document


def assert_previous_catalog_serves(etl: Etl) -> None:
    assert etl.version() == 1
    assert etl.rows("SELECT id, score, votes FROM catalog.titles") == [("ns1", 4.0, 1)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file: expected a CSV file with header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "line 1: expected UTF-8 text"),
        (b"userId,rating,movieId\n1,4.0,ns1\n", "line 1: expected the header"),
        (ratings_csv((1, 4.0, "ns1"))[:-6], "line 2: expected 4 fields"),
        (ratings_csv((1, 4.0, "ns1"), (2, 7.5, "ns1")), "line 3, column 'rating'"),
    ],
    ids=["empty", "not-csv", "wrong-columns", "truncated", "off-scale"],
)
def test_bad_ratings_file_is_quarantined_and_the_catalog_kept(
    etl: Etl, data: bytes, message: str
) -> None:
    result = etl.upload_and_load({RATINGS: data})

    assert not result["swapped"]
    error = rejection(etl, RATINGS)
    assert RATINGS in str(error["message"]) and message in str(error["message"])
    assert etl.read(etl.layout.quarantined(RATINGS)) == data
    assert_previous_catalog_serves(etl)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "raw/titles/hulu_titles.csv"),
        (b"show_id,title\ns1,x\n", "raw/titles/hulu_titles.csv"),
        (titles_csv("s1", release_year="20x1"), "line 2, column 'release_year'"),
        ((HEADER_LINE + "\ns1,Movie,Dick").encode(), "line 2"),
    ],
    ids=["empty", "wrong-columns", "bad-value", "truncated"],
)
def test_bad_titles_file_is_quarantined_while_valid_files_of_the_batch_load(
    etl: Etl, data: bytes, message: str
) -> None:
    result = etl.upload_and_load({HULU: data, "raw/ratings/4.csv": ratings_csv((2, 2.0, "ns1"))})

    error = rejection(etl, HULU)
    assert message in str(error["message"])
    assert result["catalog_version"] == 2
    assert etl.rows("SELECT id, score, votes FROM catalog.titles") == [("ns1", 3.0, 2)]
    report = etl.report(result["load_id"])
    assert report["totals"]["rejected"] == 1 and report["totals"]["loaded"] == 1


def test_unrecognised_name_is_quarantined_with_the_accepted_names(etl: Etl) -> None:
    result = etl.upload_and_load({"raw/titles/netflix.csv": b"anything"})

    error = rejection(etl, "raw/titles/netflix.csv")
    assert "netflix_titles.csv" in str(error["message"])
    assert "ratings/<n>.csv" in str(error["message"])
    assert not result["swapped"]
    assert_previous_catalog_serves(etl)
