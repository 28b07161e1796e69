"""`sam build` as the tests run it, once per architecture and kept between runs."""

import os
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
# LAMBDA_ARCH (the makefile builds' wheels) to the template's Architecture parameter (the
# python_pip builds' wheels, and the image `sam local invoke` runs).
TEMPLATE_ARCH = {"aarch64": "arm64", "x86_64": "x86_64"}


@cache
def sam_build(arch: str) -> Path:
    """`sam build` for `arch` into .aws-sam/test-<arch>/build. Kept between runs (.aws-sam/ is
    git-ignored): SAM keeps its build.toml next to the build folder, so with both there unchanged
    layers are copied from the cache, not rebuilt; SAM's cache does not know LAMBDA_ARCH, hence a
    folder per architecture. The .venv's bin folder comes first on PATH: SAM's python_pip builds
    (the HTTP functions) look for `python3.13` there, and the makefile builds take the first
    python3.13 that runs. Once per session and architecture: every test module shares it."""
    work_dir = REPO / ".aws-sam" / f"test-{arch}"
    work_dir.mkdir(parents=True, exist_ok=True)
    build_dir = work_dir / "build"
    venv_bin = Path(sys.executable).parent
    sam = venv_bin / "sam"
    started = time.monotonic()
    result = subprocess.run(
        [
            *(str(sam), "build", "--template", str(TEMPLATE_PATH), "--build-dir", str(build_dir)),
            *("--cache-dir", str(work_dir / "cache"), "--cached", "--parallel"),
            *("--parameter-overrides", f"Architecture={TEMPLATE_ARCH[arch]}"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "PATH": os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")]),
            "LAMBDA_ARCH": arch,
            "SAM_CLI_TELEMETRY": "0",
        },
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    (work_dir / "sam-build-seconds.txt").write_text(f"{time.monotonic() - started:.1f}")
    return build_dir
