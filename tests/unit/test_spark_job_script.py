"""The Spark job ships as one file to EMR Serverless, whose image runs Python 3.9 with pyspark
and numpy: it must parse as 3.9 and import nothing else (no dependency archive goes with it)."""

import ast
import sys

from tests.support.spark import JOB_SCRIPT

SHIPPED_WITH_THE_IMAGE = {"pyspark", "numpy"}


def test_the_job_parses_as_python_3_9() -> None:
    ast.parse(JOB_SCRIPT.read_text(), feature_version=(3, 9))


def test_the_job_imports_only_the_standard_library_pyspark_and_numpy() -> None:
    tree = ast.parse(JOB_SCRIPT.read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }

    assert imported - SHIPPED_WITH_THE_IMAGE <= set(sys.stdlib_module_names) | {"__future__"}
    assert imported >= SHIPPED_WITH_THE_IMAGE
