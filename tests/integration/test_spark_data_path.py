"""Training on Spark through the local stack's real pieces, as a user runs it: the stack's own
process with the template's threshold lowered under a small catalog's ratings, its moto server
with IAM on, a real PostgreSQL, the functions with their roles, and the local EMR Serverless
running the job with spark-submit as the job's role.

One stack for the module (each Spark job costs tens of seconds): its first load trains on Spark
end to end (upload, ETL, manifest, the switch, the job, the completion event, publishing) and
the API serves that model; a later load whose job fails for real (a curated Parquet file it
cannot read) leaves that model serving, and the failure is reported."""

import gzip
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2
import pytest

from local.cloud import LocalCloud
from local.iam import client
from local.postgres import OwnServer
from local.ratings_generator import generate_ratings
from local.stack import DataFiles, upload
from local.stack_process import StackProcess, running_stack
from streamcat.platforms import TITLES_FILES
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from tests.support.local import stack_environment
from tests.support.recommend import subset_titles_dir

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.spark

THRESHOLD = 1_000
RATINGS = 20_000
TIMEOUT_S = 600.0
ENDED = {"SUCCESS", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class SparkStack:
    stack: StackProcess
    database_url: str
    data: Path

    @property
    def cloud(self) -> LocalCloud:
        return self.stack.cloud()

    @property
    def s3(self) -> "S3Client":
        s3: S3Client = client("s3", self.cloud.endpoint_url, self.cloud.region, self.cloud.deployer)
        return s3

    @property
    def bucket(self) -> str:
        return self.cloud.outputs["DataBucketName"]

    def latest(self) -> dict[str, Any] | None:
        layout = S3Layout.of(get_settings())
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=layout.latest_model)["Body"]
        except self.s3.exceptions.NoSuchKey:
            return None
        latest: dict[str, Any] = json.loads(body.read())
        return latest

    def logged(self, message: str) -> list[dict[str, Any]]:
        """The structured log lines (the functions' and the job runner's) with this message."""
        found = []
        for line in self.stack.log_text().splitlines():
            start = line.find("{")
            if message not in line or start < 0:
                continue
            try:
                record = json.loads(line[start:])
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("message") == message:
                found.append(record)
        return found

    def idle(self) -> bool:
        """Nothing left to do: no message in a queue, no job run before its end."""
        cloud = self.cloud
        sqs = client("sqs", cloud.endpoint_url, cloud.region, cloud.deployer)
        for queue in ("RawUploadsQueue", "InteractionsQueue"):
            counts = sqs.get_queue_attributes(
                QueueUrl=cloud.resources[queue]["Ref"],
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            if any(int(count) for count in counts.values()):
                return False
        emr = client("emr-serverless", cloud.endpoint_url, cloud.region, cloud.deployer)
        application_id = cloud.resources["SparkApplication"]["Ref"]
        runs = emr.list_job_runs(applicationId=application_id)["jobRuns"]
        return all(run["state"] in ENDED for run in runs)

    def catalog_version(self) -> int:
        with psycopg2.connect(self.database_url) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT max(version) FROM catalog.meta")
            (version,) = cursor.fetchone() or (None,)
        connection.close()
        return int(version)

    def wait_for(self, what: str, until: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + TIMEOUT_S
        while not (found := until()):
            self.stack.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} in {TIMEOUT_S:.0f} s:\n{self.stack.log_tail()}")
            time.sleep(1)
        return found


@pytest.fixture(scope="module")
def spark_stack(
    own_server: OwnServer,
    admin_url: str,
    titles_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SparkStack]:
    from local.postgres import fresh_database

    scratch = tmp_path_factory.mktemp("spark-stack")
    data = scratch / "data"
    subset_titles_dir(titles_dir, data / "titles", 100)
    generate_ratings(data / "titles", data / "ratings", n_ratings=RATINGS, n_files=2)
    with fresh_database(admin_url, "streamcat_spark") as database_url:
        environment = stack_environment(database_url, own_server.ca_cert_path)
        environment["SPARK_LOCAL_DRIVER_MEMORY"] = "2g"
        threshold = f"SparkTrainingThreshold={THRESHOLD}"  # under the test's ratings
        arguments = ["--no-upload", "--parameter-overrides", threshold]
        with running_stack(arguments, environment, scratch, timeout=180) as stack:
            yield SparkStack(stack, database_url, data)


@dataclass(frozen=True)
class Trained:
    version: int
    job_run_id: str
    recommended: dict[str, Any]


@pytest.fixture(scope="module")
def trained(spark_stack: SparkStack) -> Trained:
    """The catalog and its ratings uploaded as a user uploads them, and the data path left to
    finish: the model of the catalog's last version."""
    files = DataFiles(
        titles=[spark_stack.data / "titles" / name for name in TITLES_FILES.values()],
        ratings=sorted((spark_stack.data / "ratings").glob("*.csv")),
    )
    upload(spark_stack.s3, spark_stack.bucket, files.uploads(S3Layout.of(get_settings())))

    def finished() -> dict[str, Any] | None:
        latest = spark_stack.latest() if spark_stack.idle() else None
        final = latest and latest["version"] == spark_stack.catalog_version()
        return latest if final else None

    latest = spark_stack.wait_for("model of the last catalog", finished)
    version = int(latest["version"])
    (published,) = [r for r in spark_stack.logged("model published") if r["version"] == version]
    return Trained(version, published.get("job_run_id", ""), _recommend(spark_stack))


def _recommend(spark_stack: SparkStack) -> dict[str, Any]:
    """The API's recommendations for the served model's most rated title."""
    latest = spark_stack.latest()
    assert latest is not None
    raw = spark_stack.s3.get_object(Bucket=spark_stack.bucket, Key=latest["key"])["Body"].read()
    model = json.loads(gzip.decompress(raw))
    popular = max(range(len(model["ids"])), key=lambda i: model["votes"][i])
    query = urllib.parse.urlencode({"id": model["ids"][popular]})
    with urllib.request.urlopen(f"{spark_stack.stack.api_url}/recommendations?{query}") as answer:
        return {
            "status": answer.status,
            "model_version": int(answer.headers["X-Model-Version"]),
            "body": json.loads(answer.read()),
        }


def test_past_the_threshold_the_model_is_trained_on_spark_and_served(
    spark_stack: SparkStack, trained: Trained
) -> None:
    (started,) = [
        s for s in spark_stack.logged("training job started") if s["version"] == trained.version
    ]
    assert started["ratings"] > THRESHOLD and started["job_run_id"] == trained.job_run_id
    (run,) = [
        r for r in spark_stack.logged("spark job run") if r["job_run_id"] == trained.job_run_id
    ]
    assert (run["state"], run["name"]) == ("SUCCESS", f"streamcat-train-v{trained.version}")
    assert run["seconds"] > 0 and run["peak_rss_mb"] > 0
    (published,) = [
        r for r in spark_stack.logged("model published") if r["version"] == trained.version
    ]
    assert published["engine"] == "spark" and published["ratings"] > THRESHOLD
    assert [r for r in spark_stack.logged("model published") if r["engine"] == "lambda"] == [
        r for r in spark_stack.logged("model published") if r["ratings"] == 0
    ], "the function trained itself only catalogs without ratings"
    assert (trained.recommended["status"], trained.recommended["model_version"]) == (
        200,
        trained.version,
    )
    assert len(trained.recommended["body"]["recommendations"]) == 5


def test_a_failed_job_leaves_the_previous_model_serving_and_is_reported(
    spark_stack: SparkStack, trained: Trained
) -> None:
    """A damaged curated Parquet file of ratings file 1, then a new upload of ratings file 2:
    the new catalog's job reads file 1 and fails."""
    layout, s3, bucket = S3Layout.of(get_settings()), spark_stack.s3, spark_stack.bucket
    s3.put_object(Bucket=bucket, Key=layout.ratings_parquet(1), Body=b"not a Parquet file")
    changed = spark_stack.data / "2-again.csv"
    lines = (spark_stack.data / "ratings" / "2.csv").read_text().splitlines(keepends=True)
    changed.write_text("".join(lines[:-100]))
    s3.upload_file(str(changed), bucket, layout.ratings_upload("2.csv"))

    (failure,) = spark_stack.wait_for(
        "reported job failure", lambda: spark_stack.logged("training job failed")
    )
    spark_stack.wait_for("idle data path", spark_stack.idle)

    assert failure["version"] == spark_stack.catalog_version() > trained.version
    assert failure["state"] == "FAILED" and failure["level"] == "ERROR"
    assert "parquet" in failure["state_details"].lower(), failure["state_details"]
    (run,) = [
        r for r in spark_stack.logged("spark job run") if r["job_run_id"] == failure["job_run_id"]
    ]
    assert run["state"] == "FAILED"
    latest = spark_stack.latest()
    assert latest is not None and latest["version"] == trained.version
    assert _recommend(spark_stack) == trained.recommended
