"""The peak memory a function reports is its own, not its parent's."""

import subprocess
import sys

from streamcat.memory import peak_rss_mb

BIG_MB = 400


def test_a_child_of_a_big_process_reports_its_own_small_peak() -> None:
    ballast = bytearray(BIG_MB * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page: resident
    assert peak_rss_mb() > BIG_MB
    child = subprocess.run(
        [sys.executable, "-c", "from streamcat.memory import peak_rss_mb; print(peak_rss_mb())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(child.stdout) < BIG_MB / 2, "the child reported its parent's high-water mark"
    del ballast
