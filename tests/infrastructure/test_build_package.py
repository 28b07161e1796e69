"""`sam build` without Docker: every package keeps within the size budget, every handler
imports from the build output alone, as Lambda imports it, and the stripped training function
trains.

The template's functions are arm64: that build is measured. The makefile builds here also install
x86_64 wheels (`LAMBDA_ARCH=x86_64`, layers/lambda-build.mk) so this machine can import and run
what they built. Each architecture has a build folder of its own, apart from `make build`'s."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.snapstart import HARNESS
from local.catalog_fixtures import create_catalog, generated_rated_catalog
from local.functions import function_names, function_spec
from local.notifications import Upload, sqs_event
from local.package_sizes import built_functions, measure, report, runtime_stand_in
from local.template import load_template
from streamcat.api.registry import HTTP_FUNCTIONS as REGISTRY
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from streamcat.training_input import manifest_bytes
from tests.support.recommend import subset_titles_dir
from tests.support.sam_build import sam_build

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
TEMPLATE = load_template(TEMPLATE_PATH)
FUNCTIONS = function_names(TEMPLATE)
# LAMBDA_ARCH of the builds: the template's arm64 (what deploys) and this machine's x86_64.
DEPLOYED_ARCH, HOST_ARCH = "aarch64", "x86_64"
# Bytecode of the import checks, kept out of the build output (Lambda's /var/task is read-only).
PYCACHE_DIR = REPO / ".aws-sam" / f"test-{HOST_ARCH}" / "pycache"
HEAVY_MODULES = ("pandas", "pyarrow", "numpy", "sklearn", "scipy")
HTTP_FUNCTIONS = [function.logical_id for function in REGISTRY]

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
    """The x86_64 build, which this machine can import and run."""
    return sam_build(HOST_ARCH)


@pytest.fixture(scope="module")
def deployed_build_dir() -> Path:
    """The arm64 build, as `make build` builds what deploys (its wheels are larger)."""
    return sam_build(DEPLOYED_ARCH)


@pytest.fixture(scope="module")
def lambda_runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stand-in for /var/runtime: what the runtime provides, and nothing else."""
    yield runtime_stand_in(tmp_path_factory.mktemp("var-runtime"))


@pytest.mark.parametrize("build", ["deployed_build_dir", "build_dir"])
def test_every_package_with_its_layers_keeps_within_the_size_budget(
    build: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    build_dir: Path = request.getfixturevalue(build)
    sizes = measure(build_dir)
    with capsys.disabled():
        seconds = (build_dir.parent / "sam-build-seconds.txt").read_text()
        print(f"\n{build_dir.parent.name}: sam build {seconds} s (no Docker)\n{report(sizes)}")
    assert {size.logical_id for size in sizes} == set(FUNCTIONS)
    assert [size.logical_id for size in sizes if not size.within_budget] == []


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


def test_the_training_function_ships_the_spark_job_it_starts(build_dir: Path) -> None:
    """streamcat_train.spark_jobs uploads the job script from its own package: the build holds
    the script itself (the source tree's link replaced by the file), byte for byte."""
    built = next(f for f in built_functions(build_dir) if f.logical_id == "TrainFunction")
    script = built.code_dir / "streamcat_train" / "train_job.py"
    assert script.is_file() and not script.is_symlink()
    assert script.read_bytes() == (REPO / "etl" / "spark" / "train_job.py").read_bytes()


def test_the_stripped_training_function_trains_from_the_build_output_alone(
    build_dir: Path,
    lambda_runtime_dir: Path,
    titles_dir: Path,
    database_url: str,
    bucket: str,
    tmp_path: Path,
) -> None:
    """etl/train/Makefile strips what the training never loads: a small training, through the
    handler on real PostgreSQL and S3, would fail on anything it stripped that is needed."""
    titles = subset_titles_dir(titles_dir, tmp_path / "titles", 300)
    data = generated_rated_catalog(titles, tmp_path / "ratings", 40_000, seed=3)
    create_catalog(database_url, data.catalog_rows(), version=1)
    layout, s3 = S3Layout.of(get_settings()), s3_client()
    part = layout.training_part(1)
    s3.put_object(Bucket=bucket, Key=part, Body=data.training_part_bytes())
    key = layout.training_manifest(1)
    manifest = manifest_bytes("test", [part], [layout.ratings_parquet(1)], len(data.ratings.user))
    etag = s3.put_object(Bucket=bucket, Key=key, Body=manifest)["ETag"]
    event = tmp_path / "event.json"
    event.write_text(json.dumps(sqs_event(bucket, Upload(key, etag.strip('"'), "1"))))
    built = next(f for f in built_functions(build_dir) if f.logical_id == "TrainFunction")
    paths = [*built.import_paths, lambda_runtime_dir]
    done = subprocess.run(
        # -B: Lambda's /var/task is read-only; the build's own bytecode is read, none written.
        [*(sys.executable, "-I", "-S", "-B", str(HARNESS), "--mode", "invoke")]
        + ["--handler", built.handler, "--event", str(event)]
        + [arg for path in paths for arg in ("--path", str(path))],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=built.code_dir,
        env={
            "PATH": os.environ.get("PATH", ""),
            # The moto endpoint and its credentials (the s3_endpoint fixture's).
            **{name: value for name, value in os.environ.items() if name.startswith("AWS_")},
            "DATABASE_URL": database_url,
            "DATA_BUCKET": bucket,
            "POWERTOOLS_TRACE_DISABLED": "true",
        },
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])["result"]
    assert result["status"] == "published", result
    assert (result["titles"], result["ratings"]) == (len(data.catalog), len(data.ratings.user))
