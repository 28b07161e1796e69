"""One EMR Serverless job run, on this machine: what StartJobRun's `jobDriver` asks for, run
with the dev venv's pyspark in Spark's local mode.

No S3A connector can be installed here (its jars come from a Maven repository, which this
machine does not reach), so the job cannot read s3:// itself as it does on EMR through EMRFS.
Its inputs are staged instead: the entry point and every s3:// argument but the `--output` one
are downloaded into the work directory through the given client, which signs as the job's
execution role, and the arguments rewritten to the local copies; once the job succeeds, every
file it wrote under its local output directory is uploaded to the `--output` prefix through
the same client. So each read and write the job does is one the role must be allowed, as on
EMR. Only `s3://bucket/key` URIs are accepted: anything else, or a key that climbs (`..`) or
starts with `/`, is refused before anything runs.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.exceptions
from boto3.exceptions import S3UploadFailedError

from local.ports import HOST

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EMR_RELEASE_LABEL = "emr-7.11.0"
"""The EMR Serverless release the job runs on in the cloud: its Spark is EMR_SPARK_VERSION,
the pyspark the dev venv runs locally (uv.lock), so both engines are the same Spark."""
EMR_SPARK_VERSION = "3.5.6"
OUTPUT_FLAG = "--output"
LOG_TAIL_LINES = 40
TAIL_BYTES = 1 << 20
"""How much of the end of the log the tail is looked for in: Java stack traces are long."""
_STACK_FRAME = re.compile(r"\s+(at \S|\.\.\. \d+ more$)")
POLL_S = 0.25
"""How often the JVM's memory high-water mark is read while it runs."""
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MEMORY = re.compile(r"[1-9][0-9]*[kmgt]?", re.IGNORECASE)
_S3_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class JobDriverError(ValueError):
    """The job driver asks for something this runner (or EMR) would not run."""


@dataclass(frozen=True)
class JobResult:
    succeeded: bool
    seconds: float
    """The whole run: inputs staged, spark-submit, outputs uploaded."""
    peak_rss_mb: float
    """The spark-submit JVM's memory high-water mark (the Python driver it starts is apart);
    0 when the job never started."""
    log_tail: str
    """The last lines of spark-submit's stderr, or why the run stopped before or after it."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> "S3Location":
        if not uri.startswith("s3://"):
            raise JobDriverError(f"{uri!r}: only s3://<bucket>/<key> URIs are accepted")
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        if not _BUCKET.fullmatch(bucket):
            raise JobDriverError(f"{uri!r}: {bucket!r} is not a bucket name")
        segments = key.rstrip("/").split("/")
        if not key or any(s in ("", ".", "..") for s in segments):
            raise JobDriverError(
                f"{uri!r}: the key must be a relative path without empty, '.' or '..' parts"
            )
        return cls(bucket, key)

    @property
    def local_parts(self) -> tuple[str, ...]:
        """Where its copy goes, below a staging folder."""
        return (self.bucket, *self.key.rstrip("/").split("/"))


@dataclass(frozen=True)
class SubmittedJob:
    """A job driver, checked: the locations it reads, and where it writes."""

    entry_point: S3Location
    arguments: list[str | S3Location]
    """Each entry-point argument: a location to stage, or a plain value passed as it is."""
    output: S3Location
    conf: list[str]
    """`key=value` of each `--conf` of sparkSubmitParameters."""

    @property
    def inputs(self) -> list[S3Location]:
        return [self.entry_point, *(a for a in self.arguments if isinstance(a, S3Location))]


def submitted_job(job_driver: Mapping[str, Any]) -> SubmittedJob:
    """Raises JobDriverError naming what is wrong with the driver."""
    submit = job_driver.get("sparkSubmit")
    if not isinstance(submit, Mapping) or not isinstance(submit.get("entryPoint"), str):
        raise JobDriverError("the job driver needs sparkSubmit.entryPoint, an s3:// URI")
    values = submit.get("entryPointArguments", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise JobDriverError("sparkSubmit.entryPointArguments must be a list of strings")
    parameters = submit.get("sparkSubmitParameters", "")
    if not isinstance(parameters, str):
        raise JobDriverError("sparkSubmit.sparkSubmitParameters must be a string")
    outputs = [i + 1 for i, value in enumerate(values) if value == OUTPUT_FLAG]
    if len(outputs) != 1 or outputs[0] >= len(values):
        raise JobDriverError(f"the job's arguments need exactly one {OUTPUT_FLAG} <s3:// URI>")
    arguments = [values[i] if i == outputs[0] else _argument(values[i]) for i in range(len(values))]
    return SubmittedJob(
        _input(submit["entryPoint"]),
        arguments,
        S3Location.parse(values[outputs[0]]),
        _conf(parameters),
    )


def _argument(value: str) -> str | S3Location:
    """A URI or a path must be an s3:// one: a job on EMR reads nothing of this machine's."""
    if "://" in value or value.startswith(("/", "file:", "~")):
        return _input(value)
    return value


def _input(uri: str) -> S3Location:
    """An object to stage: a prefix (a key ending in /) would be a folder of unknown files."""
    location = S3Location.parse(uri)
    if location.key.endswith("/"):
        raise JobDriverError(f"{uri!r}: an input must name an object, not a prefix")
    return location


