"""`python -m local.stack` and `make run`: the data folder check; the stack run as a user runs
it, stopped by SIGTERM with nothing left behind; and the proof that a permission missing from
the template fails the local stack as it would fail in AWS."""

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from local.iam import client
from local.postgres import OwnServer
from local.ratings_generator import generate_ratings
from local.stack import RATINGS_FILES, DataFolderError, find_data
from local.stack_process import running_stack, stop_stack
from local.template import load_template
from streamcat.platforms import TITLES_FILES
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from tests.support.local import stack_environment, without_action
from tests.support.titles import csv_bytes, title_row

DEAD_LETTER_TIMEOUT_S = 90.0
STACK_TAG = "STREAMCAT_STACK_UNDER_TEST"
"""Set for the stack by the test, inherited by its processes: how the test finds them."""
TITLES = "raw/titles/netflix_titles.csv"


def _data_folder(root: Path, ratings: list[str]) -> Path:
    (root / "titles").mkdir(parents=True)
    for name in TITLES_FILES.values():
        (root / "titles" / name).write_text("show_id,type\n")
    (root / "ratings").mkdir()
    for name in ratings:
        (root / "ratings" / name).write_text("userId,rating,timestamp,movieId\n")
    return root


def test_data_folder_lists_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "netflix_titles.csv").write_text("show_id\n")

    with pytest.raises(DataFolderError) as error:
        find_data(tmp_path)

    message = str(error.value)
    for name in ("amazon_prime_titles.csv", "disney_plus_titles.csv", "hulu_titles.csv"):
        assert name in message
    assert "netflix_titles.csv" not in message
    assert f"no CSV file in {tmp_path / 'ratings'}" in message


def test_data_folder_finds_titles_subfolder_and_orders_ratings(tmp_path: Path) -> None:
    files = find_data(_data_folder(tmp_path, ["10.csv", "2.csv", "1.csv"]))

    assert [p.name for p in files.ratings] == ["1.csv", "2.csv", "10.csv"]
    keys = [key for _, key in files.uploads(S3Layout.of(get_settings()))]
    assert keys[:4] == [f"raw/titles/{name}" for name in TITLES_FILES.values()]
    assert keys[4:] == ["raw/ratings/1.csv", "raw/ratings/2.csv", "raw/ratings/10.csv"]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _health(api_url: str) -> int:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _generated_data(titles_dir: Path, root: Path) -> Path:
    """What `make run RATINGS=20000` would generate, in the test's own folder rather than the
    developer's cache (.local/data): the catalogs and 20,000 ratings of them."""
    root.mkdir()
    (root / "titles").symlink_to(titles_dir)
    generate_ratings(titles_dir, root / "ratings", n_ratings=20_000, n_files=RATINGS_FILES)
    return root


@pytest.mark.slow
def test_make_run_loads_serves_and_leaves_nothing_behind_on_sigterm(
    own_server: OwnServer, stack_database_url: str, titles_dir: Path, tmp_path: Path
) -> None:
    """SIGTERM to make ends make alone (it passes no signal on): the stack must still stop its
    moto server, its containers and its state file, so the next `make run` starts."""
    data = _generated_data(titles_dir, tmp_path / "data")
    environment = stack_environment(stack_database_url, own_server.ca_cert_path)
    environment[STACK_TAG] = str(tmp_path)
    tag = f"{STACK_TAG}={tmp_path}"
    with running_stack(
        [f"DATA={data}"], environment, tmp_path, through_make=True, timeout=600
    ) as stack:
        assert _health(stack.api_url) == 200, stack.log_tail()  # it serves once loaded
        moto_port = int(stack.cloud().endpoint_url.rsplit(":", 1)[1])
        state = stack.state

        assert stop_stack(stack) != 0  # make reports its child's end by signal

        deadline = time.monotonic() + 30
        while _processes_of(tag, moto_port) and time.monotonic() < deadline:
            time.sleep(0.5)
    assert _processes_of(tag, moto_port) == [], stack.log_tail()
    assert _port_is_free(moto_port)
    assert not state.exists()


def _processes_of(tag: str, moto_port: int) -> list[int]:
    """Processes of the stack: the stack itself and moto inherit `tag` from the test, and the
    function containers name the moto port in their environment (AWS_ENDPOINT_URL)."""
    found = []
    markers = (f"{tag}\0", f"127.0.0.1:{moto_port}\0")
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            variables = environ.read_bytes().decode(errors="replace")
            if any(marker in variables for marker in markers):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def _without_version_reads(template_path: Path) -> dict[str, Any]:
    """A copy of the template whose ETL may no longer read object versions, with a short
    batching window so the failure shows in seconds."""
    template = without_action(load_template(template_path), "EtlFunction", "s3:GetObjectVersion")
    template["Resources"]["EtlEventSource"]["Properties"]["MaximumBatchingWindowInSeconds"] = 1
    return template


def _receives_before_dead_letter(template_path: Path) -> int:
    queue = load_template(template_path)["Resources"]["RawUploadsQueue"]
    return int(queue["Properties"]["RedrivePolicy"]["maxReceiveCount"])


def _file_outcomes(log: Path, key: str) -> list[tuple[str, str]]:
    """(status, reason) of `key` in each "load finished" record of the ETL's log: the function's
    own account of each invocation, with its data-quality report."""
    outcomes = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the stack's own lines, not a function's structured log
        if isinstance(record, dict) and record.get("message") == "load finished":
            files = record["report"]["files"]
            outcomes += [(f["status"], f["reason"]) for f in files if f["key"] == key]
    return outcomes


def test_a_grant_removed_from_the_template_fails_the_local_stack(
    own_server: OwnServer, stack_database_url: str, tmp_path: Path
) -> None:
    """A catalog is uploaded, read by version as S3's events ask; without s3:GetObjectVersion
    the ETL's role is denied: each invocation's report says the file failed for AccessDenied,
    the message is retried into the dead-letter queue, and the catalog is not served: what AWS
    would do with that template."""
    repo_template = Path(__file__).resolve().parents[2] / "template.yaml"
    changed = tmp_path / "template.yaml"
    changed.write_text(json.dumps(_without_version_reads(repo_template)))  # JSON is YAML
    environment = stack_environment(stack_database_url, own_server.ca_cert_path)
    with running_stack(["--no-upload", "--template", str(changed)], environment, tmp_path) as stack:
        cloud = stack.cloud()
        s3 = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
        catalog = csv_bytes(title_row(show_id="s1"))
        s3.put_object(Bucket=cloud.outputs["DataBucketName"], Key=TITLES, Body=catalog)
        sqs = client("sqs", cloud.endpoint_url, cloud.region, cloud.deployer)
        dead_letters = cloud.outputs["RawUploadsDeadLetterQueueUrl"]
        deadline = time.monotonic() + DEAD_LETTER_TIMEOUT_S
        messages: list[Any] = []
        while not messages and time.monotonic() < deadline:
            messages = sqs.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=1).get(
                "Messages", []
            )

        assert messages, stack.log_tail()
        (record,) = json.loads(messages[0]["Body"])["Records"]
        assert unquote_plus(record["s3"]["object"]["key"]) == TITLES
        outcomes = _file_outcomes(stack.log, TITLES)
        assert len(outcomes) == _receives_before_dead_letter(changed), outcomes
        for status, reason in outcomes:
            assert status == "failed" and "(AccessDenied)" in reason, reason
        assert _health(stack.api_url) == 503
