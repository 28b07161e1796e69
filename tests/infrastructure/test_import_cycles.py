"""No import cycle among the project's own modules (the layer, the ETL and training, the local
stack, the benchmarks, the functions): a cycle means two modules that cannot be understood, or
changed, one without the other. Read from the source with `ast`, so an import inside a function,
which only hides a cycle until that function runs, counts too."""

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "streamcat": "layers/common/streamcat",
    "streamcat_etl": "etl/load/streamcat_etl",
    "streamcat_train": "etl/train/streamcat_train",
    "local": "local",
    "bench": "bench",
    "functions": "functions",
}
"""Each top-level package by the folder it is imported from."""

Graph = dict[str, set[str]]


def modules(root: Path, packages: dict[str, str]) -> dict[str, Path]:
    """Every module of the packages by its dotted name (a package by its `__init__`'s)."""
    found = {}
    for package, folder in packages.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = [package, *path.relative_to(root / folder).with_suffix("").parts]
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_names(name: str, path: Path) -> Iterator[str]:
    """The dotted names the module imports, relative imports resolved, a `from` import's
    names as submodules (`from a import b` may import `a.b`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def import_graph(root: Path = REPO, packages: dict[str, str] = PACKAGES) -> Graph:
    """Module -> the project's modules it imports."""
    found = modules(root, packages)
    return {
        name: {target for target in imported_names(name, path) if target in found} - {name}
        for name, path in found.items()
    }


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_project_has_no_import_cycle() -> None:
    graph = import_graph()
    assert {"bench.suite", "bench.scale", "streamcat.api.registry"} <= graph.keys()
    assert not cycles(graph), "\n".join(" <-> ".join(cycle) for cycle in cycles(graph))


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "scale.py").write_text("def env():\n    from bench.suite import env\n")
    (tmp_path / "bench" / "suite.py").write_text("from bench import scale\n")
    (tmp_path / "bench" / "docs.py").write_text("from .suite import env\n")
    graph = import_graph(tmp_path, {"bench": "bench"})
    assert graph["bench.docs"] == {"bench.suite"}
    assert cycles(graph) == [["bench.scale", "bench.suite"]]
