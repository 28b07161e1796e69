"""`local.invoke` and a running stack: `make invoke` finds the stack its state file names; the
invoke tests leave a developer's stack alone (with `make run` up, its state file where
`make invoke` finds it by default, tests/infrastructure/test_invoke_local.py passes and the
stack keeps its catalog, its load reports, the objects of its bucket and its database)."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from local import invoke
from local.iam import client
from local.postgres import OwnServer
from local.stack_process import StackProcess, running_stack
from local.template import load_template
from streamcat.platforms import TITLES_FILES, Platform
from tests.support.etl import titles_csv
from tests.support.local import REPO, provisioned_cloud, stack_environment
from tests.support.samples import sample_ratings, sample_titles
from tests.support.statement_log import log_end

PROJECT = ("local", "layers", "etl", "functions", "tests", "events")
PROJECT_FILES = ("template.yaml", "env.json", "pyproject.toml")
INVOKE_TESTS = "tests/infrastructure/test_invoke_local.py"
INVOKE_TESTS_TIMEOUT_S = 300.0


def test_make_invoke_finds_the_stack_its_state_file_names(tmp_path: Path) -> None:
    state = tmp_path / "stack.json"
    with provisioned_cloud() as cloud:
        cloud.save(state)

        assert invoke.running_stack(state) == cloud

    assert invoke.running_stack(state) is None, "its server is gone"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """The project copied where its `.local/` is nobody's but this test's: a stack started in
    the copy writes its state file where the copy's `make invoke` looks by default."""
    copy = tmp_path / "repository"
    for folder in PROJECT:
        shutil.copytree(REPO / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, copy / name)
    return copy


def _quick_batches(repository: Path, scratch: Path) -> Path:
    """The repository's template with one-second batching windows, so the stack's load takes
    seconds (JSON is YAML)."""
    template = load_template(repository / "template.yaml")
    for mapping in ("EtlEventSource", "TrainEventSource"):
        template["Resources"][mapping]["Properties"]["MaximumBatchingWindowInSeconds"] = 1
    path = scratch / "template.yaml"
    path.write_text(json.dumps(template))
    return path


def _data_folder(root: Path) -> Path:
    """What the sample events name (Netflix's titles, `ratings/1.csv`), the other platforms'
    titles one row each."""
    (root / "titles").mkdir(parents=True)
    for platform, name in TITLES_FILES.items():
        titles = sample_titles() if platform is Platform.NETFLIX else titles_csv("s1")
        (root / "titles" / name).write_bytes(titles)
    (root / "ratings").mkdir()
    (root / "ratings" / "1.csv").write_bytes(sample_ratings())
    return root


@dataclass(frozen=True)
class StackContents:
    """What a developer's stack holds: its catalog versions (number, load id), its load
    reports, every object version of its bucket, and every table's rows."""

    catalog: list[tuple[int, str]]
    reports: list[str]
    objects: list[tuple[str, str, str]]
    tables: dict[str, tuple[int, str]]


def _contents(stack: StackProcess, url: str) -> StackContents:
    objects = _bucket_objects(stack)
    return StackContents(
        catalog=_catalog_versions(url),
        reports=[key for key, _, _ in objects if key.startswith("reports/")],
        objects=objects,
        tables=_tables(url),
    )


def _bucket_objects(stack: StackProcess) -> list[tuple[str, str, str]]:
    """Every version of every object (and every delete marker): any write shows."""
    cloud = stack.cloud()
    s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
    listing = s3.list_object_versions(Bucket=cloud.outputs["DataBucketName"])
    versions = [(v["Key"], v["VersionId"], v["ETag"]) for v in listing.get("Versions", [])]
    markers = [(m["Key"], m["VersionId"], "delete") for m in listing.get("DeleteMarkers", [])]
    return sorted(versions + markers)


def _catalog_versions(url: str) -> list[tuple[int, str]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT version, load_id::text FROM catalog.meta ORDER BY version")
        rows = [(int(version), str(load_id)) for version, load_id in cursor.fetchall()]
    connection.close()
    return rows


def _tables(url: str) -> dict[str, tuple[int, str]]:
    """Every table and materialized view outside PostgreSQL's own schemas: its row count and
    a digest of its rows."""
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'm')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        )
        tables = {}
        for schema, table in cursor.fetchall():
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    " FROM {}.{} t"
                ).format(sql.Identifier(schema), sql.Identifier(table))
            )
            count, digest = cursor.fetchone() or (0, "")
            tables[f"{schema}.{table}"] = (int(count), str(digest))
    connection.close()
    return tables


def _developer_shell() -> dict[str, str]:
    """This process's environment less what its fixtures exported (the test database, the
    test moto server): what the developer's shell holds."""
    exported = ("AWS_", "DATABASE_URL")
    return {name: value for name, value in os.environ.items() if not name.startswith(exported)}


def _run_invoke_tests(repository: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", INVOKE_TESTS],
        cwd=repository,
        env=_developer_shell(),
        capture_output=True,
        text=True,
        timeout=INVOKE_TESTS_TIMEOUT_S,
        check=False,
    )


def _statements_on(server: OwnServer, url: str, since: int) -> list[str]:
    """The log entries of statements run on `url`'s database after byte `since` of the
    server's log (every statement is logged, each entry naming its database)."""
    marker = f" db={psycopg2.extensions.parse_dsn(url)['dbname']} "
    with server.log_path.open("rb") as log:
        log.seek(since)
        lines = log.read().decode(errors="replace").splitlines()
    return [line for line in lines if marker in line and "statement:" in line]


def _local_files(repository: Path) -> list[Path]:
    return sorted(path.relative_to(repository) for path in (repository / ".local").rglob("*"))


def test_the_invoke_tests_leave_a_running_stack_unchanged(
    repository: Path, own_server: OwnServer, stack_database_url: str, tmp_path: Path
) -> None:
    environment = stack_environment(stack_database_url, own_server.ca_cert_path)
    data = _data_folder(tmp_path / "data")
    template = _quick_batches(repository, tmp_path)
    default_state = repository / ".local" / "stack.json"
    arguments = ["--data", str(data), "--template", str(template)]
    with running_stack(
        arguments, environment, tmp_path, repo=repository, state=default_state
    ) as stack:
        before = _contents(stack, stack_database_url)
        assert before.catalog and before.reports, stack.log_tail()
        files_before = _local_files(repository)
        assert Path(".local/stack.json") in files_before
        start = log_end(own_server, stack_database_url)

        done = _run_invoke_tests(repository)

        assert _statements_on(own_server, stack_database_url, start) == []
        assert _contents(stack, stack_database_url) == before
        assert _local_files(repository) == files_before  # the stack's own files, nothing more
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
