"""A corpus of malformed titles CSVs uploaded to S3 and loaded by the handler: each is rejected
with a message naming the file, the line or column and what was expected, quarantined, and the
API keeps answering from the previous catalog; the harmless quirks (BOM, CRLF, quoted newlines)
load. Also 200 MB of garbage, uploaded in parts, rejected without being read into memory."""

import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from fastapi.testclient import TestClient

from local.notifications import Upload
from streamcat import db
from streamcat.api.app import create_whole_api_app
from streamcat_etl.titles_csv import MAX_TITLES_FILE_BYTES
from tests.support.etl import Etl
from tests.support.titles import HEADER_LINE, csv_bytes, title_row

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"
GARBAGE_BYTES = 200 * 1024 * 1024
GARBAGE_PEAK_BYTES = 16 * 1024 * 1024


def _rows(*overrides: dict[str, str]) -> bytes:
    return csv_bytes(*(title_row(show_id=f"s{i}", **o) for i, o in enumerate(overrides, 1)))


REJECTED = {
    "latin-1": (
        _rows({}, {"title": "Amélie"}).decode().encode("latin-1"),
        ["line 3: expected UTF-8 text, found byte 0xe9"],
    ),
    "extra-column": (
        _rows({}, {}).replace(b"Documentaries,", b"Documentaries,surplus,", 1),
        ["line 2: expected 12 fields, found 13 fields (extra: "],
    ),
    "missing-column": (
        _rows({}, {}).replace(b"PG-13,", b"", 1),
        ["line 2: expected 12 fields, found 11 fields"],
    ),
    "header-missing-a-column": (
        _rows({}).replace(b",rating,", b",", 1),
        ["line 1: expected the header line show_id,type", "missing rating"],
    ),
    "non-numeric-year": (
        _rows({}, {"release_year": "MMXX"}),
        ["line 3, column 'release_year'", "found 'MMXX'"],
    ),
    "negative-duration": (
        _rows({"duration": "-90 min"}),
        ["line 2, column 'duration'", "found '-90 min'"],
    ),
    "absurd-duration": (
        _rows({}, {}, {"duration": "90000 min"}),
        ["line 4, column 'duration'", "found '90000 min'"],
    ),
    "empty": (b"", ["file: expected the header line", "found an empty file"]),
    "header-only": (
        (HEADER_LINE + "\n").encode(),
        ["line 2: expected at least one title row after the header, found no rows"],
    ),
}
ACCEPTED = {
    "byte-order-mark": (b"\xef\xbb\xbf" + _rows({}, {}), ["ns1", "ns2"], "bom_stripped"),
    "crlf": (csv_bytes(title_row(show_id="s1"), line_end="\r\n"), ["ns1"], "crlf_line_ends"),
    "quoted-newlines": (_rows({"description": "one\ntwo"}, {}), ["ns1", "ns2"], "lower_cased"),
}


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    etl = Etl(database_url, bucket)
    etl.upload_and_load({NETFLIX: _rows({}, {}, {}), DISNEY: _rows({})})
    return etl


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    db.reset_shared_connection()
    with TestClient(create_whole_api_app()) as client:
        yield client


def _serving(api: TestClient) -> dict[str, int]:
    """What the API answers now: every platform's movie count."""
    counts = {}
    for platform in ("netflix", "disney"):
        response = api.get(f"/get_count_platform/{platform}")
        assert response.status_code == 200, response.text
        counts[platform] = response.json()["count"]
    return counts


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_malformed_titles_are_rejected_precisely_while_the_catalog_serves(
    etl: Etl, api: TestClient, case: str
) -> None:
    data, expected = REJECTED[case]
    before = _serving(api)

    result = etl.upload_and_load({NETFLIX: data})

    assert not result["swapped"] and etl.version() == 1
    assert _serving(api) == before == {"netflix": 3, "disney": 1}
    error = json.loads(etl.read(etl.layout.rejection(NETFLIX)))
    message = error["message"]
    assert message.startswith(f"{NETFLIX} rejected ("), message
    for part in expected:
        assert part in message, message
    assert etl.read(etl.layout.quarantined(NETFLIX)) == data
    assert NETFLIX not in etl.keys(etl.layout.raw)
    report = etl.report(result["load_id"])
    assert [(f["key"], f["status"]) for f in report["files"]] == [(NETFLIX, "rejected")]


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_harmless_quirks_load(etl: Etl, api: TestClient, case: str) -> None:
    data, ids, fix = ACCEPTED[case]

    result = etl.upload_and_load({NETFLIX: data})

    assert result["swapped"] and etl.version() == 2
    assert etl.ids() == ["ds1", *ids]
    assert _serving(api) == {"netflix": len(ids), "disney": 1}
    assert etl.report(result["load_id"])["files"][0]["fixes"][fix] >= 1


def _garbage_file(directory: Path) -> Path:
    """Random bytes written a chunk at a time: never 200 MB in memory."""
    path = directory / "garbage.csv"
    chunk = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        for _ in range(GARBAGE_BYTES // len(chunk)):
            out.write(chunk)
    return path


@pytest.mark.slow
def test_200_mb_of_garbage_uploaded_in_parts_is_rejected_unread(
    database_url: str, bucket: str, tmp_path: Path
) -> None:
    """moto runs in a process of its own, so the memory traced here is the ETL's alone."""
    etl = Etl(database_url, bucket)
    etl.upload_and_load({DISNEY: _rows({})})
    parts = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=32 << 20)
    etl.s3.upload_file(str(_garbage_file(tmp_path)), bucket, NETFLIX, Config=parts)
    head = etl.s3.head_object(Bucket=bucket, Key=NETFLIX)
    assert head["ETag"].endswith(f'-{GARBAGE_BYTES // (32 << 20) + 1}"'), "multipart"

    tracemalloc.start()
    try:
        upload = Upload(NETFLIX, head["ETag"].strip('"'), "0062E9A5B7D000000000", head["VersionId"])
        result = etl.load(upload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert not result["swapped"] and etl.version() == 1 and etl.ids() == ["ds1"]
    message = json.loads(etl.read(etl.layout.rejection(NETFLIX)))["message"]
    assert f"expected a titles file of at most {MAX_TITLES_FILE_BYTES:,} bytes" in message
    assert f"found {GARBAGE_BYTES:,} bytes" in message
    assert peak < GARBAGE_PEAK_BYTES, f"the load held {peak:,} bytes"
