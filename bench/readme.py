"""README.md's benchmark figures, rendered from bench/results.json.

`python -m bench.readme [--check] [--results bench/results.json] [--readme README.md]`

Every block of README.md between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->` is
generated from the results file `python -m bench.suite` writes (`benches.<name>.output` and
`comparisons`); the prose around the blocks is hand-written. Without `--check` the blocks are
rewritten in place; with it, nothing is written and the exit status is 1, with a diff, when the
README and the results disagree.

The tables are declared as data. A `Row` of the benchmarks table is a label and one cell per
column; a cell is a `Text`, a format string whose named values come from the results: `Out` (a
field of a bench's output, by dotted path), `Cmp` (a comparison of bench/suite.py: ours, its
baseline, the ratio or whether ours wins), `Span` (the range of several values, shown as
`lo` en dash `hi`) or `Calc` (any function of the results). To add a row, append a `Row` to
`BENCHMARK_ROWS`, e.g.

    Row("ETL seconds against DuckDB", (
        text("{s:.1f} s", s=Cmp("etl", "ETL seconds", "duckdb")),
        text("DuckDB: {s:.1f} s", s=Cmp("etl", "ETL seconds", "duckdb", "baseline")),
        text("{s:.0f} s", s=Cmp("etl", "ETL seconds", "budget", "baseline")),
    ))

(label, then the ours, baseline and budget cells). A row whose values the results lack fails
the rendering with the missing field named.

An ETL baseline in the ETL row's baseline cell is one entry of `ETL_BASELINES`; a method or a
metric of the recommendations table, one entry of `EVALUATE_METHODS` or `EVALUATE_METRICS`.
"""

import argparse
import difflib
import json
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from streamcat.api.registry import HTTP_FUNCTIONS as REGISTRY
from streamcat.api.registry import Kind, of_kind

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
RESULTS_JSON = REPO / "bench" / "results.json"
MB = 1024 * 1024
EN_DASH, TIMES = "\u2013", "\u00d7"
Results = Mapping[str, Any]

SEED_QUERIES = tuple(f.name for f in of_kind(Kind.SEED_QUERY))
"""The six queries the seed had: each has the seed's implementation beside ours."""
BROWSE_FUNCTIONS = tuple(f.name for f in of_kind(Kind.BROWSE))
QUERY_FUNCTIONS = (*SEED_QUERIES, *BROWSE_FUNCTIONS)
"""Every query function: the seed's six and the browse routes."""
HTTP_FUNCTIONS = tuple(f.logical_id for f in REGISTRY if f.kind is not Kind.DOCS)
"""The HTTP functions sharing the API layer (the docs function, with its assets, apart)."""


# --- values read from the results ---------------------------------------------------------


class Value(Protocol):
    def get(self, results: Results) -> Any: ...


def _output(results: Results, bench: str) -> Any:
    entry = results["benches"].get(bench)
    if not entry or entry.get("status") != "ok":
        raise KeyError(f"bench {bench!r} has no output in the results")
    return entry["output"]


@dataclass(frozen=True)
class Out:
    """A field of `benches.<bench>.output`: a dotted path (list indices as integers, -1 the
    last), divided by `per` when it is a number (`per=MB` for bytes shown in MB)."""

    bench: str
    path: str
    per: float = 1.0

    def get(self, results: Results) -> Any:
        found = _output(results, self.bench)
        for key in self.path.split("."):
            found = found[int(key)] if isinstance(found, list) else found[key]
        if isinstance(found, (int, float)) and self.per != 1.0:
            return found / self.per
        return found


@dataclass(frozen=True)
class Cmp:
    """A comparison of bench/suite.py (bench, what, baseline name): `side` 'value' is ours,
    'baseline' the baseline's, 'ratio' ours / baseline, 'wins' whether ours is better."""

    bench: str
    what: str
    baseline: str
    side: str = "value"

    def get(self, results: Results) -> Any:
        for comparison in results["comparisons"]:
            if (comparison["bench"], comparison["what"], comparison["baseline_name"]) == (
                self.bench,
                self.what,
                self.baseline,
            ):
                return comparison[self.side]
        raise KeyError(f"no comparison {self.what!r} against {self.baseline!r} in {self.bench}")


@dataclass(frozen=True)
class Range:
    """Formats as lo, en dash, hi; or as one number when both ends format alike."""

    lo: float
    hi: float

    def __format__(self, spec: str) -> str:
        lo, hi = format(self.lo, spec), format(self.hi, spec)
        return lo if lo == hi else f"{lo}{EN_DASH}{hi}"


