"""Each HTTP function imported alone in a fresh interpreter, as a cold Lambda container would."""

import json
import subprocess
import sys

import pytest

from local.handlers import FUNCTIONS_DIR, REPO
from streamcat.api.registry import Kind, of_kind

# The recommendations function loads its model (numpy) at init, by design.
LIGHT_FUNCTIONS = [f.name for f in of_kind(Kind.SEED_QUERY, Kind.BROWSE, Kind.DOCS)]

# Powertools imports the bare `botocore` package (a few ms) to tag its user agent; a client or
# session of botocore, boto3 or the X-Ray SDK would cost hundreds of ms and must stay out.
HEAVY = (
    "pandas",
    "numpy",
    "pyarrow",
    "sklearn",
    "scipy",
    "boto3",
    "botocore.session",
    "botocore.client",
    "aws_xray_sdk",
)

_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.handler)
heavy = sys.argv[2:]
print(json.dumps(sorted(m for m in sys.modules for h in heavy if m == h or m.startswith(h + "."))))
"""


@pytest.mark.parametrize("function", LIGHT_FUNCTIONS)
def test_function_imports_no_heavy_library(function: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(FUNCTIONS_DIR / function / "app.py"), *HEAVY],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
