"""The Lambda python3.13 base image `sam local invoke` runs functions in.

Where the real `public.ecr.aws/lambda/python:3.13-<arch>` can be pulled it is used. Where no
image registry is reachable, a stand-in is built under that name (so SAM, told
`--skip-pull-image`, takes it as the base of its emulator image): Debian's packages
(debootstrap) for the system libraries, this machine's Python 3.13 under /var/lang, and PyPI's
`awslambdaric` with what the runtime provides (boto3) exactly as uv.lock pins them. It is laid
out as the real image is: `/lambda-entrypoint.sh` exports `_HANDLER` and runs
`/var/runtime/bootstrap`, which starts the runtime interface client with Lambda's `sys.path`
(the function, then its layers, then the runtime's packages) and its environment. The image stays
in the daemon, labelled with a digest of what it was built from: a later run reuses it.
"""

import hashlib
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REPOSITORY = "public.ecr.aws/lambda/python"
STAND_IN_LABEL = "streamcat.lambda-stand-in"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# The shared libraries Python's own extension modules load (ssl, sqlite3, ctypes, lzma, ...),
# and the C++ runtime of the manylinux wheels that do not bundle it.
DEBIAN_PACKAGES = (
    "ca-certificates",
    "libbz2-1.0",
    "libexpat1",
    "libffi8",
    "libgcc-s1",
    "liblzma5",
    "libncursesw6",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libstdc++6",
    "libuuid1",
    "zlib1g",
)
# The runtime's own packages live in /var/runtime; the SDK it provides in /var/lang's
# site-packages, as in the real image.
RUNTIME_DIR_NAMES = ("awslambdaric", "runtime_client", "simplejson", "snapshot_restore_py")
PYTHON_SITE = "var/lang/lib/python3.13/site-packages"

ENVIRONMENT = {
    "LANG": "en_US.UTF-8",
    "TZ": ":/etc/localtime",
    "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    "LD_LIBRARY_PATH": (
        "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:"
        "/opt/lib"
    ),
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
}

ENTRYPOINT = """\
#!/bin/sh
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  exec /usr/local/bin/aws-lambda-rie $RUNTIME_ENTRYPOINT
else
  exec $RUNTIME_ENTRYPOINT
fi
"""

BOOTSTRAP = """\
#!/bin/sh
export AWS_EXECUTION_ENV=AWS_Lambda_python3.13
if [ -z "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  exec /var/lang/bin/python3.13 /var/runtime/bootstrap.py
else
  exec "$AWS_LAMBDA_EXEC_WRAPPER" /var/lang/bin/python3.13 /var/runtime/bootstrap.py
fi
"""

BOOTSTRAP_PY = """\
import os
import sys

TASK_ROOT = os.environ["LAMBDA_TASK_ROOT"]
LAYERS = ["/opt/python/lib/python3.13/site-packages", "/opt/python"]
RUNTIME = ["/var/lang/lib/python3.13/site-packages", "/var/runtime"]
STANDARD = [p for p in sys.path if p.startswith("/var/lang/lib/python3") and p not in RUNTIME]
sys.path[:] = [TASK_ROOT, *LAYERS, *RUNTIME, *STANDARD]

from awslambdaric.__main__ import main

main([TASK_ROOT, os.environ["_HANDLER"]])
"""


class ImageError(RuntimeError):
    """The base image could be neither pulled nor built; the message says why."""


def lambda_arch() -> str:
    """This machine's Lambda architecture: its functions run natively in a container."""
    return "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"


def image_name(arch: str) -> str:
    """The base image SAM looks for (python3.13 has both architectures, so the tag names one)."""
    return f"{REPOSITORY}:3.13-{arch}"


