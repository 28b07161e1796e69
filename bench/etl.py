"""ETL benchmark (SPEC 5): raw CSVs in (moto) S3 to a loaded catalog, ratings Parquet and the
training input, at full scale, against the naive baseline the original project used (pandas
`read_csv` of every file, then row-by-row `executemany` INSERTs into plain tables).

    python -m bench.etl [--ratings N] [--out bench/out/etl.json]

Each contender runs in its own child process so its peak RSS (ru_maxrss) is its own; moto
runs in this process. The baseline inserts `--baseline-rows` ratings and extrapolates the
rest linearly (11 million single-row INSERTs take tens of minutes); the JSON says so.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".local" / "benchdata"
BUDGET_S, BUDGET_MB = 20.0, 1536
TITLES_KEYS = "raw/titles/"
RATINGS_KEYS = "raw/ratings/"


def titles_dir() -> Path:
    from local.titles_generator import generate_catalogs

    out = CACHE / "titles-seed7"
    if not (out / "netflix_titles.csv").exists():
        generate_catalogs(out, seed=7)
    return out


def ratings_dir(n_ratings: int, titles: Path) -> Path:
    from local.ratings_generator import generate_ratings

    out = CACHE / f"ratings-{n_ratings}"
    if not (out / "8.csv").exists():
        generate_ratings(titles, out, n_ratings=n_ratings)
    return out


def admin_url() -> str:
    if configured := os.environ.get("DATABASE_URL"):
        return configured
    from local.postgres import ensure_server

    own: str = ensure_server()
    return own


def run_child(mode: str, env: dict[str, str], extra: list[str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.etl", "--child", mode, *extra]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_etl() -> dict[str, Any]:
    """The ETL handler on an SQS batch announcing all 12 files, then (if present) training."""
    started = time.perf_counter()
    from local.lambda_context import LocalLambdaContext
    from local.notifications import Upload, sqs_event
    from streamcat.settings import get_settings
    from streamcat.storage import s3_client
    from streamcat_etl.handler import lambda_handler

    imported = time.perf_counter()
    bucket = get_settings().data_bucket
    listed = s3_client().list_objects_v2(Bucket=bucket, Prefix="raw/")["Contents"]
    uploads = [
        Upload(o["Key"], o["ETag"].strip('"'), f"{i + 1:018X}") for i, o in enumerate(listed)
    ]
    context = LocalLambdaContext("etl")
    began = time.perf_counter()
    result = lambda_handler(sqs_event(bucket, *uploads), context)
    etl_s = time.perf_counter() - began
    etl_peak = peak_mb()
    report = json.loads(
        s3_client()
        .get_object(Bucket=bucket, Key=f"reports/loads/{result['load_id']}.json")["Body"]
        .read()
    )
    return {
        "import_s": imported - started,
        "etl_s": etl_s,
        "etl_peak_rss_mb": etl_peak,
        "catalog_version": result["catalog_version"],
        "steps_s": report["timings_s"],
        "totals": report["totals"],
        "interactions_key": report["interactions_key"],
    }


def child_train(key: str) -> dict[str, Any]:
    from local.lambda_context import LocalLambdaContext
    from local.notifications import Upload, s3_record
    from streamcat.settings import get_settings
    from streamcat_train.handler import lambda_handler

    began = time.perf_counter()
    record = s3_record(Upload(key, "", "01"), get_settings().data_bucket)
    context: Any = LocalLambdaContext("train")  # duck-types the runtime's context
    lambda_handler({"Records": [record]}, context)
    return {"train_s": time.perf_counter() - began, "train_peak_rss_mb": peak_mb()}


def child_baseline(titles: Path, ratings: Path, baseline_rows: int) -> dict[str, Any]:
    import pandas as pd

    began = time.perf_counter()
    frames = {p.name: pd.read_csv(p) for p in sorted(titles.glob("*.csv"))}
    rating_frames = [pd.read_csv(p) for p in sorted(ratings.glob("*.csv"))]
    read_s = time.perf_counter() - began
    connection = psycopg2.connect(os.environ["DATABASE_URL"])
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE baseline_titles (show_id text, type text, title text,"
            " director text, cast_members text, country text, date_added text,"
            " release_year int, rating text, duration text, listed_in text,"
            " description text)"
        )
        cursor.execute(
            "CREATE TABLE baseline_ratings (user_id int, rating real, ts bigint, movie_id text)"
        )
    began = time.perf_counter()
    with connection, connection.cursor() as cursor:
        for frame in frames.values():
            rows = frame.astype(object).where(frame.notna(), None).values.tolist()
            cursor.executemany(
                "INSERT INTO baseline_titles VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
    titles_s = time.perf_counter() - began
    total = sum(len(f) for f in rating_frames)
    sample = rating_frames[0].head(baseline_rows).values.tolist()
    began = time.perf_counter()
    with connection, connection.cursor() as cursor:
        cursor.executemany("INSERT INTO baseline_ratings VALUES (%s, %s, %s, %s)", sample)
    sample_s = time.perf_counter() - began
    connection.close()
    ratings_s = sample_s * total / max(1, len(sample))
    return {
        "read_csv_s": read_s,
        "insert_titles_s": titles_s,
        "insert_ratings_measured_rows": len(sample),
        "insert_ratings_measured_s": sample_s,
        "insert_ratings_extrapolated_s": ratings_s,
        "total_s": read_s + titles_s + ratings_s,
        "peak_rss_mb": peak_mb(),
    }


def upload_inputs(titles: Path, ratings: Path) -> None:
    from streamcat.settings import get_settings
    from streamcat.storage import s3_client

    bucket = get_settings().data_bucket
    s3 = s3_client()
    s3.create_bucket(Bucket=bucket)
    for path in sorted(titles.glob("*.csv")):
        s3.upload_file(str(path), bucket, TITLES_KEYS + path.name)
    for path in sorted(ratings.glob("*.csv")):
        s3.upload_file(str(path), bucket, RATINGS_KEYS + path.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=11_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "etl.json")
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child", choices=["etl", "train", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_result(args)))
        return 0
    return run_benchmark(args)


def child_result(args: argparse.Namespace) -> dict[str, Any]:
    if args.child == "etl":
        return child_etl()
    if args.child == "train":
        return child_train(args.key)
    titles = titles_dir()
    return child_baseline(titles, ratings_dir(args.ratings, titles), args.baseline_rows)


def run_benchmark(args: argparse.Namespace) -> int:
    from moto.server import ThreadedMotoServer

    began = time.perf_counter()
    titles = titles_dir()
    ratings = ratings_dir(args.ratings, titles)
    print(f"data ready in {time.perf_counter() - began:.1f} s ({ratings})", file=sys.stderr)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    admin = psycopg2.connect(admin_url())
    admin.autocommit = True
    database = f"bench_etl_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    env = {
        **os.environ,
        "DATABASE_URL": psycopg2.extensions.make_dsn(admin.dsn, dbname=database),
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    try:
        upload_inputs(titles, ratings)
        ours = run_child("etl", env, ["--ratings", str(args.ratings)])
        try:
            ours |= run_child("train", env, ["--key", ours["interactions_key"]])
        except (RuntimeError, KeyError, TypeError) as error:
            ours["train_error"] = str(error)[-500:]
        baseline = None
        if not args.skip_baseline:
            extra = ["--ratings", str(args.ratings), "--baseline-rows", str(args.baseline_rows)]
            baseline = run_child("baseline", env, extra)
    finally:
        server.stop()
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        admin.close()
    result = {
        "ratings": args.ratings,
        "cores": os.cpu_count(),
        "budget": {"seconds": BUDGET_S, "peak_rss_mb": BUDGET_MB},
        "ours": ours,
        "baseline": baseline,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print_table(result)
    return 0


def print_table(result: dict[str, Any]) -> None:
    ours, baseline = result["ours"], result["baseline"]
    rows = [
        ("ETL (ours): raw CSV -> catalog + Parquet + npz", ours["etl_s"], ours["etl_peak_rss_mb"]),
    ]
    if "train_s" in ours:
        rows.append(("training (streamcat_train)", ours["train_s"], ours["train_peak_rss_mb"]))
        rows.append(
            (
                "ETL + training",
                ours["etl_s"] + ours["train_s"],
                max(ours["etl_peak_rss_mb"], ours["train_peak_rss_mb"]),
            )
        )
    if baseline:
        rows.append(
            (
                "baseline: read_csv + executemany (extrapolated)",
                baseline["total_s"],
                baseline["peak_rss_mb"],
            )
        )
    print(f"{'what':52} {'seconds':>9} {'peak MB':>9}")
    for name, seconds, mb in rows:
        print(f"{name:52} {seconds:9.2f} {mb:9.0f}")
    print(
        f"budget: {BUDGET_S:.0f} s, {BUDGET_MB} MB; steps: "
        + ", ".join(f"{k} {v:.2f}" for k, v in ours["steps_s"].items())
    )


if __name__ == "__main__":
    sys.exit(main())
