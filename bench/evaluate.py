"""Offline evaluation of the recommender against the seed's KMeans baseline and popularity.

Generated ratings (cached under `.local/recommend/`) are split per user: a fifth of each user's
ratings is held out, the model is trained on the rest (scores and votes recomputed from it).
A query is a title a test user liked (rating >= 4) in training; a hit is one of that user's
held-out liked titles in the list. Reported per method: hit rate@10, NDCG@10, genre coherence
(mean genre Jaccard between a title and its top 5), true taste similarity (cosine of the
generator's hidden factors, which no method sees), catalog coverage of the top-5 lists, and the
number of distinct top-5 lists (over all titles, and over the 100 most rated).

    python -m bench.evaluate [--ratings N] [--out bench/out/evaluate.json]
"""

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans

from local.catalog_fixtures import generated_rated_catalog
from local.ratings_generator import TrueItems, true_item_factors
from local.titles_generator import generate_catalogs
from streamcat_train.catalog import CatalogTitles
from streamcat_train.interactions import Ratings
from streamcat_train.model import families, train

REPO = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO / ".local" / "recommend"
LIKED = 4.0
LIST_LENGTH = 10
SHOWN = 5
QUERIES = 20_000
SEED = 7

Lists = npt.NDArray[np.int64]


def seed_kmeans_lists(catalog: CatalogTitles, k: int, seed: int = 0) -> Lists:
    """The seed API's recommender: KMeans (3 clusters) on (score, type), then the best-scored
    titles of the query's cluster (the seed returned 5; `k` of them here, the query excluded).
    Unrated titles take the mean score, as the seed's fillna did."""
    scores = np.where(np.isnan(catalog.scores), np.nanmean(catalog.scores), catalog.scores)
    is_show = np.array([t == "tv show" for t in catalog.types], dtype=np.float64)
    labels = KMeans(n_clusters=3, n_init=10, random_state=seed).fit_predict(
        np.column_stack([scores, is_show])
    )
    lists = np.empty((len(scores), k), dtype=np.int64)
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        best = members[np.lexsort((members, -scores[members]))][: k + 1]
        for i in members:
            lists[i] = best[best != i][:k]
    return lists


def popularity_lists(catalog: CatalogTitles, k: int) -> Lists:
    """The most rated titles, the query and its copies excluded."""
    family = families(catalog.titles)
    order = np.lexsort((np.arange(len(catalog)), -catalog.votes))
    head = order[: k + 8]
    lists = np.empty((len(catalog), k), dtype=np.int64)
    for i in range(len(catalog)):
        lists[i] = head[family[head] != family[i]][:k]
    return lists


def split_ratings(ratings: Ratings, share: float, seed: int) -> tuple[Ratings, Ratings]:
    """A random `share` of every user's ratings held out (users with 5 ratings or more)."""
    rng = np.random.default_rng(seed)
    per_user = np.bincount(ratings.user)
    held = (rng.random(len(ratings.user)) < share) & (per_user[ratings.user] >= 5)

    def part(mask: npt.NDArray[np.bool_]) -> Ratings:
        return Ratings(ratings.user[mask], ratings.item[mask], ratings.rating[mask])

    return part(~held), part(held)


def rescored(catalog: CatalogTitles, ratings: Ratings) -> CatalogTitles:
    """The catalog with scores and votes from `ratings` only (no held-out rating leaks in)."""
    votes = np.bincount(ratings.item, minlength=len(catalog))
    sums = np.bincount(ratings.item, weights=ratings.rating, minlength=len(catalog))
    scores = np.divide(sums, votes, out=np.full(len(catalog), np.nan), where=votes > 0)
    return dataclasses.replace(catalog, scores=scores, votes=votes)


@dataclasses.dataclass(frozen=True)
class Queries:
    """One liked training title per sampled user, and that user's held-out liked titles."""

    title: npt.NDArray[np.int64]
    targets: list[set[int]]


def make_queries(train_part: Ratings, test_part: Ratings, count: int, seed: int) -> Queries:
    rng = np.random.default_rng(seed)
    liked_test = test_part.rating >= LIKED
    targets: dict[int, set[int]] = {}
    for user, item in zip(
        test_part.user[liked_test].tolist(), test_part.item[liked_test].tolist(), strict=True
    ):
        targets.setdefault(user, set()).add(item)
    liked_train = (train_part.rating >= LIKED) & np.isin(train_part.user, list(targets))
    users, items = train_part.user[liked_train], train_part.item[liked_train]
    picks = rng.choice(len(users), min(count, len(users)), replace=False)
    return Queries(items[picks], [targets[int(u)] for u in users[picks]])


