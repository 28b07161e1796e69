"""Offline evaluation of the recommender against strong baselines, on two generator families.

Ratings come from the seeded generator (`local.ratings_generator`) in each of its families:
`genre` (hidden tastes built mostly from genres, the default) and `latent` (tastes independent
of genres, which only co-ratings reveal). Per family, a fifth of each user's ratings is the test
part. The blend's weights are chosen on a validation split of the training part alone (`select`);
every method is then trained on the whole training part (scores and votes recomputed from it)
and scored on the test part. A query is a title a test user liked (rating >= 4) in training; a
hit is one of that user's held-out liked titles in the list. Methods: `streamcat` (the served
weights), the baselines of `bench.recommenders` and, when the validation chose other weights,
`streamcat_chosen`.
"""

import dataclasses
import hashlib
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench import recommenders as rec
from bench.budgets import POPULAR
from bench.harness import REPO, arguments, write_out
from local.catalog_fixtures import generated_rated_catalog
from local.ratings_generator import FAMILIES, TrueItems, generated_ratings, true_item_factors
from local.titles_generator import generate_catalogs
from streamcat.training_input import Ratings
from streamcat_train.catalog_titles import CatalogTitles
from streamcat_train.model import DEFAULT_WEIGHTS, BlendWeights, Signals, blend, signals

CACHE_DIR = REPO / ".local" / "recommend"
LIKED = 4.0
LIST_LENGTH = 10
SHOWN = 5
CUTOFFS = (5, 10)
QUERIES = 20_000
SEED = 7
DEFAULT_FAMILY = "genre"
GRID = [
    BlendWeights(content=content, gamma=gamma, quality=0.0, trust=trust)
    for content in (0.2, 0.3, 0.4)
    for gamma in (0.6, 0.75, 0.9)
    for trust in (0.5, 2.0, 8.0)
]
"""The blend weights tried on the validation split (the co-rating weight stays 1). Wider grids
at 2 and 4 million ratings found hit rate and NDCG rising as content weighs less and gamma more
until the lists collapse onto popular titles, the quality prior never helping; a larger `trust`
keeps rarely rated titles' lists on content, which buys coverage."""
VALIDATION_COVERAGE = 0.25
"""Not chosen below this validation coverage@10: trained on a quarter more ratings the same
weights cover fewer titles (0.24 became 0.19 at 2 million ratings), so the budget of 0.2
(`budgets.MIN_COVERAGE`) needs a margin."""

Lists = npt.NDArray[np.int64]
Metrics = dict[str, float]


def split_ratings(ratings: Ratings, share: float, seed: int) -> tuple[Ratings, Ratings]:
    """A random `share` of every user's ratings held out (users with 5 ratings or more)."""
    rng = np.random.default_rng(seed)
    per_user = np.bincount(ratings.user)
    held = (rng.random(len(ratings.user)) < share) & (per_user[ratings.user] >= 5)
    train, test = (
        Ratings(ratings.user[m], ratings.item[m], ratings.rating[m]) for m in (~held, held)
    )
    return train, test


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


