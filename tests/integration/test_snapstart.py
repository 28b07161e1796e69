"""SnapStart's runtime hooks, through a simulated snapshot and restore (local/snapstart.py): a
function answers, runs its before-snapshot hooks, and is forked (the restores) while the world
changes (the secret rotated, a newer model published, a new credentials token in the restore's
environment); each child runs the after-restore hooks and answers. The database is the own
server (TLS, the login read from moto's Secrets Manager)."""

import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from bench.snapstart import HARNESS
from local.catalog_fixtures import create_catalog
from local.handlers import EVENTS_DIR, FUNCTIONS_DIR
from local.postgres import OwnServer
from local.s3 import FAKE_CREDENTIALS
from streamcat.recommend.store import get_store
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from tests.support.catalog import known_titles
from tests.support.cloud import emptied_bucket
from tests.support.http import serving
from tests.support.recommend import SAMPLE_TITLES, model_document, publish


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """The data bucket, empty, beside the secrets in the plain moto of `s3_endpoint`, not the
    template's cloud: the credentials endpoint below hands out moto's default keys, which IAM
    there would refuse, and these tests are of SnapStart's hooks, not of S3."""
    return emptied_bucket(s3_client(), get_settings().data_bucket)


@pytest.fixture
def secret_login(
    database_url: str, admin_url: str, own_server: OwnServer, s3_endpoint: str
) -> Iterator[dict[str, str]]:
    """The cloud's environment for a function (the login in Secrets Manager, TLS verified), a
    loaded catalog, and a second login the secret can be rotated to."""
    create_catalog(database_url, known_titles(), version=9, load_id="known")
    dsn = psycopg2.extensions.parse_dsn(database_url)
    rotated = f"snapstart_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(rotated)))
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"streamcat-snapstart-{rotated}",
        SecretString=json.dumps({"username": dsn["user"], "password": dsn["password"]}),
    )
    environment = {
        **os.environ,
        "DATABASE_URL": "",
        "DB_SECRET_ARN": secret["ARN"],
        "DB_HOST": dsn["host"],
        "DB_PORT": dsn["port"],
        "DB_NAME": dsn["dbname"],
        "DB_SSL_ROOT_CERT": str(own_server.ca_cert_path),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "ROTATED_USER": rotated,
        "FIRST_USER": dsn["user"],
    }
    try:
        yield environment
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (rotated,),
            )
            cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(rotated)))
        admin.close()


@dataclass
class CredentialsEndpoint:
    """A container credentials endpoint: moto's keys to the one token it accepts; every call's
    path and Authorization header recorded."""

    base_url: str
    token: str
    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, str]]:
        self.calls.append((path, authorization))
        if authorization != self.token:
            return 403, {}
        return 200, {
            "AccessKeyId": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "SecretAccessKey": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "Token": "container-session",
        }


@pytest.fixture
def credentials_endpoint() -> Iterator[CredentialsEndpoint]:
    """A `CredentialsEndpoint` on loopback, accepting `token-a` until a test says otherwise."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = endpoint.answer(self.path, self.headers.get("Authorization"))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *_: object) -> None:
            """Quiet: one line per request on stderr."""

    with serving(Handler) as port:
        endpoint = CredentialsEndpoint(f"http://127.0.0.1:{port}", "token-a")
        yield endpoint


def snapshot_and_restore(
    function: str,
    event: Path,
    environment: dict[str, str],
    while_cached: Callable[[], None],
    children: int = 2,
    warm_parent: bool = True,
    restored_environment: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The harness on `function`: it answers once (unless not `warm_parent`), runs the
    before-snapshot hooks, waits while `while_cached` changes the world, then restores
    `children` times, each with `restored_environment` over the snapshot's."""
    process = subprocess.Popen(
        [
            *(sys.executable, str(HARNESS), "--mode", "restore", "--event", str(event)),
            *("--path", str(FUNCTIONS_DIR / function), "--pause"),
            *(["--warm-parent"] if warm_parent else []),
            *("--children", str(children)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        # Logs and metrics share stdout: the harness says `snapshot` on a line of its own.
        while (line := process.stdout.readline()) and line.strip() != "snapshot":
            pass
        assert line, "the harness ended before its snapshot"
        while_cached()
        process.stdin.write(json.dumps(restored_environment or {}) + "\n")
        process.stdin.flush()
        output, errors = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, errors[-3000:]
    report: dict[str, Any] = json.loads(output.splitlines()[-1])
    for child in report["children"]:
        assert "error" not in child, child["error"]
    return report


def rotate_to(admin_url: str, secret_arn: str, user: str) -> None:
    """A rotation to another user: it gets a new password, then the secret holds both."""
    password = secrets.token_urlsafe(16)
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(user)), (password,)
            )
    finally:
        admin.close()
    boto3.client("secretsmanager").put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps({"username": user, "password": password})
    )


