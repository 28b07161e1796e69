"""The process's memory high-water mark, which the ETL and training report per invocation: what
Lambda's "Max Memory Used" shows, and what the scale benchmark reads."""

import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
