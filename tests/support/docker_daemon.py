"""A Docker daemon for the SAM CLI test: one already running, or one started for the session.

Where none answers (DOCKER_HOST, else the default socket), root on a Debian-like machine
installs Debian's `docker.io` when missing and starts `dockerd --bridge=none --iptables=false`
on a socket of its own, with its images under .aws-sam/ so the Lambda base image is built once
and reused by later runs; it is stopped at the end. Anywhere else the test skips, saying why.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = REPO / ".aws-sam" / "docker"
DEFAULT_HOST = "unix:///var/run/docker.sock"
START_TIMEOUT_S = 60.0


class DockerUnavailableError(RuntimeError):
    """No daemon answers and this machine cannot start one (the reason is the message)."""


@dataclass(frozen=True)
class DockerDaemon:
    host: str
    started_here: bool

    @property
    def cli(self) -> list[str]:
        return ["docker", "-H", self.host]


def _answers(host: str) -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(
        ["docker", "-H", host, "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return done.returncode == 0


@contextmanager
def docker_daemon() -> Iterator[DockerDaemon]:
    existing = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    if _answers(existing):
        yield DockerDaemon(existing, started_here=False)
        return
    if os.geteuid() != 0 or (shutil.which("apt-get") is None and shutil.which("dockerd") is None):
        raise DockerUnavailableError(
            f"no Docker daemon answers at {existing}, and starting one needs root and apt-get "
            "(Debian's docker.io): start Docker, or set DOCKER_HOST"
        )
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "docker.io"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            check=True,
        )
    with tempfile.TemporaryDirectory(prefix="dockerd-") as run_dir:
        yield from _started(Path(run_dir))


def _started(run_dir: Path) -> Iterator[DockerDaemon]:
    host = f"unix://{run_dir}/docker.sock"
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    log = (run_dir / "dockerd.log").open("wb")
    process = subprocess.Popen(
        [
            *("dockerd", "--bridge=none", "--iptables=false", f"--host={host}"),
            *(f"--data-root={DATA_ROOT}", f"--exec-root={run_dir}/exec"),
            f"--pidfile={run_dir}/docker.pid",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(host):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "dockerd did not start:\n"
                    + (run_dir / "dockerd.log").read_text(errors="replace")[-3000:]
                )
            time.sleep(0.5)
        yield DockerDaemon(host, started_here=True)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        _unmount_under(run_dir)


def _unmount_under(folder: Path) -> None:
    """dockerd leaves its default network namespace (nsfs) mounted in its exec root."""
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{folder}/")), reverse=True):
        subprocess.run(["umount", "--lazy", mount], capture_output=True, check=False)
