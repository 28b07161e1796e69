"""The recommendations Lambda: cold start (a fresh interpreter: import, model load from local moto
S3, first answer) and warm latency, with a full-scale model (22,998 titles, trained on 11 million
generated ratings; trained once and cached under `.local/recommend/`, the training time is
reported too).
"""

import datetime
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import queries
from bench.budgets import RECOMMENDATIONS_MS
from bench.evaluate import titles_source
from bench.harness import REPO, arguments, write_out

EVENT = REPO / "events" / "recommendations.json"
TITLE_ID = "ns1"
"""Asked by id: every catalog, real or generated, has a first Netflix title."""


def full_model() -> tuple[bytes, dict[str, Any]]:
    """The encoded full-scale model and how long training took (cached after the first run)."""
    titles_dir, cache_dir = titles_source(None)
    model_cache = cache_dir / "model_full.json.gz"
    training_cache = cache_dir / "model_full.training.json"
    if model_cache.exists() and training_cache.exists():
        return model_cache.read_bytes(), json.loads(training_cache.read_text())
    from local.catalog_fixtures import generated_rated_catalog
    from streamcat_train.artifact import encode, model_document
    from streamcat_train.model import train

    data = generated_rated_catalog(titles_dir, cache_dir, 11_000_000)
    started = time.perf_counter()
    model = train(data.catalog, data.ratings)
    training = {
        "train_s": round(time.perf_counter() - started, 2),
        "titles": len(data.catalog),
        "ratings": len(data.ratings.user),
    }
    trained_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    body = encode(model_document(model, trained_at))
    model_cache.parent.mkdir(parents=True, exist_ok=True)
    model_cache.write_bytes(body)
    training_cache.write_text(json.dumps(training))
    return body, training


def publish(body: bytes) -> None:
    from streamcat.s3_layout import S3Layout
    from streamcat.settings import get_settings
    from streamcat.storage import s3_client

    settings, s3 = get_settings(), s3_client()
    bucket, layout = settings.data_bucket, S3Layout.of(settings)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=layout.model(1), Body=body)
    pointer = {"version": 1, "key": layout.model(1), "trained_at": "bench"}
    s3.put_object(Bucket=bucket, Key=layout.latest_model, Body=json.dumps(pointer).encode())


def bench_event() -> dict[str, Any]:
    """The recommendations event of `events/`, asking for a title every catalog has."""
    event: dict[str, Any] = json.loads(EVENT.read_text())
    event["rawQueryString"] = f"id={TITLE_ID}"
    event["queryStringParameters"] = {"id": TITLE_ID}
    return event


def run(calls: int, cold_runs: int) -> dict[str, Any]:
    from local.handlers import load_function
    from local.s3 import apply_environment, local_environment, start_moto

    body, training = full_model()
    server = start_moto()
    try:
        apply_environment(local_environment(server.endpoint, "streamcat-bench", "us-east-1"))
        publish(body)
        with tempfile.TemporaryDirectory() as scratch:
            event_path = Path(scratch) / "event.json"
            event_path.write_text(json.dumps(bench_event()))
            cold = queries.cold_start_ms("handler", "recommendations", event_path, cold_runs)
        warm = queries.warm_ms(load_function("recommendations").handler, bench_event(), calls)
    finally:
        server.stop()
    return {
        "model_bytes": len(body),
        "training": training,
        "calls": calls,
        "cold_runs": cold_runs,
        **cold,
        **warm,
        "budget_ms": RECOMMENDATIONS_MS,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments("recommendations", __doc__, argv, calls=2000, cold_runs=5)
    return write_out(args.out, run(args.calls, args.cold_runs))


if __name__ == "__main__":
    sys.exit(main())
