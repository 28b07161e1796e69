"""Training on small generated data recovers the generator's hidden structure, better than
the seed's KMeans and popularity; lists are per title and never hold the title or a copy."""

from pathlib import Path

import numpy as np
import pytest

from bench.recommenders import popularity_lists, seed_kmeans_lists
from local.catalog_fixtures import RatedCatalog, generated_rated_catalog
from local.ratings_generator import true_item_factors
from streamcat_train.collaborative import RatingsModel, ratings_factors
from streamcat_train.model import RATINGS_DIMS, TrainedModel, families, train, train_from_factors
from streamcat_train.model import SEED as MODEL_SEED
from tests.support.recommend import subset_titles_dir

SEED = 11


@pytest.fixture(scope="module")
def small_titles(titles_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return subset_titles_dir(titles_dir, tmp_path_factory.mktemp("titles"), 700)


@pytest.fixture(scope="module")
def data(small_titles: Path, tmp_path_factory: pytest.TempPathFactory) -> RatedCatalog:
    return generated_rated_catalog(
        small_titles, tmp_path_factory.mktemp("ratings"), 150_000, seed=SEED
    )


@pytest.fixture(scope="module")
def model(data: RatedCatalog) -> TrainedModel:
    return train(data.catalog, data.ratings)


def _true_taste(lists: np.ndarray, factors: np.ndarray, rows: np.ndarray) -> float:
    shown = lists[rows, :5]
    return float(np.einsum("ij,ikj->ik", factors[rows], factors[shown]).mean())


def test_neighbours_share_true_taste_more_than_baselines(
    small_titles: Path, data: RatedCatalog, model: TrainedModel
) -> None:
    factors = true_item_factors(small_titles, seed=SEED).aligned(data.catalog.ids).factors
    rated = np.flatnonzero(data.catalog.votes >= 20)
    ours = _true_taste(model.neighbours, factors, rated)
    kmeans = _true_taste(seed_kmeans_lists(data.catalog, 10), factors, rated)
    popular = _true_taste(popularity_lists(data.catalog, 10), factors, rated)
    assert ours > kmeans + 0.15
    assert ours > popular + 0.15


def test_no_title_is_recommended_itself_or_its_copy(
    data: RatedCatalog, model: TrainedModel
) -> None:
    family = families(data.catalog.titles)
    assert model.neighbours.shape == (len(data.catalog), 10)
    rows = np.arange(len(data.catalog))[:, None]
    assert not (model.neighbours == rows).any()
    assert not (family[model.neighbours] == family[:, None]).any()


def test_popular_titles_get_lists_of_their_own(data: RatedCatalog, model: TrainedModel) -> None:
    popular = np.argsort(-data.catalog.votes, kind="stable")[:50]
    lists = {tuple(model.neighbours[i, :5]) for i in popular}
    assert len(lists) == 50


def test_training_is_deterministic(data: RatedCatalog, model: TrainedModel) -> None:
    again = train(data.catalog, data.ratings)
    np.testing.assert_array_equal(again.neighbours, model.neighbours)


def test_factors_from_elsewhere_train_the_same_model(
    data: RatedCatalog, model: TrainedModel
) -> None:
    """The Spark path hands its factors to `train_from_factors`: given the Lambda's own, the
    model is the Lambda's, so nothing after the factorisation depends on the engine."""
    n = len(data.catalog)
    factors = ratings_factors(data.ratings, n, RATINGS_DIMS, MODEL_SEED)
    votes = np.bincount(data.ratings.item, minlength=n)

    given = train_from_factors(data.catalog, factors, votes, len(data.ratings.user))

    np.testing.assert_array_equal(given.neighbours, model.neighbours)
    assert given.n_ratings == model.n_ratings


def test_factors_of_another_catalog_are_refused(data: RatedCatalog) -> None:
    n = len(data.catalog)
    factors = RatingsModel(np.ones(2, np.float32), np.ones((n - 1, 2), np.float32))

    with pytest.raises(ValueError, match="one row per catalog title"):
        train_from_factors(data.catalog, factors, np.ones(n, np.int64), n)
