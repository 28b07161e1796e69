"""`make run`: the whole stack on this machine, no AWS account and no Docker.

PostgreSQL (DATABASE_URL, else the project's own server), moto S3 + SQS on loopback provisioned
like the cloud, and the two SQS pollers standing in for the Lambda event source mappings. The
data is uploaded to `raw/`, which triggers the ETL exactly as S3 does in the cloud (the ETL is
never called directly); once loaded, the API is served until Ctrl-C.
"""

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local import postgres, s3
from local.server import DEFAULT_PORT, HOST
from local.trigger import SqsTrigger, TriggerSettings
from streamcat.platforms import TITLES_FILES
from streamcat.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ETL_HANDLER = "streamcat_etl.handler.lambda_handler"
TRAIN_HANDLER = "streamcat_train.handler.lambda_handler"
DATA_CACHE = postgres.DEFAULT_ROOT / "data"
FULL_RATINGS = 11_000_000
RATINGS_FILES = 8
LOAD_TIMEOUT_S = 1800.0
# The uploads come one after another: a window of a few seconds lets the ETL take several in one
# invocation, as a MaximumBatchingWindowInSeconds does in the cloud.
TRIGGER_SETTINGS = TriggerSettings(batching_window_s=3.0)

log = logging.getLogger("local.stack")


class DataFolderError(ValueError):
    """The --data folder lacks files the load needs."""


@dataclass(frozen=True)
class DataFiles:
    titles: list[Path]
    ratings: list[Path]

    def uploads(self, raw_prefix: str) -> list[tuple[Path, str]]:
        """(file, key) pairs: titles first, so ratings match a loaded catalog."""
        return [(p, f"{raw_prefix}titles/{p.name}") for p in self.titles] + [
            (p, f"{raw_prefix}ratings/{p.name}") for p in self.ratings
        ]


def find_data(folder: Path) -> DataFiles:
    """The four titles CSVs (in `folder` or `folder/titles`) and `folder/ratings/*.csv`."""
    if not folder.is_dir():
        raise DataFolderError(f"--data {folder}: not a folder")
    titles, missing = [], []
    for name in TITLES_FILES.values():
        found = next((p for p in (folder / name, folder / "titles" / name) if p.is_file()), None)
        if found is None:
            missing.append(f"{name} (looked in {folder} and {folder / 'titles'})")
        else:
            titles.append(found)
    ratings = sorted((folder / "ratings").glob("*.csv"), key=_numeric_first)
    if not ratings:
        missing.append(f"ratings/*.csv (no CSV file in {folder / 'ratings'})")
    if missing:
        raise DataFolderError(f"--data {folder} is missing: " + "; ".join(missing))
    return DataFiles(titles=titles, ratings=ratings)


