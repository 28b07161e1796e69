"""`make run`: the whole stack on this machine, no AWS account and no Docker.

PostgreSQL (DATABASE_URL, else the project's own server with TLS), and a moto server on
loopback holding what template.yaml declares: the bucket and its notifications, the queues, the
database logins in Secrets Manager, the EMR Serverless application and every function's role and
the Spark job's, with IAM enforced. Every function runs in containers of its own with its role's
credentials; the event source mappings, the HTTP API, and the Spark job runs with the EventBridge
rule their completion triggers (local.emr_serverless) are played as the template declares them.
The data is uploaded to `raw/` as the deployer, which triggers the ETL exactly as S3 does in the
cloud (the ETL is never called directly); once loaded, the API is served until Ctrl-C or SIGTERM.
"""

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local import docker_proxy, postgres, s3
from local.api_gateway import ApiGateway, http_routes
from local.cloud import STATE_FILE, DatabaseLogin, LocalCloud, provision
from local.emr_serverless import JobRunner
from local.functions import (
    FunctionPool,
    container_environment,
    declared_environment,
    function_names,
    function_spec,
)
from local.iam import client
from local.ports import HOST, bound_port, bound_socket, moto_port
from local.sam_local import docker_socket, remove_sam_files, write_sam_files
from local.template import (
    DEFAULT_TEMPLATE,
    REPO,
    LocalStack,
    TemplateError,
    load_template,
    parameter_overrides,
    resources_of_type,
)
from local.trigger import SqsTrigger, event_source_mappings
from streamcat.platforms import TITLES_FILES
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_PORT = 8000
# Warm containers per HTTP function: Lambda scales further; two keep this 2-core machine busy.
HTTP_CONCURRENCY = 2
DATA_CACHE = postgres.DEFAULT_ROOT / "data"
FULL_RATINGS = 11_000_000
RATINGS_FILES = 8
LOAD_TIMEOUT_S = 1800.0

log = logging.getLogger("local.stack")


class DataFolderError(ValueError):
    """The --data folder lacks files the load needs."""


class ApiPortError(RuntimeError):
    """The API's port is taken."""


@dataclass(frozen=True)
class DataFiles:
    titles: list[Path]
    ratings: list[Path]

    def uploads(self, layout: S3Layout) -> list[tuple[Path, str]]:
        """(file, key) pairs: titles first, so ratings match a loaded catalog."""
        return [(p, layout.titles_upload(p.name)) for p in self.titles] + [
            (p, layout.ratings_upload(p.name)) for p in self.ratings
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
    generate_once(titles_dir, "titles", _generate_titles)
    ratings_dir = cache / f"ratings-{n_ratings}"
    generate_once(ratings_dir, f"{n_ratings:,} ratings", _ratings_generator(titles_dir, n_ratings))
    return DataFiles(
        titles=[titles_dir / name for name in TITLES_FILES.values()],
        ratings=sorted(ratings_dir.glob("*.csv"), key=_numeric_first),
    )


def generate_once(folder: Path, what: str, generate: Callable[[Path], object]) -> None:
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


def wait_for_loads(triggers: list[SqsTrigger]) -> None:
    """In the data path's order: the ETL's queue drains first; the interactions it wrote are
    queued by then."""
    for trigger in triggers:
        what = trigger.name
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
                f"  WARNING: {stats.failed} failed deliveries; messages that failed their last "
                "allowed receive are in the queue's dead-letter queue (see the log above)",
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
    key = S3Layout.of(get_settings()).load_report(load_id)
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
    prefix = S3Layout.of(get_settings()).quarantine
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    errors = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".error.json")]
    for key in errors:
        detail = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        print(f"QUARANTINED {key.removesuffix('.error.json')}: {detail}", flush=True)


@dataclass(frozen=True)
class Database:
    """The server the functions reach: its DSN for the stack itself, and the login, host and
    port the functions take from Secrets Manager and their environment, with the CA that
    verifies its certificate. Without a CA (a DATABASE_URL server of the user's, no
    DB_SSL_ROOT_CERT) the functions are given DATABASE_URL instead."""

    url: str
    login: DatabaseLogin
    ca_cert: Path | None


