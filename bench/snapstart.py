"""SnapStart: every HTTP function's cold init and its restore, from the built package, with the
production start-up work on.

Each function runs from `sam build`'s output (`make build-host`) in a fresh interpreter that
imports nothing else, with what a real container does at start: X-Ray tracing on, the database
login from Secrets Manager (moto) and a `verify-full` TLS connection to a PostgreSQL server of
the run's own; recommendations serves the full-scale model. Per function, the median of `--runs`
of the cold init (first line to first answer) and of the restore (a fork of a process that ran
the before-snapshot hooks, to the first answer, its credentials from a container endpoint as
SnapStart gives them). Beside each seed query's cold init, in the same run: the seed's app as
the seed ran it (bench.queries: the development venv, no tracing, DATABASE_URL).
"""

import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.budgets import SNAPSTART_MS
from bench.harness import REPO, arguments, run_json, spread, write_out

BUILD_DIR = REPO / ".aws-sam" / "test-x86_64" / "build"
HARNESS = REPO / "local" / "snapstart.py"
# The event each function answers; the query functions' are events/<name>.json.
EVENTS = {"docs": "docs_health.json"}
TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793"
CONTAINER_TOKEN = "bench-container-token"  # noqa: S105 (a local stand-in, no secret)


@contextmanager
def production_like_backends(scratch: Path) -> Iterator[dict[str, str]]:
    """A PostgreSQL server of this run (TLS, a catalog loaded), a moto server holding the
    login secret and the model: the environment a function's container gets, tracing on."""
    from bench.queries import ensure_catalog
    from bench.recommendations import bench_event, full_model, publish
    from local.postgres import OwnServer, database_url, ensure_server, stop_server
    from local.s3 import apply_environment, local_environment, start_moto

    server = OwnServer(root=scratch / "postgres", port=0)
    moto = start_moto()
    try:
        url = database_url(ensure_server(server))
        ensure_catalog(url)
        # The seed's probe (bench.queries) reads DATABASE_URL, as the seed did.
        apply_environment({"DATABASE_URL": url})
        apply_environment(local_environment(moto.endpoint, "streamcat-bench", "us-east-1"))
        publish(full_model()[0])
        (scratch / "recommendations.json").write_text(json.dumps(bench_event()))
        yield {
            **local_environment(moto.endpoint, "streamcat-bench", "us-east-1"),
            **secret_environment(url, server.ca_cert_path),
            "PATH": os.environ.get("PATH", ""),
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            # The invocation's trace header, as Lambda sets it: the tracer records subsegments.
            "_X_AMZN_TRACE_ID": f"Root={TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1",
        }
    finally:
        moto.stop()
        stop_server(server)


@contextmanager
def container_credentials() -> Iterator[dict[str, str]]:
    """SnapStart's credentials: not in the environment but at an endpoint asked with a token
    (streamcat.aws), here one on loopback handing out moto's fake keys."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from local.s3 import FAKE_CREDENTIALS

    class Endpoint(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            allowed = self.headers.get("Authorization") == CONTAINER_TOKEN
            keys = {
                "AccessKeyId": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "SecretAccessKey": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                "Token": "bench-session",
            }
            self.send_response(200 if allowed else 403)
            self.end_headers()
            self.wfile.write(json.dumps(keys if allowed else {}).encode())

        def log_message(self, *_: object) -> None:
            """Quiet: one line per request would drown the report."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.server_port}/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": CONTAINER_TOKEN,
        }
    finally:
        server.shutdown()
        server.server_close()


def secret_environment(url: str, ca_cert: Path) -> dict[str, str]:
    """The cloud's database settings: the login in Secrets Manager, the host and its CA."""
    import boto3
    import psycopg2.extensions

    dsn = psycopg2.extensions.parse_dsn(url)
    secret = boto3.client("secretsmanager").create_secret(
        Name="streamcat-bench-reader",
        SecretString=json.dumps({"username": dsn["user"], "password": dsn["password"]}),
    )
    return {
        "DATABASE_URL": "",
        "DB_SECRET_ARN": secret["ARN"],
        "DB_HOST": dsn["host"],
        "DB_PORT": dsn["port"],
        "DB_NAME": dsn["dbname"],
        "DB_SSL_ROOT_CERT": str(ca_cert),
    }


