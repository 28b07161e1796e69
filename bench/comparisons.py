"""Each bench's figures against their baselines and budgets, as the suite records them in
bench/results.json (`comparisons`) and the figures' `over` marks read them."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from bench import budgets
from bench.load import count_errors

TIMES = "\u00d7"


@dataclass(frozen=True)
class Comparison:
    """`value` of ours against `baseline`; `ratio` = value / baseline."""

    bench: str
    what: str
    unit: str
    value: float
    baseline_name: str
    baseline: float
    better: str = "lower"
    """Which way of the ratio is good: 'lower' or 'higher'."""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def wins(self) -> bool:
        lower = self.better == "lower"
        return self.value <= self.baseline if lower else self.value >= self.baseline

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio, "wins": self.wins}

    @classmethod
    def from_dict(cls, found: dict[str, Any]) -> "Comparison":
        return cls(*(found[name] for name in cls.__dataclass_fields__))


def etl(out: dict[str, Any]) -> list[Comparison]:
    """Medians over bench.etl's runs: ours' ETL seconds and peak RSS against the budget and
    against each baseline measured in the same run; training seconds against its budget."""
    pipelines, budget = out["pipelines"], out["budget"]
    ours, etl = pipelines["ours"], partial(Comparison, "etl")
    seconds, peak = ours["seconds"]["median"], ours["peak_rss_mb"]["median"]
    found = [
        etl("ETL seconds", "s", seconds, "budget", budget["seconds"]),
        etl("ETL peak RSS", "MB", peak, "budget", budget["peak_rss_mb"]),
    ]
    for name in ("seed", "duckdb"):
        if name in pipelines:
            other = pipelines[name]
            found.append(etl("ETL seconds", "s", seconds, name, other["seconds"]["median"]))
            found.append(etl("ETL peak RSS", "MB", peak, name, other["peak_rss_mb"]["median"]))
    if "train_s" in ours:
        train_s = ours["train_s"]["median"]
        found.append(etl("training seconds", "s", train_s, "budget", budget["train_s"]))
    return found


def queries(out: dict[str, Any]) -> list[Comparison]:
    """The seed's six queries against the seed's app; the browse routes, which the seed did
    not have, against their budgets."""
    budget, found = out["budgets_ms"], []

    def query(what: str, value: float, baseline_name: str, baseline: float) -> None:
        found.append(Comparison("queries", what, "ms", value, baseline_name, baseline))

    for name, impls in out["queries"].items():
        ours = impls["handler"]
        if "seed" not in impls:
            query(f"{name} p99", ours["warm_p99_ms"], "budget", budget["browse_warm_p99"])
            continue
        for metric, label in (("warm_p50_ms", "p50"), ("warm_p99_ms", "p99")):
            query(f"{name} {label}", ours[metric], "seed", impls["seed"][metric])
    return found


def load(out: dict[str, Any]) -> list[Comparison]:
    """Each level's errors (every answer a route is not meant to give, bench.load.is_error)
    against none; throughput and p99 of each level against one client's."""
    levels, load = out["levels"], partial(Comparison, "load")
    first = levels[0]
    baseline, first_rps = f"{first['concurrency']} client(s)", first["throughput_rps"]
    found = [load(f"{n['concurrency']} clients errors", "", errors(n), "none", 0) for n in levels]
    for level in levels[1:]:
        clients, rps, p99 = level["concurrency"], level["throughput_rps"], level["p99_ms"]
        found.append(load(f"{clients} clients req/s", "req/s", rps, baseline, first_rps, "higher"))
        found.append(load(f"{clients} clients p99", "ms", p99, baseline, first["p99_ms"]))
    return found


def errors(level: dict[str, Any]) -> int:
    return sum(sum(statuses.values()) for statuses in count_errors(level["by_route"]).values())


def recommendations(out: dict[str, Any]) -> list[Comparison]:
    budget, recommendations = out["budget_ms"], partial(Comparison, "recommendations")
    return [
        recommendations("cold start", "ms", out["cold_ms"], "budget", budget["cold"]),
        recommendations("warm p99", "ms", out["warm_p99_ms"], "budget", budget["warm_p99"]),
    ]


EVALUATE_BASELINES = (
    *("item_knn", "svd_only", "svd_boosted", "content_only", "popularity", "seed_kmeans"),
)


def evaluate(out: dict[str, Any]) -> list[Comparison]:
    """The served model (`streamcat`) against every baseline on each ranking metric, and its
    coverage@10 against its budget, per generator family: `<metric>` for the default family,
    `<metric> (<family> generator)` for the others."""
    found, higher = [], partial(Comparison, "evaluate", unit="", better="higher")
    for family, results in out["families"].items():
        methods, ours = results["methods"], results["methods"]["streamcat"]
        tag = "" if family == out["default_family"] else f" ({family} generator)"
        found += [
            higher(m + tag, value=ours[m], baseline_name=name, baseline=methods[name][m])
            for m in ("hit_rate@5", "ndcg@5", "hit_rate@10", "ndcg@10")
            for name in EVALUATE_BASELINES
            if m in ours and m in methods.get(name, {})
        ]
        if (coverage := ours.get("coverage@10")) is not None:
            budget: dict[str, Any] = {"baseline_name": "budget", "baseline": budgets.MIN_COVERAGE}
            found.append(higher("coverage@10" + tag, value=coverage, **budget))
    return found


