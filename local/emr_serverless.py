"""EMR Serverless, locally: each job run the stack's functions start is run once, with
spark-submit in local mode (`local.spark_submit`) as the run's execution role, and each change
of its state is delivered as EventBridge delivers EMR Serverless's events to the template's
rules.

moto holds the application and its job runs (StartJobRun leaves a run SUBMITTED:
local.moto_server). The runner polls for SUBMITTED runs and moves each through SCHEDULED and
RUNNING to SUCCESS or FAILED, setting the state in moto through its job-run-state path (the
service's side), so GetJobRun answers what the run did. EMR Serverless emits an "EMR Serverless
Job Run State Change" event for every state a run enters: here every one goes to every rule of
the template whose pattern matches (matched by moto's EventBridge pattern matcher), whose target
functions are invoked as EventBridge invokes Lambda, asynchronously: a failed invocation is
retried twice.

The job reads and writes S3 with the session of its execution role, taken when the stack was
provisioned, so IAM judges its every request as AWS would judge the role's. Each run leaves one
JSON line in the log (`"message": "spark job run"`): its state, seconds and the peak memory of
its spark-submit, for the benchmarks.
"""

import datetime
import json
import logging
import shutil
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from moto.events.models import EventPattern

from local.cloud import LocalCloud
from local.functions import FunctionError, Invoke
from local.iam import Credentials, client
from local.moto_server import JOB_RUN_STATE_PATH
from local.spark_submit import JobResult, run_job
from local.template import LocalStack, TemplateError, expand_sam, resources_of_type

JOB_RUN_STATE_CHANGE = "EMR Serverless Job Run State Change"
SOURCE = "aws.emr-serverless"
# Lambda retries a failed asynchronous invocation twice (after a minute, then two; seconds here).
ASYNC_ATTEMPTS = 3
ASYNC_RETRY_DELAY_S = 1.0
# AWS cuts a run's stateDetails; the end of the driver's log says why a job failed.
STATE_DETAILS_CHARS = 2000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule of the template: its pattern, resolved, and the functions it invokes."""

    name: str
    pattern: dict[str, Any]
    targets: list[str]

    def matches(self, event: Mapping[str, Any]) -> bool:
        message: Any = dict(event)
        return bool(EventPattern.load(json.dumps(self.pattern)).matches_event(message))


def event_rules(stack: LocalStack) -> list[EventRule]:
    """Every AWS::Events::Rule of the template as CloudFormation gets it (SAM's EventBridgeRule
    events expanded), its targets the template's functions."""
    expanded = expand_sam(stack.template, stack.region)
    functions = resources_of_type(expanded, "AWS::Lambda::Function")
    rules = []
    for name, properties in resources_of_type(expanded, "AWS::Events::Rule").items():
        targets = []
        for target in properties.get("Targets") or []:
            function = (target.get("Arn", {}).get("Fn::GetAtt") or [None])[0]
            if function not in functions:
                raise TemplateError(f"{name}: target {target} is not a function of the template")
            targets.append(function)
        rules.append(EventRule(name, stack.resolve(properties["EventPattern"]), targets))
    return rules


@dataclass(frozen=True)
class FinishedRun:
    """A job run the runner ran: how it ended, in seconds and spark-submit's peak memory."""

    application_id: str
    job_run_id: str
    name: str
    state: str
    seconds: float
    peak_rss_mb: float


