"""The figures of README.md and docs/*.md, rendered from bench/results.json.

`python -m bench.readme [--check] [--results bench/results.json] [FILE ...]`

Every figures block of the files (README.md and docs/*.md unless named) is rendered from the
results (bench.render); the prose around the blocks is hand-written. Without `--check` the
blocks are rewritten in place; with it, nothing is written and the exit status is 1, with a
diff, when a file and the results disagree.
"""

import argparse
import difflib
import sys
from pathlib import Path

from bench.files import REPO, RESULTS_JSON, read_json
from bench.render import render


def documents(root: Path = REPO) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def diff(path: Path, results: Path) -> str:
    """The unified diff from the file to the file rendered from the results: empty when they
    agree."""
    current = path.read_text()
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            render(current, read_json(results)).splitlines(keepends=True),
            fromfile=f"{path.name} (committed)",
            tofile=f"{path.name} (from {results.name})",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.readme", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on a diff")
    parser.add_argument("--results", type=Path, default=RESULTS_JSON)
    parser.add_argument("files", type=Path, nargs="*", help="default: README.md, docs/*.md")
    args = parser.parse_args(argv)
    disagree = []
    for path in args.files or documents():
        if args.check:
            if found := diff(path, args.results):
                sys.stdout.write(found)
                disagree.append(path)
            continue
        current = path.read_text()
        rendered = render(current, read_json(args.results))
        if rendered != current:
            path.write_text(rendered)
            print(f"rewrote the figures of {path} from {args.results}")
    if disagree:
        names = ", ".join(str(path) for path in disagree)
        print(f"\n{names} disagree with {args.results}: run `python -m bench.readme`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
