"""The figures of README.md and docs/*.md are the committed bench/results.json's: `python -m
bench.readme --check` passes on the repository, and fails, with a diff, on a copy of the results
with one number changed; every block has its template and every template its block."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.harness import REPO, RESULTS_JSON
from bench.readme import EN_DASH, block_names, diff, documents, main, render


def _together() -> str:
    """Every document holding figures blocks, joined: all of their blocks rendered at once."""
    texts = (path.read_text() for path in documents())
    return "\n".join(text for text in texts if "<!-- figures:" in text)


TEMPLATES = REPO / "bench" / "templates"


def _results() -> dict[str, Any]:
    results: dict[str, Any] = json.loads(RESULTS_JSON.read_text())
    return results


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.name)
def test_the_figures_are_the_committed_results(document: Path) -> None:
    found = diff(document, RESULTS_JSON)
    assert not found, (
        f"{document.name} disagrees with bench/results.json: run `make readme`\n{found}"
    )


def test_every_block_once_and_every_template_used() -> None:
    names = [name for document in documents() for name in block_names(document.read_text())]
    assert len(names) == len(set(names)), names
    assert sorted(names) == sorted(path.name.removesuffix(".md.j2") for path in TEMPLATES.iterdir())


def test_every_block_of_a_document_is_rendered(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "intro\n<!-- figures:scaling -->\nOLD\n<!-- /figures:scaling -->\nmiddle\n"
        "<!-- figures:recommendations -->\nOLD\n<!-- /figures:recommendations -->\noutro\n"
    )
    assert main(["--check", "--results", str(RESULTS_JSON), str(page)]) == 1
    assert main(["--results", str(RESULTS_JSON), str(page)]) == 0
    rendered = page.read_text()
    assert "OLD" not in rendered and "| 10x | 110,000,000 |" in rendered
    assert "**genre generator**" in rendered and rendered.endswith("-->\noutro\n")
    assert main(["--check", "--results", str(RESULTS_JSON), str(page)]) == 0


def test_a_block_without_a_template_fails() -> None:
    with pytest.raises(Exception, match="no-such-block"):
        render("<!-- figures:no-such-block -->\n<!-- /figures:no-such-block -->\n", _results())


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    readme, results = tmp_path / "README.md", tmp_path / "results.json"
    readme.write_text(_together())
    shutil.copyfile(RESULTS_JSON, results)
    return readme, results


def _change(results_path: Path, bench: str, path: list[str], value: object) -> None:
    results = json.loads(results_path.read_text())
    found = results["benches"][bench]["output"]
    for key in path[:-1]:
        found = found[key]
    found[path[-1]] = value
    results_path.write_text(json.dumps(results))


def test_a_changed_etl_number_is_detected(
    copies: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    readme, results = copies
    assert main(["--check", "--results", str(results), str(readme)]) == 0
    committed = _results()["benches"]["etl"]["output"]["pipelines"]["ours"]["seconds"]["median"]
    _change(results, "etl", ["pipelines", "ours", "seconds", "median"], 12.34)
    assert main(["--check", "--results", str(results), str(readme)]) == 1
    shown = capsys.readouterr().out
    assert "+| ETL" in shown and "**12.3 s**" in shown
    assert "-| ETL" in shown and f"**{committed:.1f} s**" in shown


def test_a_field_the_results_lack_fails_naming_it() -> None:
    results = _results()
    del results["benches"]["queries"]["output"]["calls"]
    with pytest.raises(Exception, match="calls"):
        render(_together(), results)


def test_a_changed_recommendation_metric_is_detected(copies: tuple[Path, Path]) -> None:
    readme, results = copies
    _change(results, "evaluate", ["families", "genre", "methods", "popularity", "ndcg@10"], 0.5)
    found = diff(readme, results)
    assert "**0.500**" in found  # now the best of its row, so bold


def _budget_cell(results: dict[str, Any], row_start: str) -> str:
    table = render(_together(), results).split("<!-- figures:benchmarks -->", 1)[1]
    row = next(line for line in table.splitlines() if line.startswith(f"| {row_start}"))
    return row.rstrip(" |").rsplit(" | ", 1)[1]


@pytest.mark.parametrize("wins", [True, False])
def test_a_budget_is_marked_over_exactly_when_a_figure_misses_it(wins: bool) -> None:
    results = _results()
    for comparison in results["comparisons"]:
        if comparison["bench"] == "recommendations":
            comparison["wins"] = wins
    cell = _budget_cell(results, "recommendation Lambda cold start")
    assert cell == ("500 ms / 10 ms" if wins else "500 ms: **over** / 10 ms: **over**")


def test_a_figure_over_a_budget_without_a_comparison_is_marked_over() -> None:
    results = _results()
    output = results["benches"]["queries"]["output"]
    for query in output["queries"].values():
        for side in query.values():
            side["warm_p50_ms"] = output["budgets_ms"]["warm_p50"] / 2
    assert _budget_cell(results, "query handler warm").startswith("2 ms /")
    output["queries"]["actor"]["handler"]["warm_p50_ms"] = 2.01
    assert _budget_cell(results, "query handler warm").startswith("2 ms: **over** /")


def test_the_table_is_dated_by_the_run_that_measured_it() -> None:
    results = _results()
    results["generated_at"] = "2026-01-02T03:04:05+00:00"
    results.pop("merged_at", None)
    assert "(`make bench`, 2026-01-02)" in render(_together(), results)
    results["merged_at"] = "2026-03-04T05:06:07+00:00"
    assert "(`make bench`, 2026-03-04)" in render(_together(), results)


def test_load_errors_are_listed_and_counted() -> None:
    results = _results()
    levels = results["benches"]["load"]["output"]["levels"]
    levels[0]["by_route"]["actor"]["503"] = 3
    levels[-1]["by_route"]["actor"]["503"] = 4
    block = _block(render(_together(), results), "benchmarks")
    assert "`actor` 7 \u00d7 503" in block
    assert f"**errors: 3 of {levels[0]['requests']:,}," in block


def test_rewriting_makes_the_check_pass(copies: tuple[Path, Path]) -> None:
    readme, results = copies
    _change(results, "snapstart", ["functions", "docs", "restore", "median_ms"], 99.0)
    assert main(["--results", str(results), str(readme)]) == 0
    assert "docs 99.0 ms" in readme.read_text()
    assert main(["--check", "--results", str(results), str(readme)]) == 0


def test_the_prose_outside_the_blocks_is_kept() -> None:
    readme = _together()
    before, rest = readme.split("<!-- figures:benchmarks -->\n", 1)
    _, after = rest.split("<!-- /figures:benchmarks -->", 1)
    rendered = render(readme, _results())
    assert rendered.startswith(before) and rendered.endswith(after)


def test_a_method_the_results_lack_has_no_column() -> None:
    results = _results()
    for family in results["benches"]["evaluate"]["output"]["families"].values():
        del family["methods"]["seed_kmeans"]
    block = _block(render(_together(), results), "recommendations")
    assert "seed KMeans" not in block and "popularity" in block


def _block(document: str, name: str) -> str:
    return document.split(f"<!-- figures:{name} -->")[1].split(f"<!-- /figures:{name} -->")[0]


def test_an_etl_baseline_shows_up_once_in_the_results() -> None:
    results = _results()
    del results["benches"]["etl"]["output"]["pipelines"]["duckdb"]
    results["comparisons"] = [
        c for c in results["comparisons"] if c["bench"] != "etl" or c["baseline_name"] != "duckdb"
    ]
    without = _block(render(_together(), results), "benchmarks")
    assert "DuckDB" not in without and "the seed's pandas" in without
    assert "DuckDB (`read_csv`" in _block(_together(), "benchmarks")


def test_a_new_method_gets_its_column_and_its_best_value_bold() -> None:
    results = _results()
    methods = results["benches"]["evaluate"]["output"]["families"]["genre"]["methods"]
    del methods["item_knn"]
    methods["item_knn"] = {"hit_rate@5": 0.9}
    recommendations = _block(render(_together(), results), "recommendations")
    assert "| item kNN |" in recommendations
    genre = recommendations.split("**latent generator**")[0]
    row = next(line for line in genre.splitlines() if line.startswith("| hit rate@5"))
    assert "**0.900**" in row and row.count("**") == 2
    ndcg = next(line for line in genre.splitlines() if line.startswith("| NDCG@5"))
    assert f"| {EN_DASH} |" in ndcg