@dataclass(frozen=True)
class Span:
    values: tuple[Value, ...]

    def get(self, results: Results) -> Range:
        found = [value.get(results) for value in self.values]
        return Range(min(found), max(found))


@dataclass(frozen=True)
class Calc:
    fn: Callable[[Results], Any]

    def get(self, results: Results) -> Any:
        return self.fn(results)


def each(bench: str, template: str, keys: Sequence[str], per: float = 1.0) -> Span:
    """The range of `template.format(key)` over `keys`."""
    return Span(tuple(Out(bench, template.format(key), per) for key in keys))


OVER = ": **over**"


def missed(bench: str, *whats: str) -> Calc:
    """OVER when any of these comparisons against the budget is lost, else nothing: every
    budget figure of the table is followed by one, so no missed budget reads as met."""
    return Calc(
        lambda r: OVER if any(not Cmp(bench, w, "budget", "wins").get(r) for w in whats) else ""
    )


def exceeds(figures: Span, budget: Value) -> Calc:
    """`missed` for figures the results compare with no budget: OVER when the highest is over."""
    return Calc(lambda r: OVER if figures.get(r).hi > budget.get(r) else "")


# --- cells, rows, tables ------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A format string (`str.format`) over named values."""

    template: str
    values: Mapping[str, Value] = field(default_factory=dict)

    def render(self, results: Results) -> str:
        return self.template.format(**{k: v.get(results) for k, v in self.values.items()})


def text(template: str, **values: Value) -> Text:
    return Text(template, values)


Cell = Text | str


def _cell(cell: Cell, results: Results) -> str:
    return cell if isinstance(cell, str) else cell.render(results)


@dataclass(frozen=True)
class Row:
    label: Cell
    cells: tuple[Cell, ...]


