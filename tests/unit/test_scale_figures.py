"""The scale bench's pure parts: the suite's comparisons from a scale output, what the harness
reads from the load reports and the stack's log, the growth fit, and the scaling figures
rendered from a scale output (docs/scaling.md's are the committed bench/results.json's, see
test_readme_figures.py)."""

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import comparisons, scale
from bench.harness import REPO
from bench.readme import main, render
from bench.scale import ETL_FUNCTION, TRAIN_FUNCTION
from bench.suite import BENCHES
from local.stack import DataFiles

DOCS = REPO / "docs" / "scaling.md"


def _factor(
    k: int,
    etl_s: float,
    train_s: float,
    etl_peak: float | None,
    engine: str = "lambda",
    forced: str | None = None,
) -> dict[str, Any]:
    spark = engine == "spark"
    return {
        "factor": k,
        "ratings": k * 1_000_000,
        "files": 8 * k,
        "csv_bytes": k * 26_000_000,
        "etl_s": etl_s,
        "train_s": train_s,
        "invocations": {"etl": 2 * k, "train": 1, "loads": 2 * k},
        "max_invocation_s": etl_s / 2,
        "max_under_lock_s": etl_s / 4,
        "etl_peak_rss_mb": etl_peak,
        "etl_peak_source": "reported by the function (load reports: peak_rss_mb)",
        "train_peak_rss_mb": 400.0 * k,
        "train_peak_source": "reported by the function (training log: peak_rss_mb)",
        "engine": engine,
        "forced": forced,
        "spark_job_s": 0.8 * train_s if spark else None,
        "spark_peak_rss_mb": 6000.0 if spark else None,
    }


def _sample() -> dict[str, Any]:
    sample: dict[str, Any] = {
        "generated_at": "2026-11-29T18:00:00+00:00",
        "cores": 2,
        "base": 1_000_000,
        "files_per_base": 8,
        "spark_driver_memory": "12g",
        "template": {TRAIN_FUNCTION: {"memory_mb": 3008}},
        "factors": [
            _factor(1, 10.0, 5.0, 300.0),
            _factor(3, 27.0, 16.0, 310.0),
            _factor(10, 120.0, 60.0, None, "lambda", "lambda"),
            _factor(10, 120.0, 300.0, None, "spark", "spark"),
            _factor(30, 400.0, 900.0, None, "spark"),
        ],
    }
    sample["projections"] = scale.projections(sample)
    return sample


def _comparisons() -> dict[tuple[str, str], Any]:
    return {(c.what, c.baseline_name): c for c in comparisons.scale(_sample())}


def test_etl_seconds_are_compared_with_linear_growth_from_1x() -> None:
    found = _comparisons()
    three = found[("ETL seconds 3x", "3 \u00d7 1x")]
    assert (three.value, three.baseline, three.better) == (27.0, 30.0, "lower")
    assert three.wins
    ten = found[("ETL seconds 10x lambda", "10 \u00d7 1x")]
    assert (ten.value, ten.baseline, ten.wins) == (120.0, 100.0, False)
    assert not any(what == "ETL seconds 1x" for what, _ in found)


def test_peaks_and_training_are_compared_with_their_budgets() -> None:
    found = _comparisons()
    assert found[("ETL peak RSS 1x", "budget")].baseline == 2048.0
    assert ("ETL peak RSS 10x lambda", "budget") not in found  # not measured: no row
    assert found[("training seconds 10x lambda", "Lambda 15 min")].baseline == 900.0
    peak = found[("training peak RSS 3x", "Lambda 10 GB")]
    assert (peak.value, peak.baseline, peak.unit) == (1200.0, 10240.0, "MB")
    assert all(c.bench == "scale" and c.better == "lower" for c in found.values())
    assert found[("training seconds 30x", "Spark job timeout")].baseline == 10800.0


def test_make_bench_leaves_the_scale_bench_out() -> None:
    assert "scale" not in BENCHES
    assert "etl" in BENCHES


