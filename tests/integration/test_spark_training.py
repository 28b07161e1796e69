"""The Spark training job, run once per module through the local EMR Serverless runner against
S3 (moto), on generated ratings: its factors are the exact truncated SVD of the matrix the
Lambda factorises, its output reads back into the Lambda's shapes, and the model trained from
it recommends as the Lambda's does (tolerances: docs/spark-training.md)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from bench.evaluate import make_queries, ranking_quality, rescored, split_ratings
from local.catalog_fixtures import generated_rated_catalog
from local.spark_submit import JobResult, run_job
from streamcat.training_input import Ratings
from streamcat_train.artifact import SERVED_NEIGHBOURS as SERVED
from streamcat_train.catalog_titles import CatalogTitles
from streamcat_train.collaborative import RATING_SHIFT, RatingsModel
from streamcat_train.model import RATINGS_DIMS, TrainedModel, train, train_from_factors
from streamcat_train.spark_output import read_job_output
from tests.support.recommend import subset_titles_dir
from tests.support.spark import (
    JobInputs,
    catalog_parquet,
    listed,
    ratings_parquet,
    upload_inputs,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.spark

BUCKET = "spark-training"
OUTPUT = "spark/v1/output/"
TITLES_PER_PLATFORM = 500
N_RATINGS = 300_000
"""2,000 titles and 300,000 ratings: about 150 a title, the density of the full catalog at a
third of the real ratings; the job runs in about 25 s."""
SEED = 5
UNRATED_EVERY = 50
"""Every 50th title loses its ratings: the output has no row for it, the model a zero row."""
DUPLICATES = 500
UNKNOWN_IDS = ("ns999999", "zz1", "ds0")
DRIVER_MEMORY = "2g"

# Parity tolerances, measured on these data (docs/spark-training.md has the numbers):
MIN_SIMILARITY_COSINE = 0.97
"""Mean over rated titles of the cosine between their rows of factor similarities (0.990)."""
MIN_TOP5_OVERLAP = 0.85
"""Mean share of a title's 5 published neighbours both engines give (0.906)."""
MAX_HIT_RATE_GAP = 0.02
"""Relative gap of held-out hit rate@10 (0.010)."""


Matrix = npt.NDArray[np.float32] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class Engines:
    """The same training ratings factorised by both engines, and their models."""

    catalog: CatalogTitles
    ratings: Ratings
    """What the Lambda reads: the training part and the duplicates (unknown ids dropped)."""
    first_ratings: Ratings
    """The training part alone: each duplicated pair with its first rating only."""
    held_out: Ratings
    inputs: JobInputs
    workdir: Path
    job: JobResult
    output_keys: list[str]
    spark_factors: RatingsModel
    spark_votes: npt.NDArray[np.int64]
    lambda_model: TrainedModel
    spark_model: TrainedModel


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Iterator["S3Client"]:
    client: S3Client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client


def _subset(ratings: Ratings, rows: npt.NDArray[np.bool_]) -> Ratings:
    return Ratings(ratings.user[rows], ratings.item[rows], ratings.rating[rows])


def _training_ratings(data: Ratings) -> tuple[Ratings, Ratings, Ratings]:
    """The generated ratings without those of every UNRATED_EVERY-th title, split into a
    training and a held-out part; and DUPLICATES training pairs rated a second time."""
    train_part, held_out = split_ratings(_subset(data, data.item % UNRATED_EVERY != 0), 0.2, SEED)
    rng = np.random.default_rng(SEED)
    again = rng.choice(len(train_part.user), DUPLICATES, replace=False)
    second = (rng.integers(1, 11, DUPLICATES) / 2).astype(np.float32)
    return train_part, held_out, Ratings(train_part.user[again], train_part.item[again], second)


