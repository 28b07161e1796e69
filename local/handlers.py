"""The HTTP functions in this process, as Lambda imports them: each one's `functions/<name>/app.py`
under a module name of its own, and the sample events of `events/`."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO / "functions"
EVENTS_DIR = REPO / "events"


def load_function(name: str) -> ModuleType:
    """`functions/<name>/app.py` under a module name of its own (every function's file is
    `app.py`, as Lambda imports it)."""
    path = FUNCTIONS_DIR / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"streamcat_function_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return event


def events_of(function: str) -> list[str]:
    """The event files of a function: `<function>.json` and `<function>_<variant>.json`."""
    names = sorted(path.stem for path in EVENTS_DIR.glob(f"{function}*.json"))
    return [n for n in names if n == function or n.removeprefix(function).startswith("_")]
