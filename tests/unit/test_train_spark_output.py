"""The Spark job's output read back as the Lambda's factorisation returns it: part files found
among Spark's other files, unrated titles as zero rows, anything malformed refused by name.
The job's real output is read in tests/integration/test_spark_training.py."""

import json

import numpy as np
import numpy.typing as npt
import pytest

from streamcat_train.collaborative import RatingsModel
from streamcat_train.spark_input import titles_lines
from streamcat_train.spark_output import SparkOutputError, output_parts, read_job_output

PREFIX = "spark/v3/output/"


def _lines(*records: object) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def _output(factors: bytes, singular: bytes) -> dict[str, bytes]:
    """An output folder as Spark leaves it: one part per folder with its checksum, _SUCCESS."""
    return {
        f"{PREFIX}factors/part-00000-a1-c000.json": factors,
        f"{PREFIX}factors/.part-00000-a1-c000.json.crc": b"\x00crc",
        f"{PREFIX}factors/_SUCCESS": b"",
        f"{PREFIX}singular_values/part-00000-b2-c000.json": singular,
        f"{PREFIX}singular_values/_SUCCESS": b"",
    }


SINGULAR = _lines({"index": 1, "value": 2.0}, {"index": 0, "value": 5.0})
FACTORS = _lines(
    {"item": 3, "votes": 7, "factors": [1.5, -0.5]}, {"item": 0, "votes": 1, "factors": [2, 0]}
)


def _read(files: dict[str, bytes], n_items: int = 5) -> tuple[RatingsModel, npt.NDArray[np.int64]]:
    return read_job_output(files.__getitem__, list(files), n_items)


def test_the_output_reads_into_factors_and_votes_with_zeros_for_unrated_titles() -> None:
    model, votes = _read(_output(FACTORS, SINGULAR))

    np.testing.assert_array_equal(model.singular_values, np.array([5.0, 2.0], np.float32))
    assert model.item_factors.dtype == np.float32 and model.item_factors.shape == (5, 2)
    np.testing.assert_array_equal(model.item_factors, [[2, 0], [0, 0], [0, 0], [1.5, -0.5], [0, 0]])
    np.testing.assert_array_equal(votes, [1, 0, 0, 7, 0])
    assert votes.dtype == np.int64


def test_only_part_files_of_the_named_folder_are_parts() -> None:
    keys = [
        f"{PREFIX}factors/part-00000-x.json",
        f"{PREFIX}factors/.part-00000-x.json.crc",
        f"{PREFIX}factors/_SUCCESS",
        f"{PREFIX}other/factors/x/part-00001.json",
        f"{PREFIX}singular_values/part-00000-y.json",
    ]

    assert output_parts(keys, "factors") == [f"{PREFIX}factors/part-00000-x.json"]


def test_parts_spread_over_several_files_are_all_read() -> None:
    files = _output(_lines({"item": 0, "votes": 1, "factors": [1.0, 1.0]}), SINGULAR)
    files[f"{PREFIX}factors/part-00001-a1-c000.json"] = _lines(
        {"item": 4, "votes": 2, "factors": [3.0, 3.0]}
    )

    _, votes = _read(files)

    np.testing.assert_array_equal(votes, [1, 0, 0, 0, 2])


def test_no_ratings_is_a_model_without_dimensions() -> None:
    """A job over ratings of no catalog title writes empty parts: the Lambda's own answer to
    no ratings is the same empty model."""
    model, votes = _read(_output(b"", b""), n_items=3)

    assert model.item_factors.shape == (3, 0) and model.singular_values.shape == (0,)
    np.testing.assert_array_equal(votes, [0, 0, 0])


@pytest.mark.parametrize("folder", ["factors", "singular_values"])
def test_a_missing_folder_of_parts_is_refused(folder: str) -> None:
    files = {k: v for k, v in _output(FACTORS, SINGULAR).items() if f"/{folder}/part-" not in k}

    with pytest.raises(SparkOutputError, match=f"no {folder}/part-"):
        _read(files)


@pytest.mark.parametrize(
    ("factors", "singular", "message"),
    [
        (_lines({"item": 5, "votes": 1, "factors": [1, 1]}), SINGULAR, "outside the catalog"),
        (_lines({"item": -1, "votes": 1, "factors": [1, 1]}), SINGULAR, "outside the catalog"),
        (_lines({"item": 0, "votes": 1, "factors": [1]}), SINGULAR, "list of 2 numbers"),
        (_lines({"item": 0, "votes": 1, "factors": "1,1"}), SINGULAR, "list of 2 numbers"),
        (_lines({"item": 0, "votes": 0, "factors": [1, 1]}), SINGULAR, "at least one vote"),
        (_lines({"item": "0", "votes": 1, "factors": [1, 1]}), SINGULAR, "`item` must be"),
        (_lines({"item": 0, "factors": [1, 1]}), SINGULAR, "`votes` must be"),
        (_lines({"item": 0, "votes": 1, "factors": [1, None]}), SINGULAR, "not a finite number"),
        (b'{"item": 0, "votes": 1, "factors": [NaN, 1]}\n', SINGULAR, "not a finite number"),
        (FACTORS + FACTORS, SINGULAR, "appears twice"),
        (b"{not json\n", SINGULAR, "line 1: not JSON"),
        (b"[1, 2]\n", SINGULAR, "not a JSON object"),
        (FACTORS, _lines({"index": 1, "value": 2.0}), r"indexes must be 0\.\.0"),
        (FACTORS, SINGULAR + _lines({"index": 0, "value": 1.0}), "appears twice"),
        (FACTORS, _lines({"index": 0, "value": "big"}), "not a finite number"),
    ],
)
def test_malformed_output_is_refused_naming_the_part_and_line(
    factors: bytes, singular: bytes, message: str
) -> None:
    with pytest.raises(SparkOutputError, match=message):
        _read(_output(factors, singular))


def test_the_jobs_titles_number_the_catalog_in_its_order() -> None:
    lines = titles_lines(["as1", "ds2"]).decode().splitlines()

    assert [json.loads(line) for line in lines] == [
        {"item": 0, "movie_id": "as1"},
        {"item": 1, "movie_id": "ds2"},
    ]
