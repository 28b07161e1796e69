"""Known allocations and functions run in a process of their own, to check the memory peak a
function reports: Lambda starts its runtime by fork and exec, as `subprocess` does here, and a
peak that carried over the parent's high-water mark would show the parent's size."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
BIG_MB = 1024
"""Far above what a small load or training takes (a few hundred MiB, their imports included), so
it cannot be mistaken for their own use."""

_CHILD = "from tests.support.memory import child_main; child_main()"


def resident(mb: int) -> bytearray:
    """`mb` MiB with every page written, so all of it is resident (counted in VmHWM)."""
    block = bytearray(mb * MIB)
    page = os.sysconf("SC_PAGE_SIZE")
    block[::page] = b"x" * len(block[::page])
    return block


def call_in_child(function: str, argument: Any, allocate_mb: int = 0) -> Any:
    """`function(argument)` ("module:name", JSON in and out) in a new Python process that first
    holds `allocate_mb` MiB of its own; the environment (database, S3) is this process's."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, function, str(allocate_mb)],
        input=json.dumps(argument),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])  # the functions log to stdout before it


def child_main() -> None:
    """The child's side of `call_in_child`: the answer is the last line of stdout."""
    module, _, name = sys.argv[1].partition(":")
    _held = resident(int(sys.argv[2]))
    answer = getattr(importlib.import_module(module), name)(json.loads(sys.stdin.read()))
    print(json.dumps(answer), flush=True)
