"""The seeded ratings generator: shape, determinism, realism and a recoverable structure."""

import csv
from pathlib import Path

import numpy as np
import pytest

from local.catalog_fixtures import clean_catalog, read_ratings_dir
from local.ratings_generator import UNMATCHED_IDS, generate_ratings, true_item_factors
from tests.support.recommend import subset_titles_dir

N_RATINGS = 60_000


@pytest.fixture(scope="module")
def small_titles(titles_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return subset_titles_dir(titles_dir, tmp_path_factory.mktemp("titles"), 600)


@pytest.fixture(scope="module")
def ratings_dir(small_titles: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ratings")
    generate_ratings(small_titles, out, n_ratings=N_RATINGS, seed=5)
    return out


def test_writes_eight_files_with_the_original_header_and_exact_count(ratings_dir: Path) -> None:
    paths = sorted(ratings_dir.glob("*.csv"))
    assert [p.name for p in paths] == [f"{n}.csv" for n in range(1, 9)]
    total = 0
    for path in paths:
        with path.open() as file:
            rows = list(csv.reader(file))
        assert rows[0] == ["userId", "rating", "timestamp", "movieId"]
        total += len(rows) - 1
    assert total == N_RATINGS


def test_same_seed_same_bytes_other_seed_other_bytes(
    small_titles: Path, ratings_dir: Path, tmp_path: Path
) -> None:
    generate_ratings(small_titles, tmp_path / "again", n_ratings=N_RATINGS, seed=5)
    generate_ratings(small_titles, tmp_path / "other", n_ratings=N_RATINGS, seed=6)
    first = (ratings_dir / "3.csv").read_bytes()
    assert (tmp_path / "again" / "3.csv").read_bytes() == first
    assert (tmp_path / "other" / "3.csv").read_bytes() != first


def test_ratings_look_like_real_ratings(small_titles: Path, ratings_dir: Path) -> None:
    rows = [r for p in sorted(ratings_dir.glob("*.csv")) for r in csv.DictReader(p.open())]
    stars = np.array([float(r["rating"]) for r in rows])
    values, counts = np.unique(stars, return_counts=True)
    assert set(values) <= {v / 2 for v in range(1, 11)}
    assert values[np.argmax(counts)] == 4.0
    assert 3.3 < stars.mean() < 3.7
    timestamps = np.array([int(r["timestamp"]) for r in rows])
    assert timestamps.min() >= 946_684_800 and timestamps.max() <= 1_640_995_200
    matched = [(r["userId"], r["movieId"]) for r in rows if r["movieId"] not in UNMATCHED_IDS]
    assert len(set(matched)) == len(matched), "a user rates a catalog title at most once"
    per_user = np.bincount(np.array([int(r["userId"]) for r in rows]))
    assert per_user.max() > 5 * np.median(per_user[per_user > 0]), "activity is long-tailed"
    unmatched = sum(r["movieId"] in UNMATCHED_IDS for r in rows)
    assert 0 < unmatched < 0.01 * len(rows)


def test_liked_titles_share_true_taste(small_titles: Path, ratings_dir: Path) -> None:
    """Titles one user rates lie closer in the hidden factors than random pairs."""
    # Without taste in the ratings the two means differ by noise (about 0.004); the real and
    # the generated catalogs give 0.10 and 0.08.
    assert _taste_margin(small_titles, ratings_dir, "genre") > 0.05


def test_rejects_impossible_arguments(small_titles: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_ratings"):
        generate_ratings(small_titles, tmp_path, n_ratings=0)


def test_latent_family_ratings_follow_its_own_hidden_tastes(
    small_titles: Path, tmp_path: Path
) -> None:
    """In the `latent` family too, titles one user rates lie closer in that family's factors."""
    out = tmp_path / "latent"
    generate_ratings(small_titles, out, n_ratings=N_RATINGS, seed=5, family="latent")
    assert _taste_margin(small_titles, out, "latent") > 0.02
    with pytest.raises(ValueError, match="family"):
        generate_ratings(small_titles, tmp_path / "x", n_ratings=10, family="genres")


def _taste_margin(titles: Path, ratings_dir: Path, family: str) -> float:
    """How much closer, in the family's hidden factors, the titles one user rates one after
    the other lie than random pairs of titles."""
    ids = [t.id for t in clean_catalog(titles)]
    ratings = read_ratings_dir(ratings_dir, ids)
    factors = true_item_factors(titles, seed=5, family=family).aligned(ids).factors
    order = np.argsort(ratings.user, kind="stable")
    user, item = ratings.user[order], ratings.item[order]
    same_user = user[1:] == user[:-1]
    together = np.einsum("ij,ij->i", factors[item[1:][same_user]], factors[item[:-1][same_user]])
    rng = np.random.default_rng(0)
    random_pairs = (
        factors[rng.integers(0, len(ids), 5000)] * factors[rng.integers(0, len(ids), 5000)]
    )
    return float(together.mean() - random_pairs.sum(axis=1).mean())