def test_restored_query_functions_answer_on_their_own_connection_credentials_and_randomness(
    secret_login: dict[str, str], admin_url: str
) -> None:
    def rotate_the_secret() -> None:
        rotate_to(admin_url, secret_login["DB_SECRET_ARN"], secret_login["ROTATED_USER"])

    report = snapshot_and_restore(
        "count_platform", EVENTS_DIR / "count_platform.json", secret_login, rotate_the_secret
    )

    parent, children = report["parent"], report["children"]
    assert parent["status"] == 200 and parent["session"]["user"] == secret_login["FIRST_USER"]
    assert report["connection_open"] is False, "the snapshot must hold no connection"
    assert [child["status"] for child in children] == [200, 200]
    assert all(child["body"] == parent["body"] for child in children)
    pids = {parent["session"]["pid"], *(child["session"]["pid"] for child in children)}
    assert len(pids) == 3, "each restore opens a connection of its own"
    assert all(c["session"]["user"] == secret_login["ROTATED_USER"] for c in children), (
        "a restore reads the secret again: the one in the snapshot may have rotated"
    )
    assert children[0]["random"] != children[1]["random"], "each restore reseeds randomness"


def test_restored_recommendations_look_for_a_newer_model(
    bucket: str, secret_login: dict[str, str]
) -> None:
    get_store.cache_clear()
    publish(model_document(SAMPLE_TITLES, version=1), version=1)
    event = EVENTS_DIR / "recommendations.json"

    def publish_a_newer_model() -> None:
        publish(model_document(SAMPLE_TITLES[::-1], version=2), version=2)

    report = snapshot_and_restore(
        "recommendations", event, secret_login, publish_a_newer_model, children=1
    )

    parent, (child,) = report["parent"], report["children"]
    assert parent["status"] == 200 and child["status"] == 200
    newer = json.loads(child["body"])["recommendations"]
    assert newer != json.loads(parent["body"])["recommendations"]
    cold = subprocess.run(
        [
            *(sys.executable, str(HARNESS), "--mode", "cold", "--event", str(event)),
            *("--path", str(FUNCTIONS_DIR / "recommendations")),
        ],
        capture_output=True,
        text=True,
        env=secret_login,
        timeout=60,
        check=True,
    )
    assert newer == json.loads(json.loads(cold.stdout.splitlines()[-1])["body"])["recommendations"]


@pytest.mark.parametrize(
    ("function", "event"),
    [("count_platform", "count_platform"), ("recommendations", "recommendations")],
)
def test_a_restored_first_request_imports_nothing(
    bucket: str, secret_login: dict[str, str], function: str, event: str
) -> None:
    """What the first request would import is imported before the snapshot (the codec of host
    names, the threadpool's backend of a sync endpoint): a restore pays no import."""
    get_store.cache_clear()
    publish(model_document(SAMPLE_TITLES))

    report = snapshot_and_restore(
        function, EVENTS_DIR / f"{event}.json", secret_login, lambda: None, 1, warm_parent=False
    )

    (child,) = report["children"]
    assert child["status"] == 200, child["body"]
    assert child["imported"] == []


@pytest.mark.parametrize(
    ("function", "event"),
    [("count_platform", "count_platform"), ("recommendations", "recommendations")],
)
def test_a_restore_takes_its_credentials_from_the_endpoint_and_token_of_its_environment(
    bucket: str,
    secret_login: dict[str, str],
    credentials_endpoint: CredentialsEndpoint,
    function: str,
    event: str,
) -> None:
    """SnapStart's credentials come from the container endpoint; a restore gets another
    endpoint and token than its snapshot had, and the snapshot's token no longer works."""
    get_store.cache_clear()
    publish(model_document(SAMPLE_TITLES))
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    snapshot_environment = {
        **{name: value for name, value in secret_login.items() if name not in keys},
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{credentials_endpoint.base_url}/snapshot",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "token-a",
    }
    before_restore: list[tuple[str, str | None]] = []

    def issue_a_new_token() -> None:
        before_restore.extend(credentials_endpoint.calls)
        credentials_endpoint.calls.clear()
        credentials_endpoint.token = "token-b"

    report = snapshot_and_restore(
        function,
        EVENTS_DIR / f"{event}.json",
        snapshot_environment,
        issue_a_new_token,
        children=1,
        restored_environment={
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{credentials_endpoint.base_url}/restored",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "token-b",
        },
    )

    (child,) = report["children"]
    assert report["parent"]["status"] == 200
    assert before_restore and set(before_restore) == {("/snapshot", "token-a")}
    assert child["status"] == 200, child["body"]
    assert credentials_endpoint.calls, "the restore's request asks the endpoint"
    assert set(credentials_endpoint.calls) == {("/restored", "token-b")}
