"""The recommender: one similarity blending content, co-rating structure and a quality prior,
turned into every title's top neighbours.

For a query title i and a candidate j:

    sim(i, j) = W_c^2 cos_content(i, j)
              + W_r conf_i cos_ratings(i, j) (|r_j| / |r|_99)^GAMMA
              + W_q quality_j,     conf_i = votes_i / (votes_i + TRUST mean(votes))

The ratings term is asymmetric on purpose: the candidate's factor length (how much it is rated
and liked), damped by GAMMA, makes "users who liked i also liked j" favour titles people
actually watch, without collapsing every list onto the same few hits (GAMMA = 1 nearly does,
GAMMA = 0 ignores it). A title nobody rated is matched on content alone.

The weights (`DEFAULT_WEIGHTS`: W_c 0.4, GAMMA 0.75, W_q 0, TRUST 2) were chosen by
`bench.evaluate` on a validation split carved from the training ratings, the best on both
generator families among the weights that keep coverage and per-title lists (see the README).
A title rated less than about twice the mean leans on its content: that is where coverage
comes from, while the popular titles most queries are about lean on their co-ratings.
`signals` and `blend` are separate so an evaluation computes the signals once and tries many
weights."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamcat.title_text import normalize_title
from streamcat.training_input import Ratings
from streamcat_train.catalog_titles import CatalogTitles
from streamcat_train.collaborative import RatingsModel, confidence, ratings_factors
from streamcat_train.content import ContentModel, content_embedding
from streamcat_train.neighbours import top_neighbours

NEIGHBOURS = 10
CONTENT_DIMS = 40
RATINGS_DIMS = 40
PRIOR_VOTES = 25.0
"""A title's score counts as much as this many votes of the catalog's mean (Bayesian shrinkage)."""
SEED = 0

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BlendWeights:
    content: float = 0.4
    """W_c: content cosine counts W_c^2 (both sides are scaled)."""
    ratings: float = 1.0
    """W_r: the co-rating term's weight (0 is content alone)."""
    gamma: float = 0.75
    """How much a candidate's rating-factor length (rated and liked) counts."""
    quality: float = 0.0
    """W_q: a one-standard-deviation better title gains what W_q of cosine is worth (the
    validation found no gain from it: a well-liked title's factors are already longer)."""
    trust: float = 2.0
    """conf_i = votes_i / (votes_i + trust x the mean votes per title): a query title rated less
    than that leans on its content more than on its ratings (relative to the mean, so the
    balance does not drift with the number of ratings)."""


DEFAULT_WEIGHTS = BlendWeights()


@dataclass(frozen=True)
class Signals:
    """What the blend is made of, computed once per training set."""

    content: Matrix
    content_model: ContentModel
    ratings_model: RatingsModel
    votes: npt.NDArray[np.int64]
    quality: Matrix
    family: npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrainedModel:
    catalog: CatalogTitles
    neighbours: npt.NDArray[np.int32]
    content: ContentModel
    ratings: RatingsModel
    n_ratings: int


def quality_prior(
    scores: npt.NDArray[np.float64], votes: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Standardised shrunk scores: a title with few votes stays near the mean, unrated is 0."""
    rated = ~np.isnan(scores) & (votes > 0)
    if not rated.any():
        return np.zeros(len(scores), dtype=np.float32)
    mean = float(np.average(scores[rated], weights=votes[rated]))
    shrunk = np.full(len(scores), mean)
    shrunk[rated] = (votes[rated] * scores[rated] + PRIOR_VOTES * mean) / (
        votes[rated] + PRIOR_VOTES
    )
    spread = float(shrunk[rated].std()) or 1.0
    return np.clip((shrunk - mean) / spread, -3, 3).astype(np.float32)


def families(titles: list[str]) -> npt.NDArray[np.int64]:
    """One number per distinct normalised title text: copies of a title share it."""
    normalised = [normalize_title(t) for t in titles]
    index: dict[str, int] = {}
    return np.array([index.setdefault(t, len(index)) for t in normalised], dtype=np.int64)


def ratings_sides(factors: Matrix, trust: Matrix, gamma: float) -> tuple[Matrix, Matrix]:
    """Query side: unit factors weighted by confidence (a rarely rated title leans on its
    content); candidate side: unit factors times their damped relative length."""
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit = np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
    rated = norms[norms > 0]
    scale = float(np.percentile(rated, 99)) if len(rated) else 1.0
    length = (norms / scale) ** gamma
    return unit * trust[:, None], unit * length


def signals(catalog: CatalogTitles, ratings: Ratings) -> Signals:
    """The signals with the ratings factorised here (the Lambda's own randomized SVD)."""
    n = len(catalog)
    ratings_model = ratings_factors(ratings, n, RATINGS_DIMS, SEED)
    return factor_signals(catalog, ratings_model, np.bincount(ratings.item, minlength=n))


def factor_signals(
    catalog: CatalogTitles, ratings_model: RatingsModel, votes: npt.NDArray[np.int64]
) -> Signals:
    """The signals around given item factors and votes per title (from `ratings_factors`, or
    from the Spark job for more ratings than a Lambda holds): everything but the factorisation
    is the same code whichever engine factorised."""
    n = len(catalog)
    if ratings_model.item_factors.shape[0] != n or votes.shape != (n,):
        raise ValueError(
            f"item factors {ratings_model.item_factors.shape} and votes {votes.shape} must have "
            f"one row per catalog title ({n})"
        )
    content, content_model = content_embedding(catalog, CONTENT_DIMS, SEED)
    return Signals(
        content,
        content_model,
        ratings_model,
        votes,
        quality_prior(catalog.scores, catalog.votes),
        families(catalog.titles),
    )


def blend(
    parts: Signals,
    weights: BlendWeights = DEFAULT_WEIGHTS,
    k: int = NEIGHBOURS,
    rows: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int32]:
    """Every title's (or only `rows`') top k neighbours under `weights`."""
    query_side, candidate_side = ratings_sides(
        parts.ratings_model.item_factors,
        confidence(parts.votes, weights.trust * max(float(parts.votes.mean()), 1.0)),
        weights.gamma,
    )
    content = np.float32(weights.content) * parts.content
    queries = np.hstack([content, np.float32(weights.ratings) * query_side]).astype(np.float32)
    keys = np.hstack([content, candidate_side]).astype(np.float32)
    bonus = (np.float32(weights.quality) * parts.quality).astype(np.float32)
    return top_neighbours(queries, keys, bonus, parts.family, k, rows)


def train(
    catalog: CatalogTitles, ratings: Ratings, weights: BlendWeights = DEFAULT_WEIGHTS
) -> TrainedModel:
    return _trained(catalog, signals(catalog, ratings), len(ratings.user), weights)


def train_from_factors(
    catalog: CatalogTitles,
    ratings_model: RatingsModel,
    votes: npt.NDArray[np.int64],
    n_ratings: int,
    weights: BlendWeights = DEFAULT_WEIGHTS,
) -> TrainedModel:
    """The model around item factors factorised elsewhere (the Spark job's): `votes` per title
    as `np.bincount` of the ratings' items, `n_ratings` all the ratings factorised."""
    parts = factor_signals(catalog, ratings_model, votes)
    return _trained(catalog, parts, n_ratings, weights)


def _trained(
    catalog: CatalogTitles, parts: Signals, n_ratings: int, weights: BlendWeights
) -> TrainedModel:
    neighbours = blend(parts, weights)
    return TrainedModel(catalog, neighbours, parts.content_model, parts.ratings_model, n_ratings)