def markdown_table(header: Sequence[str], align: Sequence[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- the benchmarks block -----------------------------------------------------------------


def _etl_baseline(name: str, label: str) -> tuple[str, Text]:
    """A baseline pipeline's cell: its median seconds with their spread, and its peak."""
    pipeline = f"pipelines.{name}"
    return name, text(
        label + ": {s:,.1f} s ({lo:,.1f}{dash}{hi:,.1f}), {mb:,.0f} MB peak",
        s=Out("etl", f"{pipeline}.seconds.median"),
        lo=Out("etl", f"{pipeline}.seconds.min"),
        hi=Out("etl", f"{pipeline}.seconds.max"),
        mb=Out("etl", f"{pipeline}.peak_rss_mb.median"),
        dash=Calc(lambda _: EN_DASH),
    )


ETL_BASELINES: list[tuple[str, Text]] = [
    _etl_baseline(
        "duckdb", "DuckDB (`read_csv`, `GROUP BY`, `COPY` to Parquet and into PostgreSQL)"
    ),
    _etl_baseline(
        "seed", "the seed's pandas (`read_csv`, cleaning, `to_sql`, `groupby`, `to_parquet`)"
    ),
]
"""The ETL's baselines in the same run: (comparison baseline name, its cell), in the order of
the cell. A baseline the results have no comparison against is left out."""


def _etl_baselines(results: Results) -> str:
    names = {c["baseline_name"] for c in results["comparisons"] if c["bench"] == "etl"}
    return "; ".join(cell.render(results) for name, cell in ETL_BASELINES if name in names)


def _ratings_millions(results: Results) -> str:
    return f"{results['settings']['ratings'] / 1e6:,.0f}M"


def _load_errors(level: Mapping[str, Any]) -> int:
    from bench.load import count_errors

    return sum(sum(statuses.values()) for statuses in count_errors(level["by_route"]).values())


def _load_summary(results: Results) -> str:
    levels = _output(results, "load")["levels"]
    first, last = levels[0], levels[-1]
    peak = max(levels, key=lambda level: level["throughput_rps"])
    summary = (
        f"{first['throughput_rps']:,.0f} → {last['throughput_rps']:,.0f} req/s at"
        f" {first['concurrency']} → {last['concurrency']} clients"
    )
    if peak is not last:
        summary += f" ({peak['throughput_rps']:,.0f} at {peak['concurrency']})"
    summary += f", p99 {first['p99_ms']:,.0f} → {last['p99_ms']:,.0f} ms, "
    errors = [_load_errors(level) for level in levels]
    if not any(errors):
        return summary + "**0 errors**"
    counts = ", ".join(
        f"{n:,} of {level['requests']:,}" for n, level in zip(errors, levels, strict=True)
    )
    clients = ", ".join(str(level["concurrency"]) for level in levels)
    return summary + f"**errors: {counts}** ({clients} clients)"


def _load_errors_sentence(results: Results) -> str:
    """Which routes erred with which statuses, over all levels, and which were not ready when
    the measure began; empty when every answer was right."""
    from bench.load import count_errors

    out = _output(results, "load")
    not_ready = ", ".join(f"`{route}`" for route in out.get("not_ready_at_start", []))
    totals: dict[tuple[str, str], int] = {}
    for level in out["levels"]:
        for route, statuses in count_errors(level["by_route"]).items():
            for status, n in statuses.items():
                totals[route, status] = totals.get((route, status), 0) + n
    if not totals:
        return ""
    parts = ", ".join(
        f"`{route}` {n:,} {TIMES} {status}" for (route, status), n in sorted(totals.items())
    )
    return "\n\n" + _paragraph(
        "Load-test errors (every answer a route is not meant to give, `bench/load.py`), all"
        f" levels together: {parts}."
        + (f" Not ready (503) when the measure began: {not_ready}." if not_ready else "")
    )


def _paragraph(sentences: str) -> str:
    return textwrap.fill(sentences, width=99, break_long_words=False, break_on_hyphens=False)


BENCHMARK_HEADER = ("what", "ours", "baselines in the same run", "budget (SPEC §6)")
BENCHMARK_ALIGN = ("---", "---:", "---:", "---:")
BENCHMARK_ROWS: list[Row] = [
    Row(
        text(
            "ETL, {titles:,} titles + {ratings} ratings: raw CSV in S3 to catalog + Parquet +"
            " training manifest (median of {runs} runs, each pipeline in a process of its own on"
            " a fresh database and bucket, ours from its `sam build` package, outputs checked"
            " equal)",
            titles=Out("etl", "titles_rows"),
            ratings=Calc(_ratings_millions),
            runs=Out("etl", "runs"),
        ),
        (
            text(
                "**{s:.1f} s** ({lo:.1f}{dash}{hi:.1f}), {mb:,.0f} MB peak; before it, the"
                " function's init (imports, S3 client) {init:.2f} s",
                s=Out("etl", "pipelines.ours.seconds.median"),
                lo=Out("etl", "pipelines.ours.seconds.min"),
                hi=Out("etl", "pipelines.ours.seconds.max"),
                mb=Out("etl", "pipelines.ours.peak_rss_mb.median"),
                dash=Calc(lambda _: EN_DASH),
                init=Out("etl", "pipelines.ours.init_s.median"),
            ),
            text("{cell}", cell=Calc(_etl_baselines)),
            text(
                "{s:.0f} s{over_s}, {gb:.1f} GB{over_gb}",
                s=Cmp("etl", "ETL seconds", "budget", "baseline"),
                over_s=missed("etl", "ETL seconds"),
                gb=Calc(lambda r: Cmp("etl", "ETL peak RSS", "budget", "baseline").get(r) / 1024),
                over_gb=missed("etl", "ETL peak RSS"),
            ),
        ),
    ),
    Row(
        text("training the model on those {ratings} ratings", ratings=Calc(_ratings_millions)),
        (
            text(
                "{s:.1f} s, {mb:,.0f} MB peak",
                s=Out("etl", "pipelines.ours.train_s.median"),
                mb=Out("etl", "pipelines.ours.train_peak_rss_mb.median"),
            ),
            "",
            text(
                "{s:.0f} s{over}",
                s=Cmp("etl", "training seconds", "budget", "baseline"),
                over=missed("etl", "training seconds"),
            ),
        ),
    ),
    Row(
        text(
            "query handler warm p50 / p99 ({calls:,} calls, the six seed queries)",
            calls=Out("queries", "calls"),
        ),
        (
            text(
                "{p50:.2f} ms / {p99:.2f} ms",
                p50=each("queries", "queries.{}.handler.warm_p50_ms", SEED_QUERIES),
                p99=each("queries", "queries.{}.handler.warm_p99_ms", SEED_QUERIES),
            ),
            text(
                "the seed's f-string SQL on one cursor: {p50:.2f} ms / {p99:.2f} ms",
                p50=each("queries", "queries.{}.seed.warm_p50_ms", SEED_QUERIES),
                p99=each("queries", "queries.{}.seed.warm_p99_ms", SEED_QUERIES),
            ),
            text(
                "{p50:.0f} ms{over_p50} / {p99:.0f} ms{over_p99}",
                p50=Out("queries", "budgets_ms.warm_p50"),
                over_p50=exceeds(
                    each("queries", "queries.{}.handler.warm_p50_ms", SEED_QUERIES),
                    Out("queries", "budgets_ms.warm_p50"),
                ),
                p99=Out("queries", "budgets_ms.warm_p99"),
                over_p99=exceeds(
                    each("queries", "queries.{}.handler.warm_p99_ms", SEED_QUERIES),
                    Out("queries", "budgets_ms.warm_p99"),
                ),
            ),
        ),
    ),
    Row(
        text(
            "`/titles` (`q` and two filters) / `/titles/{{id}}` warm p99 ({calls:,} calls)",
            calls=Out("queries", "calls"),
        ),
        (
            text(
                "{titles:.2f} ms / {detail:.2f} ms",
                titles=Out("queries", "queries.titles.handler.warm_p99_ms"),
                detail=Out("queries", "queries.title_detail.handler.warm_p99_ms"),
            ),
            "",
            text(
                "{ms:.0f} ms{over}",
                ms=Out("queries", "budgets_ms.browse_warm_p99"),
                over=missed("queries", *(f"{name} p99" for name in BROWSE_FUNCTIONS)),
            ),
        ),
    ),
    Row(
        "query Lambda cold start, the six seed queries (fresh interpreter from the venv, import"
        " + first answer)",
        (
            text("{ms:.0f} ms", ms=each("queries", "queries.{}.handler.cold_ms", SEED_QUERIES)),
            text(
                "seed's approach: {ms:.0f} ms",
                ms=each("queries", "queries.{}.seed.cold_ms", SEED_QUERIES),
            ),
            text(
                "{ms:.0f} ms{over}",
                ms=Out("queries", "budgets_ms.cold"),
                over=exceeds(
                    each("queries", "queries.{}.handler.cold_ms", SEED_QUERIES),
                    Out("queries", "budgets_ms.cold"),
                ),
            ),
        ),
    ),
    Row(
        "recommendation Lambda cold start (model load from S3 included) / warm p99",
        (
            text(
                "{cold:.0f} ms / {p99:.1f} ms",
                cold=Out("recommendations", "cold_ms"),
                p99=Out("recommendations", "warm_p99_ms"),
            ),
            "",
            text(
                "{cold:.0f} ms{over_cold} / {p99:.0f} ms{over_p99}",
                cold=Out("recommendations", "budget_ms.cold"),
                over_cold=missed("recommendations", "cold start"),
                p99=Out("recommendations", "budget_ms.warm_p99"),
                over_p99=missed("recommendations", "warm p99"),
            ),
        ),
    ),
    Row(
        "HTTP functions, cold init from the built package with production start-up (tracing,"
        " secret from Secrets Manager, TLS `verify-full`)",
        (
            text(
                "the six seed queries {q:.0f} ms, titles {t:.0f} ms, title detail {d:.0f} ms,"
                " recommendations {r:.0f} ms, docs {docs:.0f} ms",
                q=each("snapstart", "functions.{}.cold init.median_ms", SEED_QUERIES),
                t=Out("snapstart", "functions.titles.cold init.median_ms"),
                d=Out("snapstart", "functions.title_detail.cold init.median_ms"),
                r=Out("snapstart", "functions.recommendations.cold init.median_ms"),
                docs=Out("snapstart", "functions.docs.cold init.median_ms"),
            ),
            text(
                "the seed's approach (dev venv, no tracing, DSN, no TLS): {ms:.0f} ms",
                ms=each("snapstart", "functions.{}.cold init.seed_ms", SEED_QUERIES),
            ),
            text(
                "{q:.0f} ms{over_q} / {r:.0f} ms{over_r}",
                q=Out("snapstart", "functions.max_duration.cold init.budget_ms"),
                over_q=missed("snapstart", *(f"{q} cold init" for q in (*QUERY_FUNCTIONS, "docs"))),
                r=Out("snapstart", "functions.recommendations.cold init.budget_ms"),
                over_r=missed("snapstart", "recommendations cold init"),
            ),
        ),
    ),
    Row(
        "SnapStart restore stand-in (fork of a snapshotted process to first answer)",
        (
            text(
                "queries {q:.1f} ms, recommendations {r:.1f} ms, docs {docs:.1f} ms",
                q=each("snapstart", "functions.{}.restore.median_ms", QUERY_FUNCTIONS),
                r=Out("snapstart", "functions.recommendations.restore.median_ms"),
                docs=Out("snapstart", "functions.docs.restore.median_ms"),
            ),
            "",
            text(
                "{q:.0f} ms{over_q} / {r:.0f} ms{over_r}",
                q=Out("snapstart", "functions.max_duration.restore.budget_ms"),
                over_q=missed("snapstart", *(f"{q} restore" for q in (*QUERY_FUNCTIONS, "docs"))),
                r=Out("snapstart", "functions.recommendations.restore.budget_ms"),
                over_r=missed("snapstart", "recommendations restore"),
            ),
        ),
    ),
    Row(
        "package sizes with layers (`make build`, arm64)",
        (
            text(
                "HTTP functions {http:.0f} MB (docs {docs:.0f} MB), ETL {etl:.0f} MB,"
                " training {train:.0f} MB",
                http=each("package_sizes", "functions.{}.total_bytes", HTTP_FUNCTIONS, MB),
                docs=Out("package_sizes", "functions.DocsFunction.total_bytes", MB),
                etl=Out("package_sizes", "functions.EtlFunction.total_bytes", MB),
                train=Out("package_sizes", "functions.TrainFunction.total_bytes", MB),
            ),
            "",
            text(
                "{mb:.0f} MB{over}",
                mb=Out("package_sizes", "limit_bytes", MB),
                over=exceeds(
                    each(
                        "package_sizes",
                        "functions.{}.total_bytes",
                        (*HTTP_FUNCTIONS, "DocsFunction", "EtlFunction", "TrainFunction"),
                        MB,
                    ),
                    Out("package_sizes", "limit_bytes", MB),
                ),
            ),
        ),
    ),
    Row(
        text(
            "load test through the local stack's API Gateway and function containers"
            " ({ratings} ratings loaded, every route, {s:.0f} s)",
            ratings=Calc(_ratings_millions),
            s=Out("load", "duration_s"),
        ),
        (text("{summary}", summary=Calc(_load_summary)), "", ""),
    ),
]


def benchmarks_block(results: Results) -> str:
    rows = [
        [_cell(row.label, results)] + [_cell(c, results) for c in row.cells]
        for row in BENCHMARK_ROWS
    ]
    # `make bench` reruns the table's benches into the results with --merge: their date is the
    # merge's, not that of the run that first wrote the file.
    measured = results.get("merged_at", results["generated_at"])
    when = datetime.fromisoformat(measured).date().isoformat()
    restore = each("snapstart", "functions.{}.restore.median_ms", QUERY_FUNCTIONS).get(results)
    return (
        f"Measured on the {results['cores']}-core development machine"
        f" (`make bench`, {when}):\n\n"
        + markdown_table(BENCHMARK_HEADER, BENCHMARK_ALIGN, rows)
        + _load_errors_sentence(results)
        + "\n\n"
        + _paragraph(
            "With SnapStart, users never pay a query function's cold init: a restore answers in"
            f" {restore:.0f} ms."
        )
    )


# --- the recommendations block ------------------------------------------------------------

EVALUATE_METHODS: list[tuple[str, str]] = [
    ("streamcat", "ours"),
    ("streamcat_chosen", "validation's pick"),
    ("item_knn", "item kNN"),
    ("svd_only", "SVD only"),
    ("svd_boosted", "SVD + boost"),
    ("content_only", "content only"),
    ("seed_kmeans", "seed KMeans"),
    ("popularity", "popularity"),
]
"""(method in `evaluate.output.methods`, column header), in column order; a method the results
lack has no column."""


def _fixed(digits: int) -> Callable[[Mapping[str, Any], str], str | None]:
    def fmt(method: Mapping[str, Any], metric: str) -> str | None:
        return f"{method[metric]:.{digits}f}" if metric in method else None

    return fmt


def _percent(method: Mapping[str, Any], metric: str) -> str | None:
    return f"{method[metric] * 100:.2f}%" if metric in method else None


def _distinct_lists(method: Mapping[str, Any], metric: str) -> str | None:
    if metric not in method:
        return None
    return f"{method[metric]:,} / {method.get(metric + '_top100', 0):,}"


EVALUATE_METRICS: list[tuple[str, str, Callable[[Mapping[str, Any], str], str | None]]] = [
    ("hit rate@5 (held-out liked titles)", "hit_rate@5", _fixed(3)),
    ("NDCG@5", "ndcg@5", _fixed(3)),
    ("hit rate@10 (held-out liked titles)", "hit_rate@10", _fixed(3)),
    ("NDCG@10", "ndcg@10", _fixed(3)),
    ("catalog coverage@5", "coverage@5", _percent),
    ("catalog coverage@10", "coverage@10", _percent),
    ("genre coherence of the lists", "genre_coherence", _fixed(3)),
    ("similarity of the generator's hidden tastes", "true_taste_similarity", _fixed(3)),
    ("distinct lists (all titles / 100 most rated)", "distinct_lists", _distinct_lists),
]
"""(row label, metric, format), in row order; higher is better for each, and the best value of
a row is bold. A metric no method has gets no row; a method without it shows an en dash."""


def recommendations_block(results: Results) -> str:
    """One table per generator family, the default one first."""
    out = _output(results, "evaluate")
    default = out.get("default_family", "genre")
    families = out.get("families") or {default: {"methods": out["methods"]}}
    order = [default, *sorted(f for f in families if f != default)]
    return "\n\n".join(
        f"**{family} generator**\n\n" + _methods_table(out, families[family]["methods"])
        for family in order
    )


def _methods_table(out: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    methods = [(key, header) for key, header in EVALUATE_METHODS if key in results]
    header = (
        f"{out['ratings'] / 1e6:,.0f} million ratings, {out['queries']:,} queries",
        *(name for _, name in methods),
    )
    rows = []
    for label, metric, fmt in EVALUATE_METRICS:
        figures = [results[key] for key, _ in methods]
        if not any(metric in figure for figure in figures):
            continue
        best = max(figure[metric] for figure in figures if metric in figure)
        cells = []
        for figure in figures:
            shown = fmt(figure, metric)
            if shown is None:
                cells.append(EN_DASH)
            else:
                cells.append(f"**{shown}**" if figure[metric] == best else shown)
        rows.append([label, *cells])
    return markdown_table(header, ("---", *("---:" for _ in methods)), rows)


BLOCKS: dict[str, Callable[[Results], str]] = {
    "benchmarks": benchmarks_block,
    "recommendations": recommendations_block,
}


# --- rewriting the README -----------------------------------------------------------------


def render(readme: str, results: Results) -> str:
    """`readme` with every figures block rendered from `results`: what lies between each
    block's opening and closing marker is replaced, the rest kept as it is."""
    for name, block in BLOCKS.items():
        readme = replace_block(readme, name, block(results))
    return readme


def replace_block(document: str, name: str, body: str) -> str:
    """`document` with what lies between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`
    replaced by `body`; ValueError when it has no such block."""
    opening, closing = f"<!-- figures:{name} -->\n", f"<!-- /figures:{name} -->"
    start = document.find(opening)
    end = document.find(closing, start + len(opening)) if start >= 0 else -1
    if end < 0:
        raise ValueError(f"the document has no {opening.strip()} ... {closing} block")
    return document[: start + len(opening)] + body + "\n" + document[end:]


def diff(readme_path: Path, results_path: Path) -> str:
    """The unified diff from the README to the README rendered from the results: empty when
    they agree."""
    current = readme_path.read_text()
    rendered = render(current, json.loads(results_path.read_text()))
    return rendered_diff(readme_path, current, rendered, results_path)


def rendered_diff(path: Path, current: str, rendered: str, source: Path) -> str:
    """The unified diff from `path`'s committed text to the text rendered from `source`."""
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            fromfile=f"{path.name} (committed)",
            tofile=f"{path.name} (from {source.name})",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.readme", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on a diff")
    parser.add_argument("--results", type=Path, default=RESULTS_JSON)
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    if args.check:
        found = diff(args.readme, args.results)
        if found:
            sys.stdout.write(found)
            print(f"\n{args.readme} disagrees with {args.results}: run `python -m bench.readme`")
            return 1
        return 0
    current = args.readme.read_text()
    rendered = render(current, json.loads(args.results.read_text()))
    if rendered != current:
        args.readme.write_text(rendered)
        print(f"rewrote the figures of {args.readme} from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