def _numeric_first(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (sys.maxsize, path.stem)


def generated_data(n_ratings: int, cache: Path = DATA_CACHE) -> DataFiles:
    """The seeded default data, generated once into `cache` and reused by later runs."""
    titles_dir = cache / "titles"
    _generate_once(titles_dir, "titles", _generate_titles)
    ratings_dir = cache / f"ratings-{n_ratings}"
    _generate_once(ratings_dir, f"{n_ratings:,} ratings", _ratings_generator(titles_dir, n_ratings))
    return DataFiles(
        titles=[titles_dir / name for name in TITLES_FILES.values()],
        ratings=sorted(ratings_dir.glob("*.csv"), key=_numeric_first),
    )


def _generate_once(folder: Path, what: str, generate: Callable[[Path], object]) -> None:
    """A `.complete` marker makes an interrupted generation start over, never half-reused."""
    marker = folder / ".complete"
    if marker.exists():
        print(f"Using cached {what} in {folder}", flush=True)
        return
    print(f"Generating {what} into {folder} ...", flush=True)
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    generate(folder)
    marker.touch()
    print(f"Generated {what} in {time.perf_counter() - started:.1f} s", flush=True)


def _generate_titles(folder: Path) -> None:
    from local.titles_generator import generate_catalogs

    generate_catalogs(folder)


def _ratings_generator(titles_dir: Path, n_ratings: int) -> Callable[[Path], object]:
    def generate(folder: Path) -> None:
        from local.ratings_generator import generate_ratings

        generate_ratings(titles_dir, folder, n_ratings=n_ratings, n_files=RATINGS_FILES)

    return generate


def upload(client: "S3Client", bucket: str, uploads: list[tuple[Path, str]]) -> None:
    total = sum(path.stat().st_size for path, _ in uploads)
    done = 0
    started = time.perf_counter()
    for path, key in uploads:
        client.upload_file(str(path), bucket, key)
        done += path.stat().st_size
        print(
            f"  uploaded s3://{bucket}/{key} ({_mb(path.stat().st_size)}; "
            f"{_mb(done)} of {_mb(total)}, {time.perf_counter() - started:.1f} s)",
            flush=True,
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def wait_for_loads(etl: SqsTrigger, training: SqsTrigger) -> None:
    """The ETL's queue drains first; the interactions it wrote are queued by then."""
    for trigger, what in ((etl, "ETL"), (training, "model training")):
        print(f"Waiting for the {what} ({trigger.queue_name}) ...", flush=True)
        started = time.perf_counter()
        trigger.wait_until_idle(LOAD_TIMEOUT_S)
        stats = trigger.stats
        print(
            f"  {what} done in {time.perf_counter() - started:.1f} s: {stats.batches} "
            f"invocations, {stats.handled} messages handled, {stats.failed} failed",
            flush=True,
        )
        if stats.failed:
            print(
                f"  WARNING: {stats.failed} failed deliveries; messages that failed "
                f"{s3.MAX_RECEIVE_COUNT} times are in {trigger.queue_name}-dlq (see the log above)",
                flush=True,
            )


def print_summary(client: "S3Client", bucket: str, database_url: str, port: int) -> None:
    version = _catalog_version(database_url)
    if version is None:
        print("No catalog is loaded (see the ETL log above); the API answers 503.", flush=True)
    else:
        number, load_id = version
        print(f"Catalog version {number} (load {load_id})", flush=True)
        _print_report(client, bucket, load_id)
    _print_quarantine(client, bucket)
    print(
        f"\nAPI: http://{HOST}:{port}/docs  (OpenAPI: http://{HOST}:{port}/openapi.json, "
        f"health: http://{HOST}:{port}/health). Ctrl-C stops the stack.",
        flush=True,
    )


def _catalog_version(database_url: str) -> tuple[int, str] | None:
    import psycopg2

    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('catalog.meta') IS NOT NULL")
        row = cursor.fetchone()
        if not row or not row[0]:
            return None
        cursor.execute("SELECT version, load_id FROM catalog.meta ORDER BY version DESC LIMIT 1")
        latest = cursor.fetchone()
    connection.close()
    return (int(latest[0]), str(latest[1])) if latest else None


def _print_report(client: "S3Client", bucket: str, load_id: str) -> None:
    """The data-quality report's headline figures (its scalar fields, and sizes of the rest)."""
    key = f"{get_settings().reports_prefix}loads/{load_id}.json"
    try:
        report = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    except client.exceptions.NoSuchKey:
        print(f"  (no data-quality report at s3://{bucket}/{key})", flush=True)
        return
    print(f"Data-quality report (s3://{bucket}/{key}):", flush=True)
    for name, value in _headlines(report):
        print(f"  {name}: {value}", flush=True)


def _headlines(report: Any, prefix: str = "") -> list[tuple[str, str]]:
    if not isinstance(report, dict):
        return [(prefix or "report", str(report))]
    lines: list[tuple[str, str]] = []
    for name, value in report.items():
        if isinstance(value, dict) and not prefix:
            lines.extend(_headlines(value, f"{name}."))
        elif isinstance(value, dict | list):
            lines.append((f"{prefix}{name}", f"{len(value)} entries"))
        else:
            lines.append((f"{prefix}{name}", str(value)))
    return lines


def _print_quarantine(client: "S3Client", bucket: str) -> None:
    prefix = get_settings().quarantine_prefix
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    errors = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".error.json")]
    for key in errors:
        detail = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        print(f"QUARANTINED {key.removesuffix('.error.json')}: {detail}", flush=True)


def _database(stack: ExitStack) -> str:
    """DATABASE_URL when set, else the own server (stopped at exit if this run started it)."""
    configured: str | None = get_settings().database_url
    if configured:
        print("PostgreSQL: DATABASE_URL", flush=True)
        return configured
    server = postgres.default_server()
    was_running = postgres.running_port(server) is not None
    started = time.perf_counter()
    admin_url = postgres.ensure_server(server)
    state = "already running" if was_running else "started"
    print(
        f"PostgreSQL: own server {state} at {admin_url} in {time.perf_counter() - started:.1f} s "
        f"(data in {server.data_dir})",
        flush=True,
    )
    if not was_running:
        stack.callback(_stop_own_postgres, server)
    return postgres.database_url(admin_url)


