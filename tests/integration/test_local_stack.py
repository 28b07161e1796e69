"""`python -m local.stack`: the data folder check, and the run from upload to serving with
stand-in handlers (the real ETL and training handlers have their own tests)."""

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from local import stack
from local.s3 import apply_environment, local_environment
from local.stack import DataFolderError, find_data
from local.trigger import TriggerSettings
from streamcat.platforms import TITLES_FILES
from tests.support.catalog import create_catalog, known_titles
from tests.support.local import free_port

ETL_KEYS: list[str] = []
TRAIN_KEYS: list[str] = []


def fake_etl(event: dict[str, Any], context: Any) -> None:
    """Records the uploaded keys and writes interactions, as the ETL does."""
    from streamcat.storage import s3_client

    keys = _keys(event)
    ETL_KEYS.extend(keys)
    if keys:
        s3_client().put_object(Bucket="streamcat-data", Key="curated/interactions/v1.npz", Body=b"")


def fake_train(event: dict[str, Any], context: Any) -> None:
    TRAIN_KEYS.extend(_keys(event))


def _keys(event: dict[str, Any]) -> list[str]:
    bodies = [json.loads(record["body"]) for record in event["Records"]]
    return [unquote_plus(r["s3"]["object"]["key"]) for b in bodies for r in b.get("Records", [])]


def _data_folder(root: Path, ratings: list[str]) -> Path:
    (root / "titles").mkdir(parents=True)
    for name in TITLES_FILES.values():
        (root / "titles" / name).write_text("show_id,type\n")
    (root / "ratings").mkdir()
    for name in ratings:
        (root / "ratings" / name).write_text("userId,rating,timestamp,movieId\n")
    return root


def test_data_folder_lists_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "netflix_titles.csv").write_text("show_id\n")

    with pytest.raises(DataFolderError) as error:
        find_data(tmp_path)

    message = str(error.value)
    for name in ("amazon_prime_titles.csv", "disney_plus_titles.csv", "hulu_titles.csv"):
        assert name in message
    assert "netflix_titles.csv" not in message
    assert f"no CSV file in {tmp_path / 'ratings'}" in message


def test_data_folder_finds_titles_subfolder_and_orders_ratings(tmp_path: Path) -> None:
    files = find_data(_data_folder(tmp_path, ["10.csv", "2.csv", "1.csv"]))

    assert [p.name for p in files.ratings] == ["1.csv", "2.csv", "10.csv"]
    keys = [key for _, key in files.uploads("raw/")]
    assert keys[:4] == [f"raw/titles/{name}" for name in TITLES_FILES.values()]
    assert keys[4:] == ["raw/ratings/1.csv", "raw/ratings/2.csv", "raw/ratings/10.csv"]


def test_run_uploads_and_the_notifications_trigger_the_handlers(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_catalog(database_url, known_titles())  # an earlier run's, with its S3 now gone
    data = _data_folder(tmp_path, ["1.csv", "2.csv"])
    monkeypatch.setattr(stack, "ETL_HANDLER", f"{__name__}.fake_etl")
    monkeypatch.setattr(stack, "TRAIN_HANDLER", f"{__name__}.fake_train")
    monkeypatch.setattr(stack, "TRIGGER_SETTINGS", TriggerSettings(batching_window_s=0.2))
    served: list[int] = []
    monkeypatch.setattr("local.server.serve", served.append)
    for name in [*local_environment("", "", ""), "DATABASE_URL"]:  # run() exports these
        monkeypatch.setenv(name, os.environ.get(name, ""))
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("STREAMCAT_S3_PORT", str(free_port()))
    apply_environment({})  # settings and clients cached by earlier tests must not leak in
    ETL_KEYS.clear()
    TRAIN_KEYS.clear()

    try:
        stack.run(data, n_ratings=1, port=8123)
    finally:
        monkeypatch.undo()
        apply_environment({})  # drop settings and clients cached from the stack's environment

    assert sorted(ETL_KEYS) == sorted(key for _, key in find_data(data).uploads("raw/"))
    assert TRAIN_KEYS and set(TRAIN_KEYS) == {"curated/interactions/v1.npz"}
    assert served == [8123]
    out = capsys.readouterr().out
    assert "No catalog is loaded" in out
    assert "http://127.0.0.1:8123/docs" in out