def _database(stack: ExitStack) -> Database:
    """DATABASE_URL when set, else the own server (stopped at exit if this run started it)."""
    import psycopg2.extensions

    settings = get_settings()
    if settings.database_url:
        print("PostgreSQL: DATABASE_URL", flush=True)
        url = settings.database_url
        ca_cert = Path(settings.db_ssl_root_cert) if settings.db_ssl_root_cert else None
    else:
        server = postgres.default_server()
        was_running = postgres.running_port(server) is not None
        started = time.perf_counter()
        admin_url = postgres.ensure_server(server)
        state = "already running" if was_running else "started"
        admin = psycopg2.extensions.parse_dsn(admin_url)
        print(
            f"PostgreSQL: own server {state} at {admin['host']}:{admin['port']} in "
            f"{time.perf_counter() - started:.1f} s (data in {server.data_dir}, the "
            f"superuser's password in {server.password_path})",
            flush=True,
        )
        if not was_running:
            stack.callback(_stop_own_postgres, server)
        url, ca_cert = postgres.database_url(admin_url), server.ca_cert_path
    parts = psycopg2.extensions.parse_dsn(url)
    login = DatabaseLogin(
        host=parts.get("host", HOST),
        port=int(parts.get("port", 5432)),
        username=parts.get("user", "postgres"),
        password=parts.get("password", ""),
        dbname=parts.get("dbname", postgres.DATABASE),
    )
    return Database(url=url, login=login, ca_cert=ca_cert)


def _stop_own_postgres(server: postgres.OwnServer) -> None:
    postgres.stop_server(server)
    print(f"PostgreSQL stopped; its data stays in {server.data_dir} for the next run.", flush=True)


def _start_moto(stack: ExitStack) -> str:
    started = time.perf_counter()
    moto = s3.start_moto(moto_port())
    stack.callback(moto.stop)
    print(f"AWS: moto at {moto.endpoint} in {time.perf_counter() - started:.1f} s", flush=True)
    return moto.endpoint


def _forget_earlier_loads(database_url: str) -> None:
    """Our moto server keeps objects in memory, so it starts empty while PostgreSQL kept the
    last run's catalog and ETL ledger. The ledger would skip this run's identical uploads and
    leave S3 with no Parquet and no model: drop the project's schemas so S3 and the database
    start together and this run's uploads load afresh."""
    import psycopg2
    from psycopg2 import sql

    from streamcat.catalog import LIVE, RETIRED, STAGING
    from streamcat_etl.ledger import SCHEMA as LEDGER

    schemas = sql.SQL(", ").join(map(sql.Identifier, (LIVE, STAGING, RETIRED, LEDGER)))
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schemas))
    finally:
        connection.close()
    print("PostgreSQL: earlier catalog and ETL ledger dropped (the new S3 is empty)", flush=True)


def local_overrides(cloud: LocalCloud, database: Database) -> dict[str, str]:
    """What differs from the cloud for every function: the endpoint of the local AWS, the
    server's port and CA (or, without a CA, the DSN itself), and no X-Ray."""
    overrides = {
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_ENDPOINT_URL_S3": cloud.endpoint_url,
        "AWS_REGION": cloud.region,
        "AWS_DEFAULT_REGION": cloud.region,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "DB_PORT": str(database.login.port),
        "DB_NAME": database.login.dbname,
        "DATABASE_URL": "" if database.ca_cert else database.url,
    }
    if database.ca_cert is not None:
        overrides["DB_SSL_ROOT_CERT"] = str(database.ca_cert)
    return overrides


def function_pools(
    stack: ExitStack, cloud: LocalCloud, local_stack: LocalStack
) -> dict[str, FunctionPool]:
    """Every function as containers with its own role's credentials and its environment from
    the template; the mappings' functions as many as their maximum concurrency."""
    concurrency = {
        m.function: m.settings.maximum_concurrency for m in event_source_mappings(local_stack)
    }
    pools = {}
    for name in function_names(local_stack.template):
        spec = function_spec(local_stack.template, name, REPO)
        variables = {
            **declared_environment(spec, local_stack),
            **cloud.function_overrides,
            **cloud.functions[name].environment(),
        }
        environment = container_environment(spec, variables)
        pools[name] = FunctionPool(spec, environment, concurrency.get(name, HTTP_CONCURRENCY))
        stack.callback(pools[name].close)
    return pools