def run_harness(
    mode: str,
    paths: list[Path],
    event: Path,
    env: dict[str, str],
    *options: str,
    timeout: float | None = None,
) -> dict[str, Any]:
    """local/snapstart.py on a built function (`paths`: its code, layers and runtime), in an
    interpreter that imports nothing else, as Lambda's does: its report of the run."""
    command = [sys.executable, "-I", "-S", str(HARNESS), "--mode", mode, "--event", str(event)]
    command += [*options, *(arg for path in paths for arg in ("--path", str(path)))]
    return run_json(command, f"{mode} of {paths[0].name}", cwd=paths[0], env=env, timeout=timeout)


def probe(mode: str, paths: list[Path], event: Path, env: dict[str, str]) -> float:
    """One fresh interpreter: the cold init or the restore, in milliseconds."""
    report = run_harness(mode, paths, event, env, timeout=120)
    answer = report if mode == "cold" else report["children"][0]
    if answer.get("status") != 200:
        raise RuntimeError(f"{mode} of {paths[0].name} answered {answer}")
    return float(answer["cold_ms"] if mode == "cold" else answer["restore_ms"])


def measure(build_dir: Path, runs: int) -> dict[str, Any]:
    """Every HTTP function's two figures (median, min and max over `runs`)."""
    from bench.queries import cold_start_ms
    from local.package_sizes import built_functions, runtime_stand_in
    from streamcat.api.registry import HTTP_FUNCTIONS, Kind

    built = {f.logical_id: f for f in built_functions(build_dir)}
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="snapstart-")))
        runtime = runtime_stand_in(Path(tempfile.mkdtemp(dir=scratch)))
        env = stack.enter_context(production_like_backends(scratch))
        # A cold container has its credentials in the environment; a restored one (SnapStart)
        # at the container endpoint, none in the environment.
        keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        restored = {k: v for k, v in env.items() if k not in keys}
        restored |= stack.enter_context(container_credentials())
        for http_function in HTTP_FUNCTIONS:
            name, function = http_function.name, built[http_function.logical_id]
            kind = "recommendations" if name == "recommendations" else "query"
            event = scratch / "recommendations.json" if kind == "recommendations" else None
            event = event or REPO / "events" / EVENTS.get(name, f"{name}.json")
            own = {"LAMBDA_TASK_ROOT": str(function.code_dir), "POWERTOOLS_SERVICE_NAME": name}
            figures = {}
            for mode, label, base in (("cold", "cold init", env), ("restore", "restore", restored)):
                paths, environment = [*function.import_paths, runtime], base | own
                timings = [probe(mode, paths, event, environment) for _ in range(runs)]
                figures[label] = spread(timings, "median_ms", "min_ms", "max_ms")
                figures[label]["budget_ms"] = SNAPSTART_MS[kind][label]
            if http_function.kind is Kind.SEED_QUERY:
                # The same run's baseline: the seed's app, measured as the seed measured it (the
                # development venv, no tracing, DATABASE_URL, no secret, no TLS).
                seed_event = REPO / "events" / f"{name}_alias.json"
                seed = cold_start_ms("seed", name, seed_event, runs)
                figures["cold init"]["seed_ms"] = seed["cold_ms"]
            results[name] = figures
    return {"runs": runs, "build_dir": str(build_dir), "functions": results}


def main(argv: list[str] | None = None) -> int:
    args = arguments("snapstart", __doc__, argv, runs=5)
    return write_out(args.out, measure(BUILD_DIR, args.runs))


if __name__ == "__main__":
    sys.exit(main())