def ranking_quality(lists: Lists, queries: Queries, k: int) -> Metrics:
    """Hit rate@k and NDCG@k (binary relevance) of the first k of each list over the queries."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    shown = lists[queries.title, :k]
    hits, ndcg = [], []
    for row, targets in zip(shown.tolist(), queries.targets, strict=True):
        relevant = np.array([j in targets for j in row], dtype=np.float64)
        hits.append(relevant.any())
        ideal = discounts[: min(len(targets), k)].sum()
        ndcg.append(float(relevant @ discounts) / ideal)
    return {f"hit_rate@{k}": float(np.mean(hits)), f"ndcg@{k}": float(np.mean(ndcg))}


def coverage_at(lists: Lists, k: int) -> float:
    return float(len(np.unique(lists[:, :k])) / len(lists))


def list_quality(
    lists: Lists, catalog: CatalogTitles, truth: TrueItems, popular: Lists
) -> dict[str, float]:
    """Genre coherence, true taste similarity, distinct lists (top `SHOWN`)."""
    shown = lists[:, :SHOWN]
    genres = [set(g) for g in catalog.genres]
    jaccard = [
        np.mean([len(genres[i] & genres[j]) / max(1, len(genres[i] | genres[j])) for j in row])
        for i, row in enumerate(shown.tolist())
    ]
    taste = np.einsum("ij,ikj->ik", truth.factors, truth.factors[shown]).mean()
    return {
        "genre_coherence": float(np.mean(jaccard)),
        "true_taste_similarity": float(taste),
        "distinct_lists": len({tuple(row) for row in shown.tolist()}),
        "distinct_lists_top100": len({tuple(shown[i]) for i in popular.tolist()}),
    }


def scores(lists: Lists, queries: Queries, coverage: bool = True) -> Metrics:
    found: Metrics = {}
    for k in CUTOFFS:
        found |= ranking_quality(lists, queries, k)
    return found | ({f"coverage@{k}": coverage_at(lists, k) for k in CUTOFFS} if coverage else {})


def titles_source(given: Path | None) -> tuple[Path, Path]:
    """The titles (`--titles`, else generated) and a cache folder per source: caches never mix."""
    if given is None:
        titles, cache = CACHE_DIR / "generated" / "titles", CACHE_DIR / "generated"
        if not (titles / "netflix_titles.csv").exists():
            generate_catalogs(titles)
        return titles, cache
    digest = hashlib.sha256(str(given.resolve()).encode()).hexdigest()[:12]
    return given, CACHE_DIR / f"titles-{digest}"


@dataclasses.dataclass(frozen=True)
class Family:
    """One generator family's ratings over the catalog, its hidden truth, and those ratings
    split: `train` alone feeds weight selection, `test` scores."""

    name: str
    catalog: CatalogTitles
    ratings: Ratings
    truth: TrueItems
    train: Ratings
    test: Ratings


def split_family(name: str, catalog: CatalogTitles, ratings: Ratings, truth: TrueItems) -> Family:
    return Family(name, catalog, ratings, truth, *split_ratings(ratings, 0.2, SEED))


def family_ratings(
    titles_dir: Path, cache_dir: Path, ids: list[str], n_ratings: int, family: str
) -> Ratings:
    """A family's generated ratings over `ids` (unknown ids dropped), cached once made."""
    path = cache_dir / f"ratings_{family}_{n_ratings}_42.npz"
    if not path.exists():
        made = generated_ratings(titles_dir, n_ratings, family=family)
        position = {title_id: i for i, title_id in enumerate(ids)}
        item = np.array([position.get(i, -1) for i in made.ids] + [-1] * 16)[made.item]
        known, rating2 = item >= 0, (made.rating * 2).astype(np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, user=made.user[known], item=item[known], rating2=rating2[known])
    with np.load(path) as data:
        user, item = data["user"].astype(np.int64), data["item"].astype(np.int64)
        return Ratings(user, item, (data["rating2"] / 2).astype(np.float32))


def load_families(
    n_ratings: int, titles_dir: Path, cache_dir: Path, names: Iterable[str] = FAMILIES
) -> list[Family]:
    """The default family read back from its CSVs (as the ETL would), the others in memory."""
    base = generated_rated_catalog(titles_dir, cache_dir, n_ratings)
    ids = base.catalog.ids
    return [
        split_family(
            family,
            base.catalog,
            base.ratings
            if family == DEFAULT_FAMILY
            else family_ratings(titles_dir, cache_dir, ids, n_ratings, family),
            true_item_factors(titles_dir, family=family).aligned(ids),
        )
        for family in names
    ]


