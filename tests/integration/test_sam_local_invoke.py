"""`sam local invoke` exactly as docs/sam-local-invoke.md tells a user to run it, with the real
SAM CLI and Docker, against a local stack: PostgreSQL over TLS, and moto with IAM enforced.

Every function runs from `sam build`'s output (built natively: the Architecture parameter) with
its sample event, the `--env-vars` file and the per-function credentials profile the stack
writes (local.sam_local), and `--add-host host.docker.internal:host-gateway`; on Linux through
the Docker socket the stack serves for it (local.docker_proxy), as the Linux lines say. The
base image is the real one where it can be pulled, else a stand-in built once and kept
(tests/support/lambda_image.py).
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from local.cloud import DatabaseLogin, provision
from local.docker_proxy import serving
from local.iam import client
from local.postgres import OwnServer, fresh_database
from local.s3 import start_moto
from local.sam_local import docker_socket, sam_files, write_sam_files
from local.stack import Database, local_overrides
from local.template import load_template
from tests.support.docker_daemon import DockerDaemon, DockerUnavailableError, docker_daemon
from tests.support.lambda_image import ensure_image, lambda_arch
from tests.support.sam_build import TEMPLATE_ARCH, sam_build
from tests.support.samples import sample_ratings
from tests.support.titles import csv_bytes, title_row

pytestmark = pytest.mark.sam_local

REPO = Path(__file__).resolve().parents[2]
ARCH = lambda_arch()
LAMBDA_ARCH = {value: key for key, value in TEMPLATE_ARCH.items()}[ARCH]
# The HTTP functions' sample events, each answered 200 once the sample data is loaded.
HTTP_EVENTS = {
    "docs.json": "DocsFunction",
    "actor.json": "ActorFunction",
    "contents.json": "ContentsFunction",
    "count_platform.json": "CountPlatformFunction",
    "max_duration.json": "MaxDurationFunction",
    "prod_per_country.json": "ProdPerCountryFunction",
    "score_count.json": "ScoreCountFunction",
    "title_detail.json": "TitleDetailFunction",
    "titles.json": "TitlesFunction",
    "recommendations.json": "RecommendationsFunction",
}


def event_titles() -> bytes:
    """The sample ratings' sixteen Netflix titles (four genres, five actors), as the HTTP
    sample events ask for them: released in 2018, the first named "The Lion King"."""
    genres = ("Dramas", "Comedies", "Documentaries", "Action & Adventure")
    return csv_bytes(
        *(
            title_row(
                show_id=f"s{n}",
                title="The Lion King" if n == 1 else f"title {n}",
                release_year="2018",
                listed_in=genres[n % 4],
                cast=f"Actor {n % 5}, Actor {5 + n % 3}",
            )
            for n in range(1, 17)
        )
    )


@pytest.fixture(scope="module")
def docker() -> Iterator[DockerDaemon]:
    try:
        with docker_daemon() as daemon:
            yield daemon
    except DockerUnavailableError as reason:
        pytest.skip(f"SKIPPED: {reason}")


@dataclass(frozen=True)
class SamStack:
    """A local stack as `make run` provisions it, and the files it writes for SAM."""

    database_url: str
    env_file: Path
    credentials_file: Path
    build_dir: Path
    docker_host: str
    deployer_s3: Any

    def invoke(self, function: str, event: str, scratch: Path) -> dict[str, Any]:
        """`sam local invoke FUNCTION -e events/EVENT` as a user types it; its response."""
        command = [
            *(str(Path(sys.executable).parent / "sam"), "local", "invoke", function),
            *("-e", f"events/{event}", "--env-vars", str(self.env_file), "--profile", function),
            *("--add-host", "host.docker.internal:host-gateway"),
            *("--parameter-overrides", f"Architecture={ARCH}"),
            *("--template", str(self.build_dir / "template.yaml"), "--skip-pull-image"),
            *("--config-file", str(REPO / "samconfig.toml")),
        ]
        shell = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        done = subprocess.run(
            command,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            env={
                **shell,
                "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file),
                "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
                "DOCKER_HOST": self.docker_host,
                "SAM_CLI_TELEMETRY": "0",
            },
            check=False,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        lines = done.stdout.strip().splitlines()
        assert lines, done.stderr[-4000:]
        response: dict[str, Any] = json.loads(lines[-1])
        return response


@pytest.fixture(scope="module")
def sam_stack(
    docker: DockerDaemon,
    own_server: OwnServer,
    admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SamStack]:
    started = time.monotonic()
    obtained = ensure_image(docker.cli, ARCH)
    build_dir = sam_build(LAMBDA_ARCH)
    print(f"\nbase image {obtained}, sam build in {time.monotonic() - started:.0f} s")
    scratch = tmp_path_factory.mktemp("sam-stack")
    template = load_template()
    with fresh_database(admin_url, "streamcat_sam") as url:
        parts = psycopg2.extensions.parse_dsn(url)
        login = DatabaseLogin(
            host=parts["host"],
            port=int(parts["port"]),
            username=parts["user"],
            password=parts["password"],
            dbname=parts["dbname"],
        )
        with ExitStack() as stack:
            moto = start_moto()
            stack.callback(moto.stop)
            cloud = provision(template, moto.endpoint, "us-east-1", login)
            database = Database(url=url, login=login, ca_cert=own_server.ca_cert_path)
            cloud = replace(cloud, function_overrides=local_overrides(cloud, database))
            state = scratch / "stack.json"
            write_sam_files(cloud, template, state)
            env_file, credentials_file = sam_files(state)
            docker_host = docker.host
            if sys.platform == "linux":
                stack.enter_context(serving(docker_socket(state), docker.host))
                docker_host = f"unix://{docker_socket(state)}"
            deployer_s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
            yield SamStack(url, env_file, credentials_file, build_dir, docker_host, deployer_s3)


@pytest.fixture(scope="module")
def loaded(sam_stack: SamStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample data uploaded as the deployer, then the ETL's and the training's sample
    events through SAM, each function with its own role."""
    scratch = tmp_path_factory.mktemp("sam-invoke")
    s3 = sam_stack.deployer_s3
    s3.put_object(
        Bucket="streamcat-local", Key="raw/titles/netflix_titles.csv", Body=event_titles()
    )
    s3.put_object(Bucket="streamcat-local", Key="raw/ratings/1.csv", Body=sample_ratings())
    return {
        "titles": sam_stack.invoke("EtlFunction", "etl_raw_titles.json", scratch),
        "ratings": sam_stack.invoke("EtlFunction", "etl_raw_ratings.json", scratch),
        "training": sam_stack.invoke("TrainFunction", "train_interactions.json", scratch),
    }


def test_the_etl_loads_uploads_and_training_publishes_a_model(
    loaded: dict[str, Any], sam_stack: SamStack
) -> None:
    titles, ratings, training = loaded["titles"], loaded["ratings"], loaded["training"]
    assert (titles["batchItemFailures"], titles["catalog_version"], titles["swapped"]) == (
        [],
        1,
        True,
    )
    assert (ratings["batchItemFailures"], ratings["catalog_version"]) == ([], 2)
    assert (training["status"], training["version"]) == ("published", 2)
    with (
        psycopg2.connect(sam_stack.database_url) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE votes > 0) FROM catalog.titles")
        assert cursor.fetchone() == (16, 16)
    connection.close()
    models = sam_stack.deployer_s3.list_objects_v2(Bucket="streamcat-local", Prefix="models/")
    assert any(o["Key"].startswith("models/recommender/v2/") for o in models["Contents"])


@pytest.mark.parametrize("event", sorted(HTTP_EVENTS))
def test_every_http_function_answers_its_sample_event(
    event: str, loaded: dict[str, Any], sam_stack: SamStack, tmp_path: Path
) -> None:
    response = sam_stack.invoke(HTTP_EVENTS[event], event, tmp_path)

    assert response["statusCode"] == 200, response
