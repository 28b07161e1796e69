"""The offline evaluation's parts: every baseline gives per-title lists without the query,
item-kNN's shrinkage, weight selection that never sees the test part, and the second generator
family whose hidden tastes owe nothing to genres."""

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench import evaluate
from bench.evaluate import Family, rescored, select, split_family
from bench.recommenders import BLENDS, item_knn_lists, popularity_lists, seed_kmeans_lists
from local.catalog_fixtures import RatedCatalog, generated_rated_catalog
from local.ratings_generator import read_catalog, true_item_factors
from streamcat.training_input import Ratings
from streamcat_train.model import BlendWeights, blend, families, signals
from tests.support.recommend import subset_titles_dir

K = 10


@pytest.fixture(scope="module")
def small_titles(titles_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return subset_titles_dir(titles_dir, tmp_path_factory.mktemp("titles"), 300)


@pytest.fixture(scope="module")
def data(small_titles: Path, tmp_path_factory: pytest.TempPathFactory) -> RatedCatalog:
    return generated_rated_catalog(small_titles, tmp_path_factory.mktemp("ratings"), 60_000)


@pytest.fixture(scope="module")
def split(small_titles: Path, data: RatedCatalog) -> Family:
    truth = true_item_factors(small_titles).aligned(data.catalog.ids)
    return split_family("genre", data.catalog, data.ratings, truth)


def test_every_baseline_gives_each_title_its_own_list_without_it(split: Family) -> None:
    catalog = rescored(split.catalog, split.train)
    parts = signals(catalog, split.train)
    family = families(catalog.titles)
    rows = np.arange(len(catalog))[:, None]
    baselines: dict[str, Any] = {
        "item_knn": item_knn_lists(split.train, catalog.titles, K, [100.0])[100.0],
        **{name: blend(parts, weights, K) for name, weights in BLENDS.items()},
        "popularity": popularity_lists(catalog, K),
        "seed_kmeans": seed_kmeans_lists(catalog, K),
    }
    for name, lists in baselines.items():
        assert lists.shape == (len(catalog), K), name
        assert not (lists == rows).any(), f"{name} recommends a title for itself"
        assert all(len(set(row)) == K for row in lists.tolist()), f"{name} repeats a title"
        if name != "seed_kmeans":  # the seed's KMeans never knew about copies
            assert not (family[lists] == family[:, None]).any(), f"{name} lists a copy"


def _ratings(rated_by: dict[int, list[int]]) -> Ratings:
    pairs = [(user, item) for item, users in rated_by.items() for user in users]
    user, item = np.array(pairs).T
    return Ratings(user, item, np.full(len(pairs), 4.0, dtype=np.float32))


def test_item_knn_shrinks_pairs_few_users_rated_together() -> None:
    """Title 0 is rated by users 0-3. Title 1 only by user 0: cosine 1/sqrt(4 * 1) = 0.5, one
    co-rating. Title 2 by users 0-3 and 13 others: cosine 4/sqrt(4 * 17) = 0.49, four
    co-ratings. Plain cosine prefers 1; shrinkage prefers 2, and at equal cosine (12 others)
    too."""
    titles = ["a", "b", "c", "d", "e"]
    other = {3: [40, 41], 4: [42]}
    slightly_lower = _ratings({0: [0, 1, 2, 3], 1: [0], 2: [0, 1, 2, 3, *range(4, 17)]} | other)
    equal = _ratings({0: [0, 1, 2, 3], 1: [0], 2: [0, 1, 2, 3, *range(4, 16)]} | other)
    query = np.array([0])
    found = item_knn_lists(slightly_lower, titles, 2, [0.0, 10.0], rows=query)
    assert (found[0.0][0, 0], found[10.0][0, 0]) == (1, 2)
    assert item_knn_lists(equal, titles, 2, [10.0], rows=query)[10.0][0].tolist() == [2, 1]


def _pairs(ratings: Ratings) -> set[tuple[int, int]]:
    return set(zip(ratings.user.tolist(), ratings.item.tolist(), strict=True))


def test_weight_selection_never_sees_the_test_part(
    split: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What selection reads is carved from the training part only, and replacing every test
    rating changes nothing it chooses."""
    grid = [BlendWeights(content=0.5, gamma=0.75), BlendWeights(content=0.8, gamma=0.5)]
    seen: list[Ratings] = []
    carve = evaluate.validation_split

    def spy(family: str, catalog: object, train_part: Ratings) -> evaluate.Validation:
        seen.append(train_part)
        validation = carve(family, catalog, train_part)  # type: ignore[arg-type]
        seen.append(validation.fit)
        return validation

    monkeypatch.setattr(evaluate, "validation_split", spy)
    chosen = select([split], grid)
    test_pairs = _pairs(split.test)
    assert seen and test_pairs
    for ratings in seen:
        assert not _pairs(ratings) & test_pairs
    assert _pairs(seen[0]) == _pairs(split.train)

    flipped = dataclasses.replace(split.test, rating=(5.5 - split.test.rating))
    again = select([dataclasses.replace(split, test=flipped)], grid)
    assert again == chosen  # the weights, the shrinkage, every validation score


def _same_genre_excess(factors: np.ndarray, genres: list[list[str]]) -> float:
    """Mean cosine of hidden factors between titles sharing a genre, minus that of all pairs."""
    members: dict[str, list[int]] = {}
    for i, listed in enumerate(genres):
        for genre in listed:
            members.setdefault(genre, []).append(i)
    within = []
    for rows in members.values():
        if len(rows) >= 5:
            total = factors[rows].sum(axis=0)
            n = len(rows)
            within.append((total @ total - n) / (n * (n - 1)))
    total = factors.sum(axis=0)
    n = len(factors)
    return float(np.mean(within) - (total @ total - n) / (n * (n - 1)))


def test_latent_family_factors_owe_nothing_to_genres(small_titles: Path) -> None:
    genres = read_catalog(small_titles).genres
    by_genre = true_item_factors(small_titles, family="genre").factors
    latent = true_item_factors(small_titles, family="latent").factors
    assert _same_genre_excess(by_genre, genres) > 0.2  # real catalogs 0.3+, generated 0.28
    assert abs(_same_genre_excess(latent, genres)) < 0.03
