"""`sam build` without Docker: every package fits Lambda's limit and every handler imports from
the build output alone, as Lambda imports it.

The template's functions are arm64; the makefile builds here install x86_64 wheels instead
(`LAMBDA_ARCH=x86_64`, layers/lambda-build.mk) so this machine can import what they built, into
a build folder of their own that never mixes with an arm64 build (`make build`)."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.functions import function_names, function_spec
from local.package_sizes import built_functions, measure, report, runtime_stand_in
from local.template import load_template

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
TEMPLATE = load_template(TEMPLATE_PATH)
FUNCTIONS = function_names(TEMPLATE)
# Kept between runs (.aws-sam/ is git-ignored): SAM keeps its build.toml next to the build
# folder, so with both here unchanged layers are copied from the cache, not rebuilt. SAM's cache
# does not know LAMBDA_ARCH: this folder only ever holds x86_64 builds.
BUILD_ARCH = "x86_64"
WORK_DIR = REPO / ".aws-sam" / f"test-{BUILD_ARCH}"
BUILD_DIR = WORK_DIR / "build"
CACHE_DIR = WORK_DIR / "cache"
# Bytecode of the import checks, kept out of the build output (Lambda's /var/task is read-only).
PYCACHE_DIR = WORK_DIR / "pycache"
HEAVY_MODULES = ("pandas", "pyarrow", "numpy", "sklearn", "scipy")
HTTP_FUNCTIONS = [
    name
    for name in FUNCTIONS
    if any(
        event.get("Type") == "HttpApi"
        for event in (TEMPLATE["Resources"][name]["Properties"].get("Events") or {}).values()
    )
]

IMPORT_CHECK = """\
import importlib, json, sys
paths, handler_path = json.loads(sys.argv[1]), sys.argv[2]
sys.path[:0] = paths
module, _, attribute = handler_path.rpartition(".")
handler = getattr(importlib.import_module(module), attribute)
assert callable(handler), handler_path
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_of_the_template_exists(function: str) -> None:
    spec = function_spec(TEMPLATE, function, REPO)
    module = spec.handler.rpartition(".")[0].replace(".", "/")
    assert (spec.code_dir / f"{module}.py").is_file(), f"{spec.code_dir}/{module}.py"


@pytest.fixture(scope="module")
def build_dir() -> Path:
    """`sam build` into WORK_DIR. The .venv's bin folder comes first on PATH: SAM's python_pip
    builds (the HTTP functions) look for `python3.13` there, and the makefile builds take the
    first python3.13 that runs."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    sam = venv_bin / "sam"
    started = time.monotonic()
    result = subprocess.run(
        [
            *(str(sam), "build", "--template", str(TEMPLATE_PATH), "--build-dir", str(BUILD_DIR)),
            *("--cache-dir", str(CACHE_DIR), "--cached", "--parallel"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "PATH": os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")]),
            "LAMBDA_ARCH": BUILD_ARCH,
            "SAM_CLI_TELEMETRY": "0",
        },
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    (WORK_DIR / "sam-build-seconds.txt").write_text(f"{time.monotonic() - started:.1f}")
    return BUILD_DIR


@pytest.fixture(scope="module")
def lambda_runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stand-in for /var/runtime: what the runtime provides, and nothing else."""
    yield runtime_stand_in(tmp_path_factory.mktemp("var-runtime"))


def test_every_package_with_its_layers_fits_lambdas_limit(
    build_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sizes = measure(build_dir)
    with capsys.disabled():
        seconds = (WORK_DIR / "sam-build-seconds.txt").read_text()
        print(f"\nsam build: {seconds} s (no Docker)\n{report(sizes)}")
    assert {size.logical_id for size in sizes} == set(FUNCTIONS)
    assert [size.logical_id for size in sizes if not size.fits] == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_imports_from_the_build_output_alone(
    function: str, build_dir: Path, lambda_runtime_dir: Path
) -> None:
    built = next(f for f in built_functions(build_dir) if f.logical_id == function)
    paths = [*built.import_paths, lambda_runtime_dir]
    result = subprocess.run(
        [
            *(sys.executable, "-I", "-S", "-X", f"pycache_prefix={PYCACHE_DIR}"),
            *("-c", IMPORT_CHECK),
            *(json.dumps([str(p) for p in paths]), built.handler),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=built.code_dir,
        env={
            "PATH": os.environ.get("PATH", ""),
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    if function in HTTP_FUNCTIONS:
        imported = json.loads(result.stdout.splitlines()[-1])
        assert [m for m in imported if m.split(".")[0] in HEAVY_MODULES] == []