def test_the_log_gives_invocations_and_the_training_figures() -> None:
    log = "\n".join(
        [
            "2026 local.trigger streamcat-local-RawQueue: invoking EtlFunction with 8 messages",
            "2026 local.trigger streamcat-local-RawQueue: invoking EtlFunction with 4 messages",
            "2026 local.trigger streamcat-local-TrainQueue: invoking TrainFunction with 1 messages",
            json.dumps({"level": "INFO", "message": "model published", "version": 1, "train_s": 9}),
            json.dumps(
                {"message": "model published", "version": 2, "train_s": 3, "peak_rss_mb": 812.44}
            ),
            "{not json, model published",
        ]
    )
    assert scale.invocations(log, ETL_FUNCTION) == (2, [])
    assert scale.invocations(log, TRAIN_FUNCTION) == (1, [])
    assert [d["version"] for d in scale.logged(log, "model published")] == [1, 2]


def _report(load_id: str, version: int, files: list[tuple[str, int]], peak: float | None) -> Any:
    report: dict[str, Any] = {
        "load_id": load_id,
        "catalog_version": version,
        "timings_s": {"lock": 0.5, "triage": 1.0, "stage": 2.0},
        "files": [
            {
                "key": key,
                "kind": "ratings",
                "status": "loaded",
                "rows_read": rows + 1,
                "rows_kept": rows,
                "ratings_dropped_unmatched": 1,
                "seconds": {"read": 1.5},
            }
            for key, rows in files
        ],
    }
    if peak is not None:
        report["peak_rss_mb"] = peak
    return report


def test_summarize_prefers_what_the_functions_report(tmp_path: Path) -> None:
    ratings = [tmp_path / f"{n}.csv" for n in (1, 2)]
    for path in ratings:
        path.write_text("userId,rating,timestamp,movieId\n")
    log = (
        "q-raw: invoking EtlFunction with 1 messages\nq-raw: handled 1, failed 0 in 3.50 s\n"
        "q-raw: invoking EtlFunction with 1 messages\nq-raw: handled 1, failed 0 in 2.25 s\n"
        "q-train: invoking TrainFunction with 1 messages\nq-train: handled 1, failed 0 in 9.00 s\n"
        + json.dumps({"message": "model published", "version": 2, "peak_rss_mb": 700.0})
        + "\n"
    )
    found = scale.summarize(
        data=DataFiles(titles=[], ratings=ratings),
        reports=[
            _report("a", 1, [("raw/ratings/1.csv", 10)], 300.0),
            _report("b", 2, [("raw/ratings/2.csv", 5)], 350.0),
        ],
        log=log,
        seconds={"upload_s": 0.1, "etl_s": 4.0, "train_s": 2.0},
        final_version=2,
    )
    assert (found["ratings"], found["files"], found["invocations"]["etl"]) == (17, 2, 2)
    assert (found["ratings_kept"], found["ratings_dropped_unmatched"]) == (15, 2)
    assert found["notes"]  # 2 of 17 dropped: more than 1%
    assert found["invocation_s"] == {"etl": [3.5, 2.25], "train": [9.0]}
    assert found["max_under_lock_s"] == 2.0  # the stage: not triage, not the wait for the lock
    assert found["steps_s"] == {"lock": 1.0, "stage": 4.0, "triage": 2.0}
    assert found["file_steps_s"] == {"read": 3.0}
    assert found["etl_peak_rss_mb"] == 350.0 and "reported" in found["etl_peak_source"]
    assert found["train_peak_rss_mb"] == 700.0 and "training log" in found["train_peak_source"]
    assert found["max_invocation_s"] == 3.5


def test_summarize_says_when_no_function_reported_a_peak() -> None:
    found = scale.summarize(
        data=DataFiles(titles=[], ratings=[]),
        reports=[_report("a", 1, [], None)],
        log="",
        seconds={"upload_s": 0.1, "etl_s": 1.0, "train_s": 1.0},
        final_version=1,
    )
    assert found["etl_peak_rss_mb"] is None and found["etl_peak_source"] == "not measured"
    assert found["train_peak_rss_mb"] is None and found["train_peak_source"] == "not measured"


def test_the_growth_fit_recovers_a_power_law_and_where_it_meets_a_limit() -> None:
    fit = scale.fit([(1e6, 2.0), (1e7, 2.0 * 10**1.5), (1e8, 2.0 * 100**1.5)])
    assert fit is not None
    assert fit[1] == pytest.approx(1.5)
    assert scale.project(fit, 1e9) == pytest.approx(2.0 * 1000**1.5)
    reached = scale.crossing(fit, 2.0 * 1000**1.5)
    assert reached is not None and math.isclose(reached, 1e9, rel_tol=1e-9)
    single = scale.fit([(1e6, 5.0)])
    assert single is not None and single[1] == 1.0
    assert scale.fit([]) is None
    assert scale.crossing((0.0, 0.0), 10.0) is None


