"""local/snapstart.py's invoke mode, with which bench.etl runs the built ETL function: one
invocation, timed without the import, in an interpreter that imports only from its paths (so the
development venv's pandas, which pyarrow would import, is not there)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from bench.snapstart import HARNESS, REPO

APP = """
import importlib.util
import time

time.sleep(1.0)  # the import: not the invocation's


def handler(event, context):
    time.sleep(0.1)
    return {
        "echo": event["n"],
        "function": context.function_name,
        "pandas_importable": importlib.util.find_spec("pandas") is not None,
    }
"""


def test_invoke_reports_the_result_and_times_the_invocation_alone(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"n": 7}))
    command = [sys.executable, "-I", "-S", str(HARNESS), "--mode", "invoke"]
    command += ["--handler", "app.handler", "--event", str(event)]
    command += ["--path", str(tmp_path), "--path", str(REPO / "layers" / "common")]

    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)

    report = json.loads(done.stdout.splitlines()[-1])
    assert report["result"] == {
        "echo": 7,
        "function": "streamcat-snapstart",
        "pandas_importable": False,
    }
    assert report["import_s"] >= 1.0
    assert 0.1 <= report["seconds"] < 1.0
    assert 0 <= report["cpu_s"] < report["seconds"]
    assert report["peak_rss_mb"] > 0
