"""One lock for every install: uv.lock agrees with pyproject.toml, pins every package with its
hashes, and the Lambda builds' dependency groups (which pip installs with --require-hashes) are
the versions this venv tests."""

import importlib.metadata
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_GROUPS = ["lambda-common", "lambda-api", "lambda-docs", "lambda-etl", "lambda-train"]


def _uv(*arguments: str) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv", path=str(ROOT / ".venv" / "bin")) or shutil.which("uv")
    assert uv, "uv is part of the dev group: `make setup` installs it"
    return subprocess.run(
        [uv, *arguments, "--project", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )


def _exported(group: str) -> dict[str, str]:
    result = _uv(
        "export",
        "--frozen",
        "--only-group",
        group,
        "--no-emit-project",
        "--no-header",
        "--no-annotate",
        "--no-hashes",
    )
    assert result.returncode == 0, result.stderr
    pins = {}
    for line in result.stdout.splitlines():
        requirement = line.split(";")[0].strip()
        if requirement:
            name, version = requirement.split("==")
            pins[name] = version
    return pins


def test_the_lock_agrees_with_pyproject() -> None:
    result = _uv("lock", "--check", "--offline")

    assert result.returncode == 0, result.stderr


def test_every_locked_package_has_an_exact_version_and_hashes() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    unpinned = []
    for package in lock["package"]:
        if "registry" not in package["source"]:
            continue
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        if not package.get("version") or not files or not all(f.get("hash") for f in files):
            unpinned.append(package["name"])

    assert not unpinned


@pytest.mark.parametrize("group", LAMBDA_GROUPS)
def test_a_lambda_build_ships_the_versions_the_tests_run(group: str) -> None:
    shipped = _exported(group)

    assert shipped
    tested = {name: importlib.metadata.version(name) for name in shipped}
    assert shipped == tested