def _results(output: dict[str, Any] | None) -> dict[str, Any]:
    scale_bench = {"status": "ok", "output": output} if output else {"status": "failed"}
    return {"benches": {"scale": scale_bench}, "comparisons": []}


def test_the_figures_block_renders_between_its_markers_only() -> None:
    document = "intro\n<!-- figures:scaling -->\nOLD BLOCK\n<!-- /figures:scaling -->\noutro\n"
    rendered = render(document, _results(_sample()))
    assert rendered.startswith("intro\n<!-- figures:scaling -->\n")
    assert rendered.endswith("<!-- /figures:scaling -->\noutro\n")
    assert "OLD BLOCK" not in rendered
    assert "| 10x | 10,000,000 | 80 |" in rendered
    assert "120.0" in rendered and "100.0" in rendered  # ETL seconds and the linear line
    assert "training arrays" in rendered
    assert "Lambda 15 min: " in rendered and "Lambda 10,240 MB: " in rendered
    assert render(document, _results(None)).count("*Not measured yet") == 1


def test_a_changed_scale_figure_is_detected(tmp_path: Path) -> None:
    docs, results = tmp_path / "scaling.md", tmp_path / "results.json"
    docs.write_text(DOCS.read_text())
    sample = _results(_sample())
    results.write_text(json.dumps(sample))
    assert main(["--results", str(results), str(docs)]) == 0
    assert main(["--check", "--results", str(results), str(docs)]) == 0
    sample["benches"]["scale"]["output"]["factors"][2]["etl_s"] = 456.0
    results.write_text(json.dumps(sample))
    assert main(["--check", "--results", str(results), str(docs)]) == 1
    assert "| 10x | 10,000,000 | 80 | 248 | 456.0 |" in render(docs.read_text(), sample)


def test_runs_name_a_factor_and_the_engine_it_is_forced_onto() -> None:
    assert scale.runs("1, 10:lambda,10:spark,30") == [
        (1, None),
        (10, "lambda"),
        (10, "spark"),
        (30, None),
    ]
    with pytest.raises(ValueError, match="the engine is one of"):
        scale.runs("10:emr")


def test_training_figures_are_fitted_per_engine_and_the_engines_compared() -> None:
    sample = _sample()
    projected = sample["projections"]
    lambda_peaks = scale.series(sample, "train_peak_rss_mb", engine="lambda")
    assert [x for x, _ in lambda_peaks] == [1e6, 3e6, 1e7]  # the Spark runs are not in the fit
    assert projected["train_peak_rss_mb"]["exponent"] == pytest.approx(1.0)
    assert projected["crossover"]["lambda_memory_at_ratings"] == pytest.approx(3008 / 400 * 1e6)
    assert projected["spark_job_s"]["exponent"] == pytest.approx(1.0)
    cost = projected["spark_cost"]["100x"]
    assert cost["vcpu_hours"] == pytest.approx(cost["seconds"] * 2 / 3600, rel=1e-3)
    engines = {(c.what, c.baseline_name): c for c in comparisons.scale(sample)}
    spark_time = engines[("Spark training seconds 10x", "Lambda engine")]
    assert (spark_time.value, spark_time.baseline, spark_time.wins) == (300.0, 60.0, False)
    assert ("training seconds 10x spark", "Spark job timeout") in engines
    assert ("training seconds 30x", "Spark job timeout") in engines


def test_curves_meet_only_where_the_second_grows_slower() -> None:
    assert scale.meeting((0.0, 2.0), (math.log(100.0), 1.0)) == pytest.approx(100.0)
    assert scale.meeting((0.0, 1.0), (0.0, 2.0)) is None


def test_a_spark_trained_version_waits_for_the_job_runners_line() -> None:
    started = json.dumps({"message": "training job started", "version": 2})
    published = json.dumps({"message": "model published", "version": 2, "engine": "spark"})
    job = "x local.emr_serverless " + json.dumps(
        {"message": "spark job run", "name": "streamcat-train-v2", "seconds": 30.0}
    )
    assert not scale.training_recorded(started, 2)
    assert not scale.training_recorded(f"{started}\n{published}", 2)
    assert scale.training_recorded(f"{started}\n{published}\n{job}", 2)
    assert scale.training_recorded(published.replace("spark", "lambda"), 2)