def ranking_quality(lists: Lists, queries: Queries) -> dict[str, float]:
    """Hit rate@k and NDCG@k (binary relevance) over the queries."""
    k = lists.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits, ndcg = [], []
    for title, targets in zip(queries.title.tolist(), queries.targets, strict=True):
        relevant = np.array([j in targets for j in lists[title].tolist()], dtype=np.float64)
        hits.append(relevant.any())
        ideal = discounts[: min(len(targets), k)].sum()
        ndcg.append(float(relevant @ discounts) / ideal)
    return {f"hit_rate@{k}": float(np.mean(hits)), f"ndcg@{k}": float(np.mean(ndcg))}


def list_quality(
    lists: Lists, catalog: CatalogTitles, truth: TrueItems, popular: Lists
) -> dict[str, float]:
    """Genre coherence, true taste similarity, coverage, distinct lists (top `SHOWN`)."""
    shown = lists[:, :SHOWN]
    genres = [set(g) for g in catalog.genres]
    jaccard = [
        np.mean([len(genres[i] & genres[j]) / max(1, len(genres[i] | genres[j])) for j in row])
        for i, row in enumerate(shown.tolist())
    ]
    factors = truth.factors
    taste = np.einsum("ij,ikj->ik", factors, factors[shown]).mean()
    distinct_popular = len({tuple(shown[i]) for i in popular.tolist()})
    return {
        "genre_coherence": float(np.mean(jaccard)),
        "true_taste_similarity": float(taste),
        "catalog_coverage": float(len(np.unique(shown)) / len(catalog)),
        "distinct_lists": len({tuple(row) for row in shown.tolist()}),
        "distinct_lists_top100": distinct_popular,
    }


def titles_source(given: Path | None) -> tuple[Path, Path]:
    """The titles to work on (`--titles`, else the seeded generator's full-size catalogs) and
    the cache folder of what is derived from them, one per source so caches never mix."""
    if given is None:
        titles, cache = CACHE_DIR / "generated" / "titles", CACHE_DIR / "generated"
        if not (titles / "netflix_titles.csv").exists():
            generate_catalogs(titles)
        return titles, cache
    digest = hashlib.sha256(str(given.resolve()).encode()).hexdigest()[:12]
    return given, CACHE_DIR / f"titles-{digest}"


def evaluate(n_ratings: int, titles_dir: Path, cache_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    data = generated_rated_catalog(titles_dir, cache_dir, n_ratings)
    truth = true_item_factors(titles_dir).aligned(data.catalog.ids)
    train_part, test_part = split_ratings(data.ratings, 0.2, SEED)
    catalog = rescored(data.catalog, train_part)
    queries = make_queries(train_part, test_part, QUERIES, SEED)
    prepared = time.perf_counter()
    model = train(catalog, train_part)
    trained = time.perf_counter()
    methods = {
        "streamcat": model.neighbours.astype(np.int64),
        "seed_kmeans": seed_kmeans_lists(catalog, LIST_LENGTH),
        "popularity": popularity_lists(catalog, LIST_LENGTH),
    }
    popular = np.argsort(-catalog.votes, kind="stable")[:100]
    results = {
        name: ranking_quality(lists, queries) | list_quality(lists, catalog, truth, popular)
        for name, lists in methods.items()
    }
    return {
        "ratings": len(data.ratings.user),
        "train_ratings": len(train_part.user),
        "held_out_ratings": len(test_part.user),
        "titles": len(catalog),
        "queries": len(queries.title),
        "prepare_s": round(prepared - started, 2),
        "train_s": round(trained - prepared, 2),
        "methods": results,
    }


def print_table(report: dict[str, Any]) -> None:
    methods = report["methods"]
    metrics = list(next(iter(methods.values())))
    print(
        f"{report['ratings']:,} ratings, {report['titles']:,} titles, "
        f"{report['queries']:,} queries; training {report['train_s']} s"
    )
    print(f"{'metric':<24}" + "".join(f"{name:>14}" for name in methods))
    for metric in metrics:
        cells = "".join(f"{_cell(methods[name][metric]):>14}" for name in methods)
        print(f"{metric:<24}{cells}")


def _cell(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.4f}"


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = report["methods"]
    metrics = [
        "hit_rate@10",
        "ndcg@10",
        "genre_coherence",
        "true_taste_similarity",
        "catalog_coverage",
    ]
    figure, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.4))
    for axis, metric in zip(axes, metrics, strict=True):
        values = [methods[name][metric] for name in methods]
        axis.bar(list(methods), values, color=["#2a9d8f", "#e76f51", "#8d99ae"])
        axis.set_title(metric, fontsize=10)
        axis.tick_params(axis="x", labelrotation=30, labelsize=8)
    figure.suptitle(f"Recommender offline evaluation ({report['ratings']:,} ratings)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=11_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "evaluate.json")
    parser.add_argument(
        "--titles", type=Path, help="folder of the four titles CSVs (default: generated ones)"
    )
    args = parser.parse_args(argv)
    report = evaluate(args.ratings, *titles_source(args.titles))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.out.with_suffix(".png"))
    print_table(report)
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
