"""The figure blocks of README.md and docs/*.md, rendered from bench/results.json with Jinja2.

`python -m bench.readme [--check] [--results bench/results.json] [FILE ...]`

A block is what lies between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`; its body is
`bench/templates/NAME.md.j2` rendered with the results (`results`: the whole file; `out`: the
output of each bench that ran), so a page's figures are always a function of the results, and
a template that reads a field the results lack fails, naming it. The prose around the blocks is
hand-written. Without `--check` the blocks are rewritten in place; with it nothing is written,
and the exit status is 1, with a diff, when a file and the results disagree.
"""

import argparse
import difflib
import functools
import operator
import re
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from bench.comparisons import errors
from bench.harness import REPO, RESULTS_JSON, read_json
from bench.load import count_errors
from streamcat.api.registry import HTTP_FUNCTIONS, Kind, of_kind

Results = Mapping[str, Any]
BLOCK = re.compile(r"(<!-- figures:([\w-]+) -->\n).*?(<!-- /figures:\2 -->)", re.DOTALL)
EN_DASH = "\u2013"
OVER = ": **over**"
"""Follows a budget a figure missed, so no missed budget reads as met."""


@dataclass(frozen=True)
class Range:
    """Formats as lo, en dash, hi; or as one number when both ends format alike."""

    lo: float
    hi: float

    def __format__(self, spec: str) -> str:
        lo, hi = format(self.lo, spec), format(self.hi, spec)
        return lo if lo == hi else f"{lo}{EN_DASH}{hi}"


def span(figures: Mapping[str, Any], names: list[str], path: str, per: float = 1.0) -> Range:
    """The range of `figures[name]` at the dotted `path`, over `names`, divided by `per`."""
    found = [functools.reduce(operator.getitem, path.split("."), figures[n]) / per for n in names]
    return Range(min(found), max(found))


def comparison(results: Results, bench: str, what: str, baseline: str) -> Mapping[str, Any]:
    found: Mapping[str, Any]
    for found in results["comparisons"]:
        if (found["bench"], found["what"], found["baseline_name"]) == (bench, what, baseline):
            return found
    raise KeyError(f"no comparison {what!r} against {baseline!r} in {bench}")


def missed(results: Results, bench: str, whats: str | list[str]) -> str:
    """OVER when any of these comparisons against the budget is lost."""
    names = [whats] if isinstance(whats, str) else whats
    lost = any(not comparison(results, bench, what, "budget")["wins"] for what in names)
    return OVER if lost else ""


def load_errors(out: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(route, status, count) of every wrong answer of the load test, all levels together."""
    totals: Counter[tuple[str, str]] = Counter()
    for level in out["levels"]:
        for route, statuses in count_errors(level["by_route"]).items():
            totals.update({(route, status): n for status, n in statuses.items()})
    return [(route, status, n) for (route, status), n in sorted(totals.items())]


def formatted(value: Any, spec: str) -> str:
    """`format`, failing on a missing field as every other use of it does, naming it."""
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined raises
    return format(value, spec)


def number(value: Any, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "n/a"


def count(value: float) -> str:
    """1.1B, 110M, 200k."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:,.{1 if value < 10 * size else 0}f}{suffix}"
    return f"{value:,.0f}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPO / "bench" / "templates"),
        autoescape=jinja2.select_autoescape(),  # Markdown: nothing to escape
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(f=formatted, number=number, count=count, errors=errors)
    env.globals.update(
        span=span,
        each=lambda names, template: [template.format(name) for name in names],
        load_errors=load_errors,
        over=lambda value, budget: OVER if value > budget else "",
        MB=1024 * 1024,
        SEED_QUERIES=[f.name for f in of_kind(Kind.SEED_QUERY)],
        QUERY_FUNCTIONS=[f.name for f in (*of_kind(Kind.SEED_QUERY), *of_kind(Kind.BROWSE))],
        BROWSE_FUNCTIONS=[f.name for f in of_kind(Kind.BROWSE)],
        HTTP_FUNCTIONS=[f.logical_id for f in HTTP_FUNCTIONS if f.kind is not Kind.DOCS],
    )
    return env


def render(document: str, results: Results) -> str:
    """`document` with every figures block rendered from `results`, the rest kept as it is."""
    env = environment()
    values = {
        "results": results,
        "out": {name: b["output"] for name, b in results["benches"].items() if b["status"] == "ok"},
        "cmp": lambda bench, what, baseline, side="value": comparison(
            results, bench, what, baseline
        )[side],
        "missed": lambda bench, whats: missed(results, bench, whats),
    }

    def block(found: re.Match[str]) -> str:
        body = env.get_template(f"{found[2]}.md.j2").render(values).rstrip("\n")
        return f"{found[1]}{body}\n{found[3]}"

    return BLOCK.sub(block, document)


def block_names(document: str) -> list[str]:
    return [found[2] for found in BLOCK.finditer(document)]


def documents(root: Path = REPO) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def diff(path: Path, results: Path) -> str:
    """The unified diff from the file to the file rendered from the results: empty if equal."""
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
        if args.check and (found := diff(path, args.results)):
            sys.stdout.write(found)
            disagree.append(path)
        elif not args.check and (current := path.read_text()) != (
            rendered := render(current, read_json(args.results))
        ):
            path.write_text(rendered)
            print(f"rewrote the figures of {path} from {args.results}")
    if disagree:
        names = ", ".join(str(path) for path in disagree)
        print(f"\n{names} disagree with {args.results}: run `python -m bench.readme`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
