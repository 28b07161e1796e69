"""The Spark job's output (etl/spark/train_job.py) read back into what the Lambda's own
factorisation returns, so the rest of training cannot tell the engines apart.

The job writes JSON Lines part files under its output prefix: `factors/part-*.json`, one
{"item", "votes", "factors"} per rated title, and `singular_values/part-*.json`, one
{"index", "value"} per singular value. Spark's other files there (`_SUCCESS`, `.crc`
checksums) are ignored. The standard library and numpy read them: the training function
ships neither pyspark nor pyarrow."""

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from streamcat_train.collaborative import RatingsModel

FACTORS = "factors"
SINGULAR_VALUES = "singular_values"


class SparkOutputError(ValueError):
    """The job's output is missing or is not what the job writes."""


def output_parts(keys: list[str], folder: str) -> list[str]:
    """The JSON Lines part files directly under `folder/` of the output, in name order."""
    found = []
    for key in keys:
        parent, _, name = key.rpartition("/")
        if parent.rpartition("/")[2] == folder and _is_part(name):
            found.append(key)
    return sorted(found)


def _is_part(name: str) -> bool:
    return name.startswith("part-") and name.endswith(".json")


def read_job_output(
    read: Callable[[str], bytes], keys: list[str], n_items: int
) -> tuple[RatingsModel, npt.NDArray[np.int64]]:
    """`keys`: every key under the job's output prefix; `read` fetches one. Returns the ratings
    model (factors float32, n_items x dims, zero rows for unrated titles) and the votes per
    title (zero for unrated ones)."""
    singular = _singular_values(read, _required(keys, SINGULAR_VALUES))
    dims = len(singular)
    factors = np.zeros((n_items, dims), dtype=np.float32)
    votes = np.zeros(n_items, dtype=np.int64)
    for key, number, record in _records(read, _required(keys, FACTORS)):
        item, count, row = _factor_record(record, key, number, n_items, dims)
        if votes[item]:
            raise SparkOutputError(f"{key} line {number}: item {item} appears twice")
        votes[item] = count
        factors[item] = row
    return RatingsModel(singular, factors), votes


def _required(keys: list[str], folder: str) -> list[str]:
    parts = output_parts(keys, folder)
    if not parts:
        raise SparkOutputError(f"the job's output holds no {folder}/part-*.json file")
    return parts


def _records(
    read: Callable[[str], bytes], keys: list[str]
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Each JSON object of the part files, with its key and line number."""
    for key in keys:
        for number, line in enumerate(read(key).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise SparkOutputError(f"{key} line {number}: not JSON: {error}") from error
            if not isinstance(record, dict):
                raise SparkOutputError(f"{key} line {number}: not a JSON object")
            yield key, number, record


def _integer(record: dict[str, Any], name: str, where: str) -> int:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SparkOutputError(f"{where}: `{name}` must be an integer, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SparkOutputError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _singular_values(read: Callable[[str], bytes], keys: list[str]) -> npt.NDArray[np.float32]:
    """The values in index order; the indexes must be 0..n-1, each once."""
    values: dict[int, float] = {}
    for key, number, record in _records(read, keys):
        where = f"{key} line {number}"
        index = _integer(record, "index", where)
        if index in values:
            raise SparkOutputError(f"{where}: singular value {index} appears twice")
        values[index] = _number(record.get("value"), where)
    if sorted(values) != list(range(len(values))):
        raise SparkOutputError(f"the singular values' indexes must be 0..{len(values) - 1}")
    return np.array([values[i] for i in range(len(values))], dtype=np.float32)


def _factor_record(
    record: dict[str, Any], key: str, number: int, n_items: int, dims: int
) -> tuple[int, int, list[float]]:
    where = f"{key} line {number}"
    item = _integer(record, "item", where)
    if not 0 <= item < n_items:
        raise SparkOutputError(f"{where}: item {item} is outside the catalog's 0..{n_items - 1}")
    votes = _integer(record, "votes", where)
    if votes < 1:
        raise SparkOutputError(f"{where}: a rated title has at least one vote, got {votes}")
    factors = record.get("factors")
    if not isinstance(factors, list) or len(factors) != dims:
        raise SparkOutputError(
            f"{where}: `factors` must be a list of {dims} numbers (one per singular value)"
        )
    return item, votes, [_number(value, where) for value in factors]