class JobRunner:
    """Runs the SUBMITTED job runs of the stack's applications, one at a time, in a thread."""

    def __init__(
        self,
        cloud: LocalCloud,
        stack: LocalStack,
        functions: Mapping[str, Invoke],
        workdir: Path,
        driver_memory: str,
        poll_s: float = 0.5,
    ) -> None:
        self._cloud = cloud
        self._account, self._region = stack.account_id, stack.region
        self._emr = client("emr-serverless", cloud.endpoint_url, cloud.region, cloud.deployer)
        self._applications = [
            cloud.resources[name]["Ref"]
            for name in resources_of_type(stack.template, "AWS::EMRServerless::Application")
        ]
        self._rules = event_rules(stack)
        self._functions = functions
        self._workdir = workdir
        self._driver_memory = driver_memory
        self._poll_s = poll_s
        self.finished: list[FinishedRun] = []
        self._busy = False
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emr-serverless")

    def start(self) -> "JobRunner":
        log.info("EMR Serverless: running the job runs of %s", ", ".join(self._applications))
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the run in hand (a Spark job is not interrupted)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait_until_idle(self, timeout: float) -> None:
        """Return once no run is SUBMITTED or being run; TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while self._submitted() or self._is_busy():
            if not self._thread.is_alive():
                raise RuntimeError("the EMR Serverless job runner is not running")
            if time.monotonic() > deadline:
                raise TimeoutError(f"job runs still submitted or running after {timeout:.0f} s")
            time.sleep(0.2)

    def _is_busy(self) -> bool:
        with self._lock:
            return self._busy

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                for application_id, job_run_id in self._submitted():
                    with self._lock:
                        self._busy = True
                    try:
                        self._execute(application_id, job_run_id)
                    finally:
                        with self._lock:
                            self._busy = False
            except Exception:  # the runner outlives one bad poll, as the service does
                log.exception("EMR Serverless: polling the job runs failed; retrying")
            self._stopping.wait(self._poll_s)

    def _submitted(self) -> list[tuple[str, str]]:
        """(application id, job run id) of every SUBMITTED run, oldest first."""
        found = []
        for application_id in self._applications:
            listing = self._emr.list_job_runs(applicationId=application_id, states=["SUBMITTED"])
            found += [(application_id, run["id"]) for run in listing["jobRuns"]]
        return found

    def _execute(self, application_id: str, job_run_id: str) -> None:
        run = self._emr.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
        if run["state"] != "SUBMITTED":  # cancelled since the poll listed it
            return
        self._move(run, "SCHEDULED")
        self._move(run, "RUNNING")
        workdir = self._workdir / job_run_id
        try:
            result = self._spark_submit(run, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        state = "SUCCESS" if result.succeeded else "FAILED"
        details = "" if result.succeeded else _failure_details(result.log_tail)
        self._move(run, state, details, seconds=result.seconds)
        finished = FinishedRun(
            application_id=application_id,
            job_run_id=job_run_id,
            name=run.get("name", ""),
            state=state,
            seconds=round(result.seconds, 3),
            peak_rss_mb=round(result.peak_rss_mb, 1),
        )
        self.finished.append(finished)
        log.info(json.dumps({"message": "spark job run", **asdict(finished)}))

    def _spark_submit(self, run: Mapping[str, Any], workdir: Path) -> JobResult:
        """The run's job as its execution role; a role the service cannot take, or a job
        driver spark-submit cannot start, fails the run as EMR Serverless fails it."""
        credentials = self._role_credentials(run["executionRole"])
        if credentials is None:
            reason = f"{run['executionRole']} is not a role of this stack EMR Serverless may assume"
            return JobResult(succeeded=False, seconds=0.0, peak_rss_mb=0.0, log_tail=reason)
        s3 = client("s3", self._cloud.endpoint_url, self._cloud.region, credentials)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            return run_job(run["jobDriver"], s3, workdir, self._driver_memory)
        except Exception as error:  # reported as the run's failure, as the service reports it
            log.exception("EMR Serverless: job run %s could not run", run["jobRunId"])
            message = f"{type(error).__name__}: {error}"
            return JobResult(succeeded=False, seconds=0.0, peak_rss_mb=0.0, log_tail=message)

    def _role_credentials(self, role_arn: str) -> Credentials | None:
        for name, credentials in self._cloud.job_roles.items():
            if self._cloud.resources.get(name, {}).get("Arn") == role_arn:
                return credentials
        return None

    def _move(
        self, run: Mapping[str, Any], state: str, details: str = "", seconds: float | None = None
    ) -> None:
        """Set the run's state in moto, then deliver the state change to the matching rules."""
        change: dict[str, Any] = {
            "account": self._account,
            "region": self._region,
            "applicationId": run["applicationId"],
            "jobRunId": run["jobRunId"],
            "state": state,
            "stateDetails": details,
        }
        if seconds is not None:
            change["seconds"] = round(seconds)
        request = urllib.request.Request(  # noqa: S310 (the stack's own loopback moto)
            self._cloud.endpoint_url + JOB_RUN_STATE_PATH,
            data=json.dumps(change).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            previous = json.loads(response.read())["previousState"]
        self._deliver(state_change_event(run, state, previous, self._account, self._region))

    def _deliver(self, event: dict[str, Any]) -> None:
        for rule in self._rules:
            if rule.matches(event):
                for function in rule.targets:
                    invoke_async(self._functions[function], event, f"{rule.name} -> {function}")


def invoke_async(
    invoke: Invoke, event: dict[str, Any], what: str, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """As Lambda runs an asynchronous invocation: a failure is retried twice, then dropped
    (logged: the function's Errors alarm is what tells in the cloud). The last response, or
    None when every attempt failed."""
    for attempt in range(1, ASYNC_ATTEMPTS + 1):
        try:
            response = invoke(event)
        except FunctionError as error:
            log.error(
                "EventBridge: %s failed (attempt %d of %d): %s",
                what,
                attempt,
                ASYNC_ATTEMPTS,
                error,
            )
            if attempt < ASYNC_ATTEMPTS:
                sleep(ASYNC_RETRY_DELAY_S)
            continue
        log.info("EventBridge: %s answered %s", what, json.dumps(response, default=str))
        return response
    return None


def state_change_event(
    run: Mapping[str, Any], state: str, previous: str, account: str, region: str
) -> dict[str, Any]:
    """The event EMR Serverless sends EventBridge when a job run enters `state`."""
    now = datetime.datetime.now(datetime.UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": JOB_RUN_STATE_CHANGE,
        "source": SOURCE,
        "account": account,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {
            "jobRunId": run["jobRunId"],
            "jobRunName": run.get("name", ""),
            "applicationId": run["applicationId"],
            "arn": run["arn"],
            "releaseLabel": run["releaseLabel"],
            "state": state,
            "previousState": previous,
            "createdBy": run.get("createdBy") or f"arn:aws:iam::{account}:root",
            "updatedAt": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "createdAt": _timestamp(run["createdAt"]),
        },
    }


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return (
            value.astimezone(datetime.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        )
    return str(value)


def _failure_details(log_tail: str) -> str:
    prefix = "Job failed: "
    return prefix + log_tail.strip()[-(STATE_DETAILS_CHARS - len(prefix)) :]