def _conf(parameters: str) -> list[str]:
    """Only `--conf key=value` pairs: jars, packages and files come from elsewhere (a Maven
    repository, s3://) that a local run has no way to fetch."""
    words = shlex.split(parameters)
    pairs = list(zip(words[::2], words[1::2], strict=False))
    if len(words) % 2 or any(flag != "--conf" or "=" not in value for flag, value in pairs):
        raise JobDriverError(
            f"sparkSubmitParameters {parameters!r}: only --conf key=value pairs run locally"
        )
    return [value for _, value in pairs]


def run_job(
    job_driver: Mapping[str, Any], s3: "S3Client", workdir: Path, driver_memory: str
) -> JobResult:
    """Stage, run, upload. `workdir` must be empty or absent; it keeps the staged inputs, the
    job's output and its logs (spark-submit.log: stderr, spark-submit.out: stdout) for the
    caller to inspect and remove. A malformed driver raises JobDriverError; an S3 read or
    write the role may not do fails the run (succeeded False), as it fails a job on EMR."""
    job = submitted_job(job_driver)
    if not _MEMORY.fullmatch(driver_memory):
        raise JobDriverError(f"driver memory {driver_memory!r} is not a size such as 4g")
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise JobDriverError(f"{workdir} must be empty: a run's outputs would mix with another's")
    started = time.perf_counter()
    try:
        staged = stage_inputs(s3, job.inputs, workdir / "inputs")
    except _S3_ERRORS as error:
        return JobResult(False, _since(started), 0.0, f"staging the inputs failed: {error}")
    output = workdir / "output"
    arguments = [str(staged[a]) if isinstance(a, S3Location) else a for a in job.arguments]
    arguments[arguments.index(OUTPUT_FLAG) + 1] = str(output)
    command = spark_submit_command(
        staged[job.entry_point], arguments, job.conf, workdir, driver_memory
    )
    exit_code, peak = _run(command, workdir)
    tail = log_tail(workdir / "spark-submit.log")
    if exit_code != 0:
        return JobResult(False, _since(started), peak, tail)
    try:
        upload_outputs(s3, output, job.output)
    except (*_S3_ERRORS, S3UploadFailedError) as error:
        return JobResult(
            False, _since(started), peak, f"{tail}\nuploading the output failed: {error}"
        )
    return JobResult(True, _since(started), peak, tail)


def stage_inputs(
    s3: "S3Client", inputs: Sequence[S3Location], into: Path
) -> dict[S3Location, Path]:
    """Each input downloaded once, to `into/<bucket>/<key>`."""
    staged: dict[S3Location, Path] = {}
    for location in inputs:
        if location in staged:
            continue
        path = into.joinpath(*location.local_parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(location.bucket, location.key, str(path))
        staged[location] = path
    return staged


def upload_outputs(s3: "S3Client", output: Path, to: S3Location) -> list[str]:
    """Every file the job wrote, at the prefix plus its path below `output`; the keys."""
    prefix = to.key.rstrip("/") + "/"
    keys = []
    for path in sorted(p for p in output.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(output).as_posix()
        s3.upload_file(str(path), to.bucket, key)
        keys.append(key)
    return keys


def spark_home() -> Path:
    """The Spark distribution inside the venv's pyspark (found without importing pyspark)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyspark is not installed: `make setup` installs the dev group")
    return Path(spec.submodule_search_locations[0])


WORKER_SIZES = frozenset(
    {
        "spark.driver.memory",
        "spark.driver.cores",
        "spark.executor.memory",
        "spark.executor.cores",
        "spark.executor.instances",
    }
)
"""The job's EMR worker sizes: local mode has one driver, sized by `driver_memory` (a job's
`spark.driver.memory` would otherwise win over it and take the machine's memory)."""


def spark_submit_command(
    entry_point: Path, arguments: list[str], conf: list[str], workdir: Path, driver_memory: str
) -> list[str]:
    """Local mode on every core, Spark's scratch space in `workdir`, no web UI (a second job
    would need another port), warnings and errors only in the log; the job's conf but its
    worker sizes. spark-submit's own options come before the script: what follows it is the
    script's."""
    conf = [pair for pair in conf if pair.partition("=")[0] not in WORKER_SIZES]
    local = [
        f"spark.local.dir={workdir / 'spark-local'}",
        "spark.ui.enabled=false",
        "spark.log.level=WARN",
    ]
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--master",
        "local[*]",
        "--driver-memory",
        driver_memory,
        *(word for pair in conf + local for word in ("--conf", pair)),
        str(entry_point),
        *arguments,
    ]


def _run(command: list[str], workdir: Path) -> tuple[int, float]:
    """spark-submit's exit code and its JVM's peak RSS in MiB, its stdout and stderr streamed
    to files in `workdir`. The driver binds to loopback only."""
    environment = {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": HOST,
    }
    with (
        (workdir / "spark-submit.out").open("wb") as out,
        (workdir / "spark-submit.log").open("wb") as err,
    ):
        process = subprocess.Popen(command, stdout=out, stderr=err, env=environment, cwd=workdir)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, _high_water_mb(process.pid))
            time.sleep(POLL_S)
    return process.returncode, peak


def _high_water_mb(pid: int) -> float:
    """VmHWM of a running process: spark-submit's scripts exec the JVM in the same process, and
    the mark starts afresh at each exec, so the last reading is the JVM's own."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log that may be large (only its end is read), Java stack
    frames left out: what remains of a failure is its messages and their causes, and the
    Python traceback."""
    with path.open("rb") as log:
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - TAIL_BYTES))
        text = log.read().decode(errors="replace")
    kept = [line for line in text.splitlines() if not _STACK_FRAME.match(line)]
    return "\n".join(kept[-lines:])


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
