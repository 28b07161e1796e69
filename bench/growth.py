"""How the scale bench's figures grow with the ratings: a power law fitted to the measured
factors, projected to 100x and 1,000x the base and to where it meets Lambda's limits."""

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bench.budgets import LAMBDA_MEMORY_MB, LAMBDA_TIMEOUT_S, MB

PROJECTED = (100, 1000)
TRAIN_BYTES_PER_RATING = 8 + 8 + 4
"""Training holds user and item as int64 and the rating as float32 for every rating."""
LIMITS: dict[str, float | None] = {
    "etl_s": None,
    "max_invocation_s": LAMBDA_TIMEOUT_S,
    "max_under_lock_s": LAMBDA_TIMEOUT_S,
    "etl_peak_rss_mb": LAMBDA_MEMORY_MB,
    "train_s": LAMBDA_TIMEOUT_S,
    "train_peak_rss_mb": LAMBDA_MEMORY_MB,
}
"""Each projected figure of a factor, with the Lambda limit it must stay under."""


def growth(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(a, b) of y = exp(a) * x^b fitted to the positive points by least squares on logs; b is
    1 (linear) with one point. None without a positive point."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if not usable:
        return None
    n = len(usable)
    mx, my = sum(x for x, _ in usable) / n, sum(y for _, y in usable) / n
    sxx = sum((x - mx) ** 2 for x, _ in usable)
    if sxx == 0:
        return my - mx, 1.0
    b = sum((x - mx) * (y - my) for x, y in usable) / sxx
    return my - b * mx, b


def project(fit: tuple[float, float] | None, x: float) -> float | None:
    return math.exp(fit[0]) * x ** fit[1] if fit else None


def crossing(fit: tuple[float, float] | None, limit: float) -> float | None:
    """Where the fitted curve reaches `limit` (None when it does not grow)."""
    if not fit or fit[1] <= 0:
        return None
    return math.exp((math.log(limit) - fit[0]) / fit[1])


def series(out: Mapping[str, Any], key: str) -> list[tuple[float, float]]:
    return [
        (float(f["ratings"]), float(f[key]))
        for f in out["factors"]
        if isinstance(f.get(key), int | float)
    ]


def projections(out: Mapping[str, Any]) -> dict[str, Any]:
    """Each figure of `LIMITS` fitted against ratings, projected, and the size where it meets
    its limit; the training arrays' size, which is exactly linear."""
    base = out["base"]
    found: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        fit = growth(series(out, name))
        found[name] = {
            "exponent": round(fit[1], 3) if fit else None,
            "projected": {f"{k}x": _round(project(fit, k * base)) for k in PROJECTED},
            "limit": limit,
            "limit_at_ratings": _round(crossing(fit, limit)) if limit else None,
        }
    found["train_arrays_mb"] = {
        f"{k}x": round(k * base * TRAIN_BYTES_PER_RATING / MB, 1) for k in PROJECTED
    }
    found["train_arrays_limit_at_ratings"] = int(LAMBDA_MEMORY_MB * MB / TRAIN_BYTES_PER_RATING)
    return found


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