def package_sizes(out: dict[str, Any]) -> list[Comparison]:
    limit = out["limit_bytes"] / budgets.MB
    sizes = partial(Comparison, "package_sizes", unit="MB", baseline_name=f"{limit:.0f} MB limit")
    return [
        sizes(name, value=size["total_bytes"] / budgets.MB, baseline=limit)
        for name, size in out["functions"].items()
    ]


def snapstart(out: dict[str, Any]) -> list[Comparison]:
    """`<function> cold init` and `<function> restore`, each against its budget; a query
    function's cold init also against the seed's, measured in the same run."""
    found, seed = [], "seed (dev venv, no tracing, no secret, no TLS)"
    for name, figures in out["functions"].items():
        for figure, measured in figures.items():
            ms = partial(Comparison, "snapstart", f"{name} {figure}", "ms", measured["median_ms"])
            found.append(ms("budget", measured["budget_ms"]))
            if "seed_ms" in measured:
                found.append(ms(seed, measured["seed_ms"]))
    return found


def scale(out: dict[str, Any]) -> list[Comparison]:
    """Per run: ETL seconds against the first run's times the factor (linear growth), ETL and
    training peak memory against their budgets, training seconds against its engine's limit
    (Lambda's 15 minutes; a Spark job's timeout). Where one factor ran on both engines, the
    Spark engine's training seconds and peak memory against the Lambda engine's. A peak no
    source measured has no row."""
    first, found, c = out["factors"][0], [], partial(Comparison, "scale")
    both = {f["factor"] for f in out["factors"] if f.get("forced")}
    for f in out["factors"]:
        x = f"{f['factor']}x" + (f" {f['engine']}" if f["factor"] in both else "")
        if f is not first:
            times = f["factor"] / first["factor"]
            linear = f"{times:g} {TIMES} {first['factor']}x"
            found.append(c(f"ETL seconds {x}", "s", f["etl_s"], linear, times * first["etl_s"]))
        if (peak := f.get("etl_peak_rss_mb")) is not None:
            found.append(
                c(f"ETL peak RSS {x}", "MB", peak, "budget", budgets.SCALE_ETL_PEAK_RSS_MB)
            )
        limit = ("Spark job timeout", budgets.SPARK_JOB_TIMEOUT_S)
        if f["engine"] == "lambda":
            limit = ("Lambda 15 min", budgets.LAMBDA_TIMEOUT_S)
        found.append(c(f"training seconds {x}", "s", f["train_s"], *limit))
        if (peak := f.get("train_peak_rss_mb")) is not None:
            found.append(
                c(f"training peak RSS {x}", "MB", peak, "Lambda 10 GB", budgets.LAMBDA_MEMORY_MB)
            )
    return found + engines(out["factors"])


def engines(factors: list[dict[str, Any]]) -> list[Comparison]:
    """The Spark engine against the Lambda engine on the same data."""
    by_engine = {(f["factor"], f["engine"]): f for f in factors if f.get("forced")}
    found, c = [], partial(Comparison, "scale")
    for (factor, engine), spark in by_engine.items():
        if engine != "spark" or (lam := by_engine.get((factor, "lambda"))) is None:
            continue
        found.append(
            c(
                f"Spark training seconds {factor}x",
                "s",
                spark["train_s"],
                "Lambda engine",
                lam["train_s"],
            )
        )
        if spark.get("spark_peak_rss_mb") and lam.get("train_peak_rss_mb"):
            found.append(
                c(
                    f"Spark JVM peak RSS {factor}x",
                    "MB",
                    spark["spark_peak_rss_mb"],
                    "Lambda engine",
                    lam["train_peak_rss_mb"],
                )
            )
    return found


def relevance(out: dict[str, Any]) -> list[Comparison]:
    """Our MRR@10 against the target, and both metrics against every baseline ranker."""
    from bench.relevance import DEPTH, GRADED_DEPTH, RANKERS

    rankers, metrics = out["rankers"], (f"mrr@{DEPTH}", f"ndcg@{GRADED_DEPTH}")
    ours, higher = rankers["streamcat"], partial(Comparison, "relevance", unit="", better="higher")
    target: dict[str, Any] = {"baseline_name": "target", "baseline": out["target_mrr"]}
    return [higher(metrics[0], value=ours[metrics[0]], **target)] + [
        higher(m, value=ours[m], baseline_name=name, baseline=rankers[name][m])
        for name in RANKERS[1:]
        for m in metrics
    ]


COMPARE: dict[str, Callable[[dict[str, Any]], list[Comparison]]] = {
    f.__name__: f
    for f in (etl, queries, load, recommendations, evaluate, package_sizes, snapstart, scale)
} | {"relevance": relevance}