def start_triggers(
    stack: ExitStack, cloud: LocalCloud, local_stack: LocalStack, pools: dict[str, FunctionPool]
) -> list[SqsTrigger]:
    """One trigger per event source mapping, polling with its function's role, in the order
    of the data path (a queue fed by another function's output comes after it)."""
    versions = s3.version_lookup(client("s3", cloud.endpoint_url, cloud.region, cloud.deployer))
    triggers = []
    for mapping in event_source_mappings(local_stack):
        sqs = client("sqs", cloud.endpoint_url, cloud.region, cloud.functions[mapping.function])
        trigger = SqsTrigger(
            cloud.resources[mapping.queue]["Ref"],
            pools[mapping.function].invoke,
            sqs=sqs,
            region=cloud.region,
            name=mapping.function,
            body_transform=s3.GenuineS3Events(versions),
            settings=mapping.settings,
        )
        stack.callback(trigger.stop)
        triggers.append(trigger.start())
    return triggers


def start_job_runner(
    stack: ExitStack, cloud: LocalCloud, local_stack: LocalStack, pools: dict[str, FunctionPool]
) -> JobRunner | None:
    """The job runs of the template's EMR Serverless application, run on this machine (each in
    a scratch folder removed at exit); None when the template has no application."""
    if not resources_of_type(local_stack.template, "AWS::EMRServerless::Application"):
        return None
    workdir = Path(tempfile.mkdtemp(prefix="streamcat-emr-serverless-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    functions = {name: pool.invoke for name, pool in pools.items()}
    memory = get_settings().spark_local_driver_memory
    runner = JobRunner(cloud, local_stack, functions, workdir, memory)
    stack.callback(runner.stop)
    return runner.start()


def wait_for_jobs(runner: JobRunner) -> None:
    """After the queues: the Spark job runs a training started, and their completion."""
    runner.wait_until_idle(LOAD_TIMEOUT_S)
    for run in runner.finished:
        print(
            f"  Spark job run {run.job_run_id} ({run.name}): {run.state} in {run.seconds:.1f} s, "
            f"spark-submit peak {run.peak_rss_mb:,.0f} MB",
            flush=True,
        )


def api_socket(stack: ExitStack, port: int) -> socket.socket:
    """The API's port, bound before anything starts: a taken one fails at once, and with 0 the
    kernel's choice is known before the state file names it. uvicorn listens on it once the
    API serves: until then a connection is refused, not left waiting for the load to end."""
    try:
        listener = bound_socket(port)
    except OSError as error:
        raise ApiPortError(
            f"cannot serve the API on {HOST}:{port}: {error.strerror} (another local stack "
            "running? `make run PORT=<port>`, or 0 for any free one)"
        ) from error
    stack.callback(listener.close)
    return listener


def serve(app: ApiGateway, listener: socket.socket) -> None:
    """Serve until Ctrl-C or SIGTERM (uvicorn handles both and shuts down gracefully)."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=[listener])


def _stop_on_sigterm() -> None:
    """SIGTERM (a `kill`, a service manager, or the kernel when make goes) unwinds like Ctrl-C,
    so every server and container this run started is stopped; uvicorn takes the signal over
    while serving and returns, which unwinds the same way."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _stop_with_the_parent() -> None:
    """`make run` passes no signal on: a SIGTERM to make ends make alone. On Linux the kernel
    then tells this process (PR_SET_PDEATHSIG), which stops as on its own SIGTERM."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent went before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def run(
    data: Path | None,
    n_ratings: int,
    port: int,
    upload_data: bool = True,
    state: Path = STATE_FILE,
    template_path: Path = DEFAULT_TEMPLATE,
    parameters: Mapping[str, str] | None = None,
) -> None:
    """Provision, load (unless `upload_data` is off: then whoever holds `state` uploads), serve.
    `parameters` override the template's defaults."""
    files = find_data(data) if data else None
    _stop_on_sigterm()
    _stop_with_the_parent()
    template = load_template(template_path)
    with ExitStack() as stack:
        listener = api_socket(stack, port)
        port = bound_port(listener)
        database = _database(stack)
        endpoint = _start_moto(stack)
        _forget_earlier_loads(database.url)
        region = get_settings().aws_region
        cloud = _for_this_machine(
            provision(template, endpoint, region, database.login, parameters), database, port
        )
        cloud.save(state)
        stack.callback(state.unlink, missing_ok=True)
        write_sam_files(cloud, template, state)
        stack.callback(remove_sam_files, state)
        if sys.platform == "linux":
            _serve_docker_proxy(stack, docker_socket(state))
        print(
            f"Provisioned from template.yaml with IAM enforced; outputs: {cloud.outputs}",
            flush=True,
        )
        local_stack = cloud.stack(template)
        pools = function_pools(stack, cloud, local_stack)
        triggers = start_triggers(stack, cloud, local_stack, pools)
        jobs = start_job_runner(stack, cloud, local_stack, pools)
        if upload_data:
            _load(cloud, files or generated_data(n_ratings), triggers, jobs, database.url, port)
        functions = {name: pool.invoke for name, pool in pools.items()}
        serve(ApiGateway(http_routes(local_stack), functions, local_stack.account_id), listener)
        print("Shutting down ...", flush=True)


def _serve_docker_proxy(stack: ExitStack, path: Path) -> None:
    """The socket `sam local invoke` creates its containers through on Linux, forwarding to
    the user's daemon; the stack runs without it (SAM then fails to reach it, saying so)."""
    upstream = docker_proxy.user_docker_host()
    try:
        stack.enter_context(docker_proxy.serving(path, upstream))
    except (docker_proxy.DockerProxyError, OSError) as error:
        print(f"sam local invoke: no Docker socket at {path}: {error}", flush=True)
        return
    print(
        f"sam local invoke: DOCKER_HOST=unix://{path} (forwards to {upstream}; "
        "docs/sam-local-invoke.md)",
        flush=True,
    )


def _load(
    cloud: LocalCloud,
    files: DataFiles,
    triggers: list[SqsTrigger],
    jobs: JobRunner | None,
    database_url: str,
    port: int,
) -> None:
    """Upload as the deployer and wait until the data path has run to the end."""
    bucket = cloud.outputs["DataBucketName"]
    layout = S3Layout.of(get_settings())
    deployer_s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
    print(f"Uploading to s3://{bucket}/{layout.raw} ...", flush=True)
    upload(deployer_s3, bucket, files.uploads(layout))
    wait_for_loads(triggers)
    if jobs is not None:
        wait_for_jobs(jobs)
    print_summary(deployer_s3, bucket, database_url, port)


def _for_this_machine(cloud: LocalCloud, database: Database, port: int) -> LocalCloud:
    """The functions' local settings, and the API's output naming the local gateway rather
    than an execute-api host."""
    return replace(
        cloud,
        outputs={**cloud.outputs, "ApiUrl": f"http://{HOST}:{port}/"},
        function_overrides=local_overrides(cloud, database),
    )


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
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="0 for any free one; default %(default)s"
    )
    parser.add_argument(
        "--no-upload",
        dest="upload",
        action="store_false",
        help="provision and serve without uploading data (the end-to-end tests upload their own)",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=DEFAULT_TEMPLATE,
        help="the SAM template whose resources and roles to play (default %(default)s)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=STATE_FILE,
        help="where to write the stack's outputs and credentials (default %(default)s)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="template parameters, as sam deploy takes them (SparkTrainingThreshold=0 trains "
        "every upload on Spark)",
    )
    args = parser.parse_args(argv)
    if args.ratings < 1:
        parser.error("--ratings must be positive")
    try:
        parameters = parameter_overrides(load_template(args.template), args.parameter_overrides)
    except TemplateError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        run(
            args.data,
            args.ratings,
            args.port,
            upload_data=args.upload,
            state=args.state,
            template_path=args.template,
            parameters=parameters,
        )
    except (DataFolderError, ApiPortError, postgres.PostgresError, s3.LocalS3Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
