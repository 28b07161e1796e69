"""The local stack as a process of its own, as a user runs it (`python -m local.stack`, or
`make run`): on loopback ports it binds itself, its outputs in a state file of the caller's,
waited for until /health answers, stopped with SIGTERM as a service manager stops it. The
benchmarks and the tests start it through here."""

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local.cloud import LocalCloud
from local.template import REPO


@dataclass(frozen=True)
class StackProcess:
    process: "subprocess.Popen[bytes]"
    state: Path
    log: Path

    def cloud(self) -> LocalCloud:
        return LocalCloud.load(self.state)

    @property
    def api_url(self) -> str:
        """On the port the stack bound (it is started on port 0), as its state file says."""
        return self.cloud().outputs["ApiUrl"].rstrip("/")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def log_tail(self) -> str:
        return self.log_text()[-4000:]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the stack exited ({self.process.returncode}):\n{self.log_tail()}")

    def health(self) -> int | None:
        """/health's status; None before the state file names the API or the API answers."""
        try:
            url = f"{self.api_url}/health"
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a loopback URL)
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code
        except (OSError, ValueError, KeyError):
            return None


@contextmanager
def running_stack(
    arguments: list[str],
    environment: Mapping[str, str],
    scratch: Path,
    timeout: float = 120.0,
    ready_status: int | None = None,
    through_make: bool = False,
    repo: Path = REPO,
    state: Path | None = None,
) -> Iterator[StackProcess]:
    """The stack of `repo` started with `arguments`, yielded once /health answers
    `ready_status` (any status when None: an empty stack answers 503 until its first load),
    stopped afterwards. Its state file is `state`, else one in `scratch` beside its log; its API
    and (unless `environment` says otherwise) its moto server take ports the kernel gives."""
    state, log = state or scratch / "stack.json", scratch / "stack.log"
    if through_make:
        command = ["make", "-s", "run", "PORT=0", f"STATE={state}"]
    else:
        command = [sys.executable, "-m", "local.stack", "--port", "0", "--state", str(state)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, *arguments],
            cwd=repo,
            env={"STREAMCAT_S3_PORT": "0", **environment},  # its moto on a port of its own
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    stack = StackProcess(process, state, log)
    try:
        deadline = time.monotonic() + timeout
        while (status := stack.health()) is None or ready_status not in (None, status):
            stack.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the stack did not serve in {timeout:.0f} s:\n{stack.log_tail()}"
                )
            time.sleep(0.5)
        yield stack
    finally:
        stop_stack(stack)


def stop_stack(stack: StackProcess, timeout: float = 60.0) -> int:
    """SIGTERM, as a service manager stops it; its exit code."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    return stack.process.returncode