def _docker(
    docker: list[str], *args: str, timeout: float = 600
) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [*docker, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _recipe_digest() -> str:
    """What the stand-in is made of: this module, the lock and the Python copied in."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((REPO / "uv.lock").read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def ensure_image(docker: list[str], arch: str) -> str:
    """The base image in the daemon: already there (the real one, or a current stand-in),
    pulled, or built. Returns how it was obtained, for the test's report."""
    name = image_name(arch)
    inspected = _docker(
        docker,
        "image",
        "inspect",
        "--format",
        f'{{{{index .Config.Labels "{STAND_IN_LABEL}"}}}}',
        name,
    )
    if inspected.returncode == 0:
        label = inspected.stdout.strip()
        if label in {"", "<no value>"} or label == _recipe_digest():
            return "cached"
    if _docker(docker, "pull", name, timeout=300).returncode == 0:
        return "pulled"
    build_stand_in(docker, arch)
    return "built"


def build_stand_in(docker: list[str], arch: str) -> None:
    if lambda_arch() != arch:
        raise ImageError(
            f"a stand-in for {arch} needs an {arch} machine (its Python is this one's)"
        )
    debootstrap = shutil.which("debootstrap") or _installed("debootstrap")
    with tempfile.TemporaryDirectory(prefix="lambda-image-") as scratch:
        root = Path(scratch) / "rootfs"
        _run(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(DEBIAN_PACKAGES)}",
                DEBIAN_SUITE,
                str(root),
                DEBIAN_MIRROR,
            ],
            "debootstrap",
        )
        _copy_python(root)
        _install_runtime(root, arch)
        _write_runtime_files(root)
        archive = Path(scratch) / "rootfs.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(root, arcname=".")
        changes = [f"ENV {name}={value}" for name, value in ENVIRONMENT.items()]
        changes += [
            "WORKDIR /var/task",
            'ENTRYPOINT ["/lambda-entrypoint.sh"]',
            f"LABEL {STAND_IN_LABEL}={_recipe_digest()}",
        ]
        imported = _docker(
            docker,
            "import",
            *(arg for c in changes for arg in ("--change", c)),
            str(archive),
            image_name(arch),
        )
        if imported.returncode != 0:
            raise ImageError(f"docker import failed: {imported.stderr[-2000:]}")


def _installed(package: str) -> str:
    """Debian's `package`, installed with apt-get (as root) when missing."""
    _run(["apt-get", "install", "-y", "-qq", package], f"apt-get install {package}")
    found = shutil.which(package)
    if found is None:
        raise ImageError(f"{package} is not on PATH after apt-get install")
    return found


def _copy_python(root: Path) -> None:
    """This machine's Python 3.13 (the runtime's minor version) as /var/lang, without its
    site-packages: the runtime's packages are installed from the lock below."""
    source = Path(sys.base_prefix)
    target = root / "var" / "lang"
    shutil.copytree(
        source,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns("site-packages", "test", "idlelib", "tkinter", "__pycache__"),
    )
    (target / "lib" / "python3.13" / "site-packages").mkdir()


def _install_runtime(root: Path, arch: str) -> None:
    """awslambdaric and the SDK, at uv.lock's versions, every file checked against its hash."""
    uv = Path(sys.executable).parent / "uv"
    exported = subprocess.run(
        [
            str(uv),
            "export",
            "--quiet",
            "--frozen",
            "--project",
            str(REPO),
            "--only-group",
            "lambda-runtime",
            "--no-emit-project",
            "--format",
            "requirements-txt",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    machine = "aarch64" if arch == "arm64" else "x86_64"
    site = root / PYTHON_SITE
    platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(34, 16, -1)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            "3.13",
            *(arg for p in [*platforms, f"manylinux2014_{machine}"] for arg in ("--platform", p)),
            "--require-hashes",
            "--no-deps",
            "--target",
            str(site),
            "-r",
            "/dev/stdin",
        ],
        input=exported,
        text=True,
        check=True,
        capture_output=True,
    )
    runtime = root / "var" / "runtime"
    runtime.mkdir(parents=True)
    for entry in site.iterdir():
        if entry.name.split(".")[0].split("-")[0] in RUNTIME_DIR_NAMES:
            entry.rename(runtime / entry.name)
    shutil.rmtree(site / "bin", ignore_errors=True)


def _write_runtime_files(root: Path) -> None:
    for path, text in {
        "lambda-entrypoint.sh": ENTRYPOINT,
        "var/runtime/bootstrap": BOOTSTRAP,
        "var/runtime/bootstrap.py": BOOTSTRAP_PY,
    }.items():
        target = root / path
        target.write_text(text)
        target.chmod(0o755)
    for folder in ("var/task", "opt"):
        (root / folder).mkdir(parents=True, exist_ok=True)


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise ImageError(
            f"{what} failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}"
        )