def _parquet(train_part: Ratings, duplicates: Ratings, ids: list[str]) -> list[bytes]:
    """The training part in two files, and a third of the duplicates and of ratings of ids the
    catalog lacks (as a ratings file can hold)."""
    first = train_part.user < np.median(train_part.user)
    halves = [catalog_parquet(_subset(train_part, rows), ids) for rows in (first, ~first)]
    movie_ids = np.array(ids, dtype=object)[duplicates.item].tolist()
    third = ratings_parquet(
        duplicates.user.tolist() + [1, 2, 3] * 100,
        duplicates.rating.tolist() + [4.0, 1.0, 5.0] * 100,
        movie_ids + list(UNKNOWN_IDS) * 100,
    )
    return [*halves, third]


def _reader(s3: "S3Client") -> Callable[[str], bytes]:
    def read(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body

    return read


@pytest.fixture(scope="module")
def engines(titles_dir: Path, tmp_path_factory: pytest.TempPathFactory, s3: "S3Client") -> Engines:
    titles = subset_titles_dir(titles_dir, tmp_path_factory.mktemp("titles"), TITLES_PER_PLATFORM)
    data = generated_rated_catalog(titles, tmp_path_factory.mktemp("ratings"), N_RATINGS, SEED)
    ids = data.catalog.ids
    train_part, held_out, duplicates = _training_ratings(data.ratings)
    ratings = Ratings(
        *(
            np.concatenate([getattr(train_part, name), getattr(duplicates, name)])
            for name in ("user", "item", "rating")
        )
    )
    inputs = upload_inputs(s3, BUCKET, _parquet(train_part, duplicates, ids), ids)
    workdir = tmp_path_factory.mktemp("job")
    job = run_job(inputs.driver(OUTPUT), s3, workdir, DRIVER_MEMORY)
    assert job.succeeded, job.log_tail
    keys = listed(s3, BUCKET, OUTPUT)
    factors, votes = read_job_output(_reader(s3), keys, len(ids))
    catalog = rescored(data.catalog, ratings)
    return Engines(
        catalog=catalog,
        ratings=ratings,
        first_ratings=train_part,
        held_out=held_out,
        inputs=inputs,
        workdir=workdir,
        job=job,
        output_keys=keys,
        spark_factors=factors,
        spark_votes=votes,
        lambda_model=train(catalog, ratings),
        spark_model=train_from_factors(catalog, factors, votes, len(ratings.user)),
    )


def _exact_svd(ratings: Ratings, n_items: int) -> tuple[npt.NDArray[np.float64], Matrix]:
    """Singular values and item factors of the Lambda's matrix (collaborative.ratings_factors:
    shifted ratings, a duplicate pair summed by scipy), by ARPACK to machine precision."""
    matrix = sp.csr_matrix(
        (ratings.rating.astype(np.float64) - RATING_SHIFT, (ratings.user, ratings.item)),
        shape=(int(ratings.user.max()) + 1, n_items),
    )
    _, singular, vt = svds(matrix, k=RATINGS_DIMS, random_state=SEED)
    order = np.argsort(-singular)
    return singular[order], (vt[order].T * singular[order])


def _subspace_cosine(a: Matrix, b: Matrix) -> float:
    """The cosine of the largest principal angle between the column spaces of a and b."""
    qa, qb = (np.linalg.qr(m.astype(np.float64))[0] for m in (a, b))
    return float(np.linalg.svd(qa.T @ qb, compute_uv=False).min())


def _relative(a: npt.NDArray[np.floating], b: npt.NDArray[np.floating]) -> float:
    return float(np.max(np.abs(a - b) / np.abs(b)))


def test_the_factors_are_the_exact_truncated_svd_of_the_lambdas_matrix(engines: Engines) -> None:
    singular, factors = _exact_svd(engines.ratings, len(engines.catalog))

    assert _relative(engines.spark_factors.singular_values, singular) < 1e-5
    assert _subspace_cosine(engines.spark_factors.item_factors, factors) > 1 - 1e-5


def test_duplicate_pairs_are_summed_as_scipy_sums_them(engines: Engines) -> None:
    """Without the duplicates (or with one of each pair kept) the factorisation differs."""
    singular, _ = _exact_svd(engines.first_ratings, len(engines.catalog))

    assert _relative(engines.spark_factors.singular_values, singular) > 1e-4


def test_votes_count_every_rating_of_a_catalog_title_and_no_other(engines: Engines) -> None:
    expected = np.bincount(engines.ratings.item, minlength=len(engines.catalog))

    np.testing.assert_array_equal(engines.spark_votes, expected)
    assert engines.spark_votes.sum() == len(engines.ratings.user), "unknown movieIds dropped"


def test_the_output_reads_back_in_the_lambdas_shapes(engines: Engines) -> None:
    factors = engines.spark_factors
    n = len(engines.catalog)
    unrated = np.arange(n) % UNRATED_EVERY == 0

    assert (
        factors.item_factors.shape
        == (n, RATINGS_DIMS)
        == engines.lambda_model.ratings.item_factors.shape
    )
    assert factors.item_factors.dtype == np.float32 and factors.singular_values.dtype == np.float32
    assert not factors.item_factors[unrated].any(), "no rating, no factors"
    assert np.linalg.norm(factors.item_factors[~unrated], axis=1).min() > 0
    assert list(np.flatnonzero(engines.spark_votes == 0)) == list(np.flatnonzero(unrated))


def test_the_runner_uploads_every_file_the_job_wrote_and_reports_its_run(engines: Engines) -> None:
    written = sorted(
        path.relative_to(engines.workdir / "output").as_posix()
        for path in (engines.workdir / "output").rglob("*")
        if path.is_file()
    )

    assert engines.output_keys == [OUTPUT + name for name in written]
    assert {"factors/_SUCCESS", "singular_values/_SUCCESS"} <= set(written)
    assert engines.job.peak_rss_mb > 100, "the JVM's own high-water mark"
    assert engines.job.seconds > 0


def test_similar_titles_by_ratings_agree_between_engines(engines: Engines) -> None:
    rated = np.flatnonzero(engines.spark_votes >= 20)
    a, b = (
        _unit(model.ratings.item_factors) for model in (engines.lambda_model, engines.spark_model)
    )
    rows_a, rows_b = a[rated] @ a.T, b[rated] @ b.T
    cosine = (rows_a * rows_b).sum(axis=1) / (
        np.linalg.norm(rows_a, axis=1) * np.linalg.norm(rows_b, axis=1)
    )

    assert cosine.mean() >= MIN_SIMILARITY_COSINE


def test_the_published_neighbours_mostly_agree_between_engines(engines: Engines) -> None:
    ours, theirs = (m.neighbours[:, :SERVED] for m in (engines.spark_model, engines.lambda_model))
    overlap = np.mean([len(set(a) & set(b)) / SERVED for a, b in zip(ours, theirs, strict=True)])

    assert overlap >= MIN_TOP5_OVERLAP


def test_held_out_hit_rate_is_the_lambdas_within_two_percent(engines: Engines) -> None:
    queries = make_queries(engines.ratings, engines.held_out, 20_000, SEED)
    lambda_rate, spark_rate = (
        ranking_quality(m.neighbours.astype(np.int64), queries, 10)["hit_rate@10"]
        for m in (engines.lambda_model, engines.spark_model)
    )

    assert abs(spark_rate - lambda_rate) / lambda_rate <= MAX_HIT_RATE_GAP


def test_a_failed_job_uploads_nothing_and_says_why(
    engines: Engines, s3: "S3Client", tmp_path: Path
) -> None:
    s3.put_object(Bucket=BUCKET, Key="spark/v2/titles.jsonl", Body=b"item,movie_id\n0,ns1\n")
    driver = engines.inputs.driver("spark/v2/output/", titles="spark/v2/titles.jsonl")

    failed = run_job(driver, s3, tmp_path / "job", DRIVER_MEMORY)

    assert not failed.succeeded
    assert "Malformed records" in failed.log_tail
    assert listed(s3, BUCKET, "spark/v2/output/") == []


def _unit(factors: Matrix) -> Matrix:
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
