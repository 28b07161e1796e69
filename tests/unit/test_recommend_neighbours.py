"""Blockwise top-k: exactly the brute-force answer, never the title itself or a copy."""

import numpy as np
import numpy.typing as npt
import pytest

from streamcat_train.neighbours import top_neighbours

Floats = npt.NDArray[np.float32]


def _brute_force(
    queries: Floats, keys: Floats, bonus: Floats, family: npt.NDArray[np.int64], k: int
) -> npt.NDArray[np.int64]:
    scores = queries @ keys.T + bonus
    scores[family[:, None] == family[None, :]] = -np.inf
    order: npt.NDArray[np.int64] = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order


def test_matches_brute_force_across_blocks_and_chunks() -> None:
    rng = np.random.default_rng(1)
    n = 1300  # more than one row block, a partial last column chunk
    queries = rng.standard_normal((n, 6)).astype(np.float32)
    keys = rng.standard_normal((n, 6)).astype(np.float32)
    bonus = rng.normal(0, 0.1, n).astype(np.float32)
    family = np.arange(n)
    family[[5, 700, 1299]] = 5
    found = top_neighbours(queries, keys, bonus, family, 7)
    expected = _brute_force(queries, keys, bonus, family, 7)
    np.testing.assert_array_equal(found, expected)


def test_never_recommends_itself_or_a_copy_even_when_most_similar() -> None:
    same = np.ones((4, 3), dtype=np.float32)
    other = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    embedding = np.vstack([same, other])
    family = np.array([0, 0, 1, 2, 3, 4])
    found = top_neighbours(embedding, embedding, np.zeros(6, np.float32), family, 3)
    for row, members in enumerate(found):
        assert row not in members
        assert not set(members) & set(np.flatnonzero(family == family[row]))


def test_k_must_fit_the_catalog() -> None:
    embedding = np.ones((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="k must be"):
        top_neighbours(embedding, embedding, np.zeros(3, np.float32), np.arange(3), 3)
