"""local/snapstart.py's invoke mode, with which bench.etl runs the built ETL function: one
invocation, timed without the import, in an interpreter that imports only from its paths (so the
development venv's pandas, which pyarrow would import, is not there)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.harness import REPO
from bench.snapstart import HARNESS

IMPORT_S, INVOCATION_S = 100.0, 7.0
APP = f"""
import importlib.util
import time

# The harness's clock, from here on the test's: the import ends {IMPORT_S} s on, and each
# invocation takes {INVOCATION_S} s, whatever the machine's speed.
now = [time.perf_counter() + {IMPORT_S}]
time.perf_counter = lambda: now[0]


def handler(event, context):
    now[0] += {INVOCATION_S}
    return {{
        "echo": event["n"],
        "function": context.function_name,
        "pandas_importable": importlib.util.find_spec("pandas") is not None,
    }}
"""


def test_invoke_reports_the_result_and_times_the_invocation_alone(tmp_path: Path) -> None:
    """The handler module sets the clock the harness reads, so the invocation's time is known
    exactly and the import's cannot hide in it."""
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
    assert report["import_s"] >= IMPORT_S
    assert report["seconds"] == pytest.approx(INVOCATION_S)
    assert report["cpu_s"] >= 0
    assert report["peak_rss_mb"] > 0
