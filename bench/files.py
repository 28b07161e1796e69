"""Where the benchmarks read and write, and the JSON they write."""

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
"""Each bench's own JSON; a trial run at small sizes passes another folder, so it does not
replace the full-scale outputs."""
RESULTS_JSON = REPO / "bench" / "results.json"
DATA_CACHE = REPO / ".local" / "benchdata"


def read_json(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