def _stop_own_postgres(server: postgres.OwnServer) -> None:
    postgres.stop_server(server)
    print(f"PostgreSQL stopped; its data stays in {server.data_dir} for the next run.", flush=True)


def _s3_endpoint(stack: ExitStack) -> tuple[str, bool]:
    """A moto server of our own, or the loopback endpoint AWS_ENDPOINT_URL already names;
    and whether it is our own (new, so empty)."""
    settings = get_settings()
    configured: str | None = settings.aws_endpoint_url
    if configured:
        if not s3.is_local_endpoint(configured):
            raise s3.LocalS3Error(
                f"AWS_ENDPOINT_URL={configured} is not local: the local stack never changes "
                "real AWS resources (unset it, or deploy with `sam deploy`)"
            )
        print(f"S3/SQS: {configured} (AWS_ENDPOINT_URL)", flush=True)
        return configured, False
    started = time.perf_counter()
    moto = s3.start_moto(settings.local_s3_port)
    stack.callback(moto.stop)
    print(f"S3/SQS: moto at {moto.endpoint} in {time.perf_counter() - started:.1f} s", flush=True)
    return moto.endpoint, True


def _forget_earlier_loads(database_url: str) -> None:
    """Our moto server keeps objects in memory, so it starts empty while PostgreSQL kept the
    last run's catalog and ETL ledger. The ledger would skip this run's identical uploads and
    leave S3 with no Parquet and no model: drop the project's schemas so S3 and the database
    start together and this run's uploads load afresh."""
    import psycopg2
    from psycopg2 import sql

    from streamcat_etl.catalog_store import LIVE, RETIRED, STAGING
    from streamcat_etl.ledger import SCHEMA as LEDGER

    schemas = sql.SQL(", ").join(map(sql.Identifier, (LIVE, STAGING, RETIRED, LEDGER)))
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schemas))
    finally:
        connection.close()
    print("PostgreSQL: earlier catalog and ETL ledger dropped (the new S3 is empty)", flush=True)


def _start_trigger(stack: ExitStack, queue: s3.Queue, handler: str, endpoint: str) -> SqsTrigger:
    trigger = SqsTrigger(
        queue.url,
        handler,
        endpoint_url=endpoint,
        region=get_settings().aws_region,
        body_transform=s3.GenuineS3Events(),
        settings=TRIGGER_SETTINGS,
    )
    stack.callback(trigger.stop)
    return trigger.start()


def run(data: Path | None, n_ratings: int, port: int) -> None:
    files = find_data(data) if data else None
    with ExitStack() as stack:
        database_url = _database(stack)
        endpoint, own_s3 = _s3_endpoint(stack)
        if own_s3:
            _forget_earlier_loads(database_url)
        settings = get_settings()
        bucket, region = settings.data_bucket, settings.aws_region
        s3.apply_environment(
            {**s3.local_environment(endpoint, bucket, region), "DATABASE_URL": database_url}
        )
        queues = s3.provision(bucket, settings.raw_prefix, endpoint, region)
        etl = _start_trigger(stack, queues.raw_uploads, ETL_HANDLER, endpoint)
        training = _start_trigger(stack, queues.interactions, TRAIN_HANDLER, endpoint)
        files = files or generated_data(n_ratings)
        from streamcat.storage import s3_client

        print(f"Uploading to s3://{bucket}/{settings.raw_prefix} ...", flush=True)
        upload(s3_client(), bucket, files.uploads(settings.raw_prefix))
        wait_for_loads(etl, training)
        print_summary(s3_client(), bucket, database_url, port)
        from local.server import serve

        serve(port)
        print("Shutting down ...", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.stack", description=__doc__)
    parser.add_argument(
        "--data",
        type=Path,
        help="folder with the four titles CSVs (or titles/) and ratings/*.csv; "
        "default: generated seeded data, cached under .local/data/",
    )
    parser.add_argument(
        "--ratings",
        type=int,
        default=FULL_RATINGS,
        help="ratings to generate when --data is not given (default %(default)s)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    args = parser.parse_args(argv)
    if args.ratings < 1:
        parser.error("--ratings must be positive")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        run(args.data, args.ratings, args.port)
    except (DataFolderError, postgres.PostgresError, s3.LocalS3Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