@dataclasses.dataclass(frozen=True)
class Validation:
    """A fifth of each training user's ratings held out; lists only for the query titles."""

    family: str
    catalog: CatalogTitles
    fit: Ratings
    parts: Signals
    queries: Queries
    rows: npt.NDArray[np.int64]

    def scores(self, lists: Lists) -> Metrics:
        full = np.zeros((len(self.catalog), lists.shape[1]), dtype=np.int64)
        full[self.rows] = lists
        return scores(full, self.queries, coverage=False)

    def checks(self, weights: BlendWeights) -> dict[str, Any]:
        lists = blend(self.parts, weights, LIST_LENGTH).astype(np.int64)
        popular = np.argsort(-self.catalog.votes, kind="stable")[:POPULAR]
        top = len({tuple(r) for r in lists[popular, :SHOWN].tolist()})
        return {"coverage@10": coverage_at(lists, 10), "distinct_lists_top100": top}


def validation_split(family: str, catalog: CatalogTitles, train_part: Ratings) -> Validation:
    fit_part, valid_part = split_ratings(train_part, 0.2, SEED + 1)
    fit_catalog = rescored(catalog, fit_part)
    queries = make_queries(fit_part, valid_part, QUERIES, SEED + 1)
    parts, rows = signals(fit_catalog, fit_part), np.unique(queries.title)
    return Validation(family, fit_catalog, fit_part, parts, queries, rows)


def _share_of_best(metrics: list[Metrics]) -> list[float]:
    """Each entry's hit rate@5 and NDCG@5 as shares of the best entry's, averaged."""
    best = {m: max(r[m] for r in metrics) or 1.0 for m in ("hit_rate@5", "ndcg@5")}
    return [float(np.mean([r[m] / best[m] for m in best])) for r in metrics]


def select(
    families: list[Family], grid: list[BlendWeights] = GRID
) -> tuple[BlendWeights, dict[str, float], dict[str, Any]]:
    """Blend weights and item-kNN's shrinkage per family (a baseline tuned as well as ours),
    chosen on validation splits of the training parts, and every candidate's validation scores.

    Blend: the grid point whose worse family comes closest to that family's best (hit rate@5
    and NDCG@5 as shares of the family's best point, averaged), the first in that order whose
    coverage@10 is at least `VALIDATION_COVERAGE` and whose `POPULAR` most rated titles all
    have their own top 5, in every family. Item-kNN: per family, the shrinkage of
    `SHRINKAGES` with the best such share."""
    validations = [validation_split(f.name, f.catalog, f.train) for f in families]
    grid_scores: dict[str, list[Metrics]] = {}
    knn_scores: dict[str, dict[float, Metrics]] = {}
    for v in validations:
        grid_scores[v.family] = [
            v.scores(blend(v.parts, weights, LIST_LENGTH, v.rows).astype(np.int64))
            for weights in grid
        ]
        knn = rec.item_knn_lists(v.fit, v.catalog.titles, LIST_LENGTH, rec.SHRINKAGES, v.rows)
        knn_scores[v.family] = {s: v.scores(lists) for s, lists in knn.items()}
    shares = [min(found) for found in zip(*map(_share_of_best, grid_scores.values()), strict=True)]
    checked: dict[int, dict[str, dict[str, Any]]] = {}
    for chosen in sorted(range(len(grid)), key=lambda i: (-shares[i], i)):
        checked[chosen] = {v.family: v.checks(grid[chosen]) for v in validations}
        if all(
            c["coverage@10"] >= VALIDATION_COVERAGE and c["distinct_lists_top100"] == POPULAR
            for c in checked[chosen].values()
        ):
            break
    else:
        chosen = max(range(len(grid)), key=lambda i: (shares[i], -i))
    shrinkage = {
        family: list(found)[int(np.argmax(_share_of_best(list(found.values()))))]
        for family, found in knn_scores.items()
    }
    report = {
        "grid": [
            {
                "weights": dataclasses.asdict(weights),
                "worse_family_share_of_best": round(shares[i], 4),
                "families": {
                    f: s[i] | checked.get(i, {}).get(f, {}) for f, s in grid_scores.items()
                },
            }
            for i, weights in enumerate(grid)
        ],
        "item_knn_shrinkage": shrinkage,
        "item_knn": {f: {str(s): m for s, m in found.items()} for f, found in knn_scores.items()},
    }
    return grid[chosen], shrinkage, report


Recommender = Callable[[Signals, CatalogTitles, Ratings], Lists]


def methods(chosen: BlendWeights, shrinkage: float) -> dict[str, Recommender]:

    def blended(weights: BlendWeights) -> Recommender:
        return lambda parts, _c, _r: blend(parts, weights, LIST_LENGTH).astype(np.int64)

    ours = {"streamcat": DEFAULT_WEIGHTS} | (
        {"streamcat_chosen": chosen} if chosen != DEFAULT_WEIGHTS else {}
    )
    return {name: blended(weights) for name, weights in ours.items()} | {
        "item_knn": lambda _p, c, r: rec.item_knn_lists(r, c.titles, LIST_LENGTH, [shrinkage])[
            shrinkage
        ],
        **{name: blended(weights) for name, weights in rec.BLENDS.items()},
        "popularity": lambda _p, catalog, _r: rec.popularity_lists(catalog, LIST_LENGTH),
        "seed_kmeans": lambda _p, catalog, _r: rec.seed_kmeans_lists(catalog, LIST_LENGTH),
    }


def held_out_scores(
    family: Family, weights: BlendWeights, shrinkage: float
) -> tuple[dict[str, Metrics], int, dict[str, float]]:
    """Every method trained on the training part, scored on the test part; seconds per method."""
    catalog = rescored(family.catalog, family.train)
    queries = make_queries(family.train, family.test, QUERIES, SEED)
    popular = np.argsort(-catalog.votes, kind="stable")[:POPULAR]
    started = time.perf_counter()
    parts = signals(catalog, family.train)
    seconds = {"signals": time.perf_counter() - started}
    results = {}
    for name, recommend in methods(weights, shrinkage).items():
        started = time.perf_counter()
        lists = recommend(parts, catalog, family.train)
        seconds[name] = time.perf_counter() - started
        quality = list_quality(lists, catalog, family.truth, popular)
        results[name] = scores(lists, queries) | quality
    return results, len(queries.title), {name: round(s, 2) for name, s in seconds.items()}


def evaluate(n_ratings: int, titles_dir: Path, cache_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    families = load_families(n_ratings, titles_dir, cache_dir)
    prepared = time.perf_counter()
    weights, shrinkage, validation = select(families)
    validated = time.perf_counter()
    found: dict[str, Any] = {}
    for family in families:
        results, queries, seconds = held_out_scores(family, weights, shrinkage[family.name])
        found[family.name] = {
            "ratings": len(family.ratings.user),
            "train_ratings": len(family.train.user),
            "held_out_ratings": len(family.test.user),
            "queries": queries,
            "seconds": seconds,
            "methods": results,
        }
    default = found[DEFAULT_FAMILY]
    return {
        **{k: default[k] for k in ("ratings", "train_ratings", "held_out_ratings")},
        "titles": len(families[0].catalog),
        "queries": default["queries"],
        "prepare_s": round(prepared - started, 2),
        "validation_s": round(validated - prepared, 2),
        "test_s": round(time.perf_counter() - validated, 2),
        "train_s": round(default["seconds"]["signals"] + default["seconds"]["streamcat"], 2),
        "default_family": DEFAULT_FAMILY,
        "weights": {
            "served": dataclasses.asdict(DEFAULT_WEIGHTS),
            "chosen": dataclasses.asdict(weights),
            "chosen_is_served": weights == DEFAULT_WEIGHTS,
        },
        "validation": validation,
        "methods": default["methods"],
        "families": found,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments("evaluate", __doc__, argv, ratings=11_000_000, titles=None)
    report = evaluate(args.ratings, *titles_source(args.titles))
    return write_out(args.out, report)


if __name__ == "__main__":
    sys.exit(main())
