"""Which packages may import which: the tests build on everything, nothing builds on the tests,
and the deployed code (layers, functions, ETL) builds on neither the benchmarks nor the local
stack. Read from the source with `ast`, so an import inside a function counts too."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOYED = ("layers", "functions", "etl")
DEVELOPMENT = ("bench", "local")
# What each folder's code must never import (the top-level package names).
FORBIDDEN = {
    **dict.fromkeys(DEVELOPMENT, frozenset({"tests"})),
    **dict.fromkeys(DEPLOYED, frozenset({"tests", "bench", "local"})),
}


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_forbidden_imports(folder: str) -> None:
    files = sorted((REPO / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}/"
    offending = [
        f"{path.relative_to(REPO)}:{line} imports {package}"
        for path in files
        for line, package in sorted(imported_packages(path))
        if package in FORBIDDEN[folder]
    ]
    assert not offending, "\n".join(offending)


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import os\n"
        "from . import sibling\n"
        "def f():\n"
        "    from tests.support.etl import Etl\n"
        "    import bench.queries as q\n"
    )
    assert imported_packages(module) == {(1, "os"), (4, "tests"), (5, "bench")}
