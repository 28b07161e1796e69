"""The process's memory high-water mark, which the ETL and training report per invocation: what
Lambda's "Max Memory Used" shows, and what the benchmarks read."""

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB. On Linux, VmHWM: the high-water mark
    of this process's own memory. Not ru_maxrss, which a process started by fork and exec
    inherits from its parent (the old address space's peak is carried over at exec), so a
    small child of a big parent would report the parent's size."""
    if _STATUS.exists():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
