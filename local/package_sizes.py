"""Unzipped size of every built function with its layers, against the project's size budget
(a share of Lambda's 250 MB limit).

`python -m local.package_sizes [--build-dir .aws-sam/build]` reads the template SAM wrote into
the build directory (CodeUri and ContentUri there name the built folders), adds up each
function's folder and its layers' folders, prints one line per function and exits 1 when one
is over the budget.
"""

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.functions import function_names, function_spec
from local.template import REPO, TemplateError, load_template

LAMBDA_UNZIPPED_LIMIT_BYTES = 262_144_000
"""What AWS counts as 250 MB: the function's code and all its layers, unzipped."""
SIZE_BUDGET_BYTES = LAMBDA_UNZIPPED_LIMIT_BYTES * 85 // 100
"""What a function with its layers may take: 85% of the limit, so that the next release of a
dependency (SciPy and scikit-learn grow with each) cannot break a deploy unnoticed."""
DEFAULT_BUILD_DIR = REPO / ".aws-sam" / "build"
_MB = 1024 * 1024


@dataclass(frozen=True)
class BuiltFunction:
    """A function as SAM built it: folders Lambda unpacks to /var/task and /opt."""

    logical_id: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]

    @property
    def import_paths(self) -> list[Path]:
        """Where Lambda's Python finds the function's modules, in its order: /var/task, then
        each layer's python/ (under /opt), before /var/runtime."""
        return [self.code_dir, *(layer / "python" for layer in self.layer_dirs)]


@dataclass(frozen=True)
class PackageSize:
    logical_id: str
    code_bytes: int
    layer_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.code_bytes + self.layer_bytes

    @property
    def within_budget(self) -> bool:
        return self.total_bytes <= SIZE_BUDGET_BYTES


def built_functions(build_dir: Path) -> list[BuiltFunction]:
    """Every function of the built template with its built code and layer folders."""
    template_path = build_dir / "template.yaml"
    if not template_path.is_file():
        raise TemplateError(f"no built template at {template_path}: run `sam build` first")
    template: Mapping[str, Any] = load_template(template_path)
    functions = []
    for logical_id in function_names(template):
        spec = function_spec(template, logical_id, build_dir)
        functions.append(
            BuiltFunction(logical_id, spec.handler, spec.code_dir, tuple(spec.layer_dirs))
        )
    return functions


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under `folder`, as the zip SAM uploads would unpack them."""
    if not folder.is_dir():
        raise TemplateError(f"built folder {folder} is missing")
    total = 0
    for root, _, files in os.walk(folder):
        total += sum((Path(root) / name).stat().st_size for name in files)
    return total


def measure(build_dir: Path) -> list[PackageSize]:
    layer_bytes: dict[Path, int] = {}
    sizes = []
    for function in built_functions(build_dir):
        for layer in function.layer_dirs:
            layer_bytes.setdefault(layer, folder_bytes(layer))
        sizes.append(
            PackageSize(
                function.logical_id,
                code_bytes=folder_bytes(function.code_dir),
                layer_bytes=sum(layer_bytes[layer] for layer in function.layer_dirs),
            )
        )
    return sizes


def report(sizes: list[PackageSize]) -> str:
    limit_mb, budget_mb = LAMBDA_UNZIPPED_LIMIT_BYTES / _MB, SIZE_BUDGET_BYTES / _MB
    budget_share = SIZE_BUDGET_BYTES / LAMBDA_UNZIPPED_LIMIT_BYTES
    header = f"{'function':<26}{'code MB':>10}{'layers MB':>11}{'total MB':>10}{'of limit':>10}"
    lines = [f"{header}  limit {limit_mb:.0f} MB, budget {budget_mb:.1f} MB ({budget_share:.0%})"]
    for size in sizes:
        verdict = "ok" if size.within_budget else "OVER BUDGET"
        lines.append(
            f"{size.logical_id:<26}{size.code_bytes / _MB:>10.1f}{size.layer_bytes / _MB:>11.1f}"
            f"{size.total_bytes / _MB:>10.1f}"
            f"{size.total_bytes / LAMBDA_UNZIPPED_LIMIT_BYTES:>10.1%}  {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.package_sizes", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    arguments = parser.parse_args(argv)
    try:
        sizes = measure(arguments.build_dir.resolve())
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(sizes))
    return 0 if all(size.within_budget for size in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())


# What /var/runtime holds next to the code in the python3.13 runtime: the AWS SDK and
# snapshot_restore_py (the SnapStart runtime hooks). The builds strip them from the packages.
RUNTIME_MODULES = (
    *("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"),
    "snapshot_restore_py",
)


def runtime_stand_in(folder: Path) -> Path:
    """`folder` made to hold what Lambda's /var/runtime offers a function and nothing else
    (links into this environment), so a built package is imported as Lambda imports it."""
    from importlib.util import find_spec

    for name in RUNTIME_MODULES:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            raise TemplateError(f"{name} (provided by the Lambda runtime) is not installed here")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder
