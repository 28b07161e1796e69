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
from bench.files import REPO
from bench.harness import arguments, write_out
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
    """Share of the titles that appear in some title's first k."""
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
    factors = truth.factors
    taste = np.einsum("ij,ikj->ik", factors, factors[shown]).mean()
    distinct_popular = len({tuple(shown[i]) for i in popular.tolist()})
    return {
        "genre_coherence": float(np.mean(jaccard)),
        "true_taste_similarity": float(taste),
        "distinct_lists": len({tuple(row) for row in shown.tolist()}),
        "distinct_lists_top100": distinct_popular,
    }


def scores(lists: Lists, queries: Queries) -> Metrics:
    """Hit rate, NDCG and coverage at 5 and 10."""
    found: Metrics = {}
    for k in CUTOFFS:
        found |= ranking_quality(lists, queries, k)
    return found | {f"coverage@{k}": coverage_at(lists, k) for k in CUTOFFS}


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


@dataclasses.dataclass(frozen=True)
class FamilyData:
    """One generator family's ratings over the catalog, and its hidden truth."""

    family: str
    catalog: CatalogTitles
    ratings: Ratings
    truth: TrueItems


def family_ratings(
    titles_dir: Path, cache_dir: Path, ids: list[str], n_ratings: int, family: str
) -> Ratings:
    """A family's generated ratings over the catalog `ids` (unknown ids dropped), generated in
    memory once and cached beside the default family's CSVs."""
    path = cache_dir / f"ratings_{family}_{n_ratings}_42.npz"
    if not path.exists():
        made = generated_ratings(titles_dir, n_ratings, family=family)
        position = {title_id: i for i, title_id in enumerate(ids)}
        to_catalog = np.array([position.get(i, -1) for i in made.ids] + [-1] * 16)
        item = to_catalog[made.item]
        known = item >= 0
        path.parent.mkdir(parents=True, exist_ok=True)
        rating2 = (made.rating[known] * 2).astype(np.uint8)
        np.savez(path, user=made.user[known], item=item[known], rating2=rating2)
    with np.load(path) as data:
        user, item = data["user"].astype(np.int64), data["item"].astype(np.int64)
        return Ratings(user, item, (data["rating2"] / 2).astype(np.float32))


def load_families(
    n_ratings: int, titles_dir: Path, cache_dir: Path, names: Iterable[str] = FAMILIES
) -> list[FamilyData]:
    """The default family read back from its CSVs (as the ETL would), the others in memory."""
    base = generated_rated_catalog(titles_dir, cache_dir, n_ratings)
    found = []
    for family in names:
        ratings = (
            base.ratings
            if family == DEFAULT_FAMILY
            else family_ratings(titles_dir, cache_dir, base.catalog.ids, n_ratings, family)
        )
        truth = true_item_factors(titles_dir, family=family).aligned(base.catalog.ids)
        found.append(FamilyData(family, base.catalog, ratings, truth))
    return found


@dataclasses.dataclass(frozen=True)
class Split:
    """A family's ratings split for the evaluation; `train` alone feeds weight selection."""

    data: FamilyData
    train: Ratings
    test: Ratings


def split_family(data: FamilyData) -> Split:
    train_part, test_part = split_ratings(data.ratings, 0.2, SEED)
    return Split(data, train_part, test_part)


@dataclasses.dataclass(frozen=True)
class Validation:
    """A validation split carved from one family's training part: a fifth of each training
    user's ratings (`valid`) held out, the signals computed from the rest (`fit`)."""

    family: str
    catalog: CatalogTitles
    fit: Ratings
    parts: Signals
    queries: Queries

    def scores(self, lists: Lists) -> Metrics:
        """Hit rate and NDCG at 5 and 10 of lists computed for the query titles only."""
        found: Metrics = {}
        full = np.zeros((len(self.catalog), lists.shape[1]), dtype=np.int64)
        full[self.rows] = lists
        for k in CUTOFFS:
            found |= ranking_quality(full, self.queries, k)
        return found

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        return np.unique(self.queries.title)


def validation_split(family: str, catalog: CatalogTitles, train_part: Ratings) -> Validation:
    """The validation split of `train_part`; nothing but `train_part` is seen here."""
    fit_part, valid_part = split_ratings(train_part, 0.2, SEED + 1)
    fit_catalog = rescored(catalog, fit_part)
    queries = make_queries(fit_part, valid_part, QUERIES, SEED + 1)
    return Validation(family, fit_catalog, fit_part, signals(fit_catalog, fit_part), queries)


def _share_of_best(metrics: list[Metrics]) -> list[float]:
    """Each entry's hit rate@5 and NDCG@5 as shares of the best entry's, averaged."""
    best = {m: max(r[m] for r in metrics) or 1.0 for m in ("hit_rate@5", "ndcg@5")}
    return [float(np.mean([r[m] / best[m] for m in best])) for r in metrics]


@dataclasses.dataclass(frozen=True)
class Selection:
    """What the validation splits chose: the blend's weights and item-kNN's shrinkage per family
    (a baseline tuned as well as ours), with every grid point's validation scores."""

    weights: BlendWeights
    grid: list[BlendWeights]
    grid_scores: dict[str, list[Metrics]]
    shares: list[float]
    coverage: dict[int, dict[str, float]]
    """coverage@10 per family of the grid points checked against `VALIDATION_COVERAGE`."""
    distinct: dict[int, dict[str, int]]
    """Distinct top-5 lists of the `POPULAR` most rated titles, per family, of the same."""
    shrinkage: dict[str, float]
    shrinkage_scores: dict[str, dict[float, Metrics]]

    def report(self) -> dict[str, Any]:
        def checked(i: int, family: str) -> dict[str, Any]:
            if i not in self.coverage:
                return {}
            found = self.coverage[i][family], self.distinct[i][family]
            return dict(zip(("coverage@10", "distinct_lists_top100"), found, strict=True))

        return {
            "grid": [
                {
                    "weights": dataclasses.asdict(weights),
                    "worse_family_share_of_best": round(self.shares[i], 4),
                    "families": {f: s[i] | checked(i, f) for f, s in self.grid_scores.items()},
                }
                for i, weights in enumerate(self.grid)
            ],
            "item_knn_shrinkage": self.shrinkage,
            "item_knn": {
                family: {str(s): m for s, m in found.items()}
                for family, found in self.shrinkage_scores.items()
            },
        }


def select(splits: list[Split], grid: list[BlendWeights] = GRID) -> Selection:
    """Blend weights and item-kNN shrinkage chosen on validation splits of the training parts.

    Blend: the grid point whose worse family comes closest to that family's best (hit rate@5
    and NDCG@5 as shares of the family's best point, averaged), the first in that order whose
    coverage@10 is at least `VALIDATION_COVERAGE` and whose `POPULAR` most rated titles all
    have their own top 5, in every family. Item-kNN: per family, the shrinkage of
    `SHRINKAGES` with the best such share."""
    validations = [validation_split(s.data.family, s.data.catalog, s.train) for s in splits]
    grid_scores: dict[str, list[Metrics]] = {}
    shrinkage_scores: dict[str, dict[float, Metrics]] = {}
    for v in validations:
        grid_scores[v.family] = [
            v.scores(blend(v.parts, weights, LIST_LENGTH, v.rows).astype(np.int64))
            for weights in grid
        ]
        knn = rec.item_knn_lists_by_shrinkage(
            v.fit, v.catalog.titles, LIST_LENGTH, rec.SHRINKAGES, v.rows
        )
        shrinkage_scores[v.family] = {s: v.scores(lists) for s, lists in knn.items()}
    shares = [
        min(values) for values in zip(*map(_share_of_best, grid_scores.values()), strict=True)
    ]
    coverage: dict[int, dict[str, float]] = {}
    distinct: dict[int, dict[str, int]] = {}
    chosen = None
    for i in sorted(range(len(grid)), key=lambda i: (-shares[i], i)):
        coverage[i], distinct[i] = {}, {}
        for v in validations:
            lists = blend(v.parts, grid[i], LIST_LENGTH).astype(np.int64)
            popular = np.argsort(-v.catalog.votes, kind="stable")[:POPULAR]
            coverage[i][v.family] = coverage_at(lists, 10)
            distinct[i][v.family] = len({tuple(row) for row in lists[popular, :SHOWN].tolist()})
        if (
            min(coverage[i].values()) >= VALIDATION_COVERAGE
            and min(distinct[i].values()) == POPULAR
        ):
            chosen = i
            break
    if chosen is None:
        chosen = max(range(len(grid)), key=lambda i: (shares[i], -i))
    shrinkage = {}
    for family, found in shrinkage_scores.items():
        values = list(found)
        shrinkage[family] = values[int(np.argmax(_share_of_best([found[s] for s in values])))]
    return Selection(
        grid[chosen], grid, grid_scores, shares, coverage, distinct, shrinkage, shrinkage_scores
    )


Recommender = Callable[[Signals, CatalogTitles, Ratings], Lists]


def methods(chosen: BlendWeights, shrinkage: float) -> dict[str, Recommender]:
    """Every method evaluated, by name: each turns the training signals, the rescored catalog
    and the training ratings into per-title lists of `LIST_LENGTH`."""

    def blended(weights: BlendWeights) -> Recommender:
        return lambda parts, _c, _r: blend(parts, weights, LIST_LENGTH).astype(np.int64)

    found = {"streamcat": blended(DEFAULT_WEIGHTS)}
    if chosen != DEFAULT_WEIGHTS:
        found["streamcat_chosen"] = blended(chosen)
    return found | {
        "item_knn": lambda _p, c, r: rec.item_knn_lists(r, c.titles, LIST_LENGTH, shrinkage),
        "svd_only": lambda parts, _c, _r: rec.svd_only_lists(parts, LIST_LENGTH),
        "svd_boosted": lambda parts, _c, _r: rec.svd_boosted_lists(parts, LIST_LENGTH),
        "content_only": lambda parts, _c, _r: rec.content_only_lists(parts, LIST_LENGTH),
        "popularity": lambda _p, catalog, _r: rec.popularity_lists(catalog, LIST_LENGTH),
        "seed_kmeans": lambda _p, catalog, _r: rec.seed_kmeans_lists(catalog, LIST_LENGTH),
    }


def held_out_scores(
    split: Split, selection: Selection
) -> tuple[dict[str, Metrics], int, dict[str, float]]:
    """Every method trained on the whole training part, scored on the test part: the metrics
    per method, the number of queries and the seconds each method took."""
    catalog = rescored(split.data.catalog, split.train)
    queries = make_queries(split.train, split.test, QUERIES, SEED)
    popular = np.argsort(-catalog.votes, kind="stable")[:POPULAR]
    started = time.perf_counter()
    parts = signals(catalog, split.train)
    seconds = {"signals": time.perf_counter() - started}
    results = {}
    shrinkage = selection.shrinkage[split.data.family]
    for name, recommend in methods(selection.weights, shrinkage).items():
        started = time.perf_counter()
        lists = recommend(parts, catalog, split.train)
        seconds[name] = time.perf_counter() - started
        results[name] = scores(lists, queries) | list_quality(
            lists, catalog, split.data.truth, popular
        )
    return results, len(queries.title), {name: round(s, 2) for name, s in seconds.items()}


def evaluate(n_ratings: int, titles_dir: Path, cache_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    splits = [split_family(data) for data in load_families(n_ratings, titles_dir, cache_dir)]
    prepared = time.perf_counter()
    selection = select(splits)
    validated = time.perf_counter()
    families: dict[str, Any] = {}
    for split in splits:
        results, queries, seconds = held_out_scores(split, selection)
        families[split.data.family] = {
            "ratings": len(split.data.ratings.user),
            "train_ratings": len(split.train.user),
            "held_out_ratings": len(split.test.user),
            "queries": queries,
            "seconds": seconds,
            "methods": results,
        }
    default = families[DEFAULT_FAMILY]
    return {
        "ratings": default["ratings"],
        "train_ratings": default["train_ratings"],
        "held_out_ratings": default["held_out_ratings"],
        "titles": len(splits[0].data.catalog),
        "queries": default["queries"],
        "prepare_s": round(prepared - started, 2),
        "validation_s": round(validated - prepared, 2),
        "test_s": round(time.perf_counter() - validated, 2),
        "train_s": round(default["seconds"]["signals"] + default["seconds"]["streamcat"], 2),
        "default_family": DEFAULT_FAMILY,
        "weights": {
            "served": dataclasses.asdict(DEFAULT_WEIGHTS),
            "chosen": dataclasses.asdict(selection.weights),
            "chosen_is_served": selection.weights == DEFAULT_WEIGHTS,
        },
        "validation": selection.report(),
        "methods": default["methods"],
        "families": families,
    }


PLOTTED = ["hit_rate@5", "ndcg@5", "hit_rate@10", "ndcg@10", "coverage@10"]


def plot(report: dict[str, Any], path: Path) -> None:
    """One row of bar charts per family, one chart per metric of `PLOTTED`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = report["families"]
    figure, axes = plt.subplots(
        len(families),
        len(PLOTTED),
        figsize=(3.0 * len(PLOTTED), 3.2 * len(families)),
        squeeze=False,
    )
    for row, (family, found) in enumerate(families.items()):
        methods = found["methods"]
        colours = ["#2a9d8f" if name.startswith("streamcat") else "#8d99ae" for name in methods]
        for axis, metric in zip(axes[row], PLOTTED, strict=True):
            axis.bar(list(methods), [methods[name][metric] for name in methods], color=colours)
            axis.set_title(f"{metric} ({family})", fontsize=9)
            axis.tick_params(axis="x", labelrotation=45, labelsize=7)
    figure.suptitle(f"Recommender offline evaluation ({report['ratings']:,} ratings)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    args = arguments("evaluate", __doc__, argv, ratings=11_000_000, titles=None)
    report = evaluate(args.ratings, *titles_source(args.titles))
    plot(report, args.out.with_suffix(".png"))
    return write_out(args.out, report)


if __name__ == "__main__":
    sys.exit(main())
