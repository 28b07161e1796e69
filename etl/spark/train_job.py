"""The collaborative half of training as an Apache Spark job, for more ratings than one Lambda
holds: the truncated SVD of the same user x title matrix the training Lambda factorises
(streamcat_train.collaborative: ratings shifted by 2.0, a duplicate (user, title) pair summed),
exact to ARPACK's tolerance where the Lambda's is randomized. The training Lambda reads the item
factors it writes (streamcat_train.spark_output) and does the rest, so the model is the same
whichever engine factorised the ratings.

    spark-submit train_job.py --ratings URI [URI ...] --titles URI --output URI [--dims 40]

`--ratings`: the curated ratings Parquet files (userId int32, rating float32, movieId string).
`--titles`: JSON Lines, one {"item": i, "movie_id": id} per catalog title, items 0..n-1 in the
catalog's order; ratings of other movieIds are dropped. `--output`: a directory that must not
exist yet; the job writes `factors/` ({"item", "votes", "factors"} per rated title) and
`singular_values/` ({"index", "value"}), each one JSON Lines part file.

Every pass over the ratings runs in the JVM: Spark SQL builds the matrix entries, MLlib's
RowMatrix.computeSVD runs ARPACK on distributed Gramian-vector products; only the titles x dims
result reaches Python. The script is self-contained: it imports the standard library, pyspark
and numpy alone, which EMR Serverless's Spark image has, so it ships as this one file without a
dependency archive. That image runs Python 3.9: the script keeps to 3.9's syntax and library.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyspark.mllib.common import callMLlibFunc
from pyspark.mllib.linalg.distributed import SingularValueDecomposition
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - pyspark's own convention

RATING_SHIFT = 2.0
"""As the Lambda's: a 5 counts 3, a 2 counts 0, a 0.5 counts against."""
RCOND = 1e-9
"""computeSVD's default: singular values below RCOND x the largest are dropped as zero."""
TITLES_SCHEMA = "item LONG, movie_id STRING"
FACTORS_SCHEMA = "item LONG, votes LONG, factors ARRAY<DOUBLE>"
SINGULAR_VALUES_SCHEMA = "index LONG, value DOUBLE"


class JobInputError(ValueError):
    """An input is not what the job reads; the message says which and why."""


@dataclass(frozen=True)
class RatedTitles:
    """Per rated title (item), its number of ratings, and the largest userId among them."""

    votes: dict[int, int]
    top_user: int

    @property
    def ratings(self) -> int:
        return sum(self.votes.values())


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="streamcat's ratings factorisation on Spark")
    parser.add_argument("--ratings", nargs="+", required=True, help="ratings Parquet URIs")
    parser.add_argument("--titles", required=True, help="the catalog's titles, JSON Lines")
    parser.add_argument("--output", required=True, help="a directory URI that does not exist")
    parser.add_argument("--dims", type=int, default=40, help="the factorisation's rank")
    args = parser.parse_args(argv)
    if args.dims < 1:
        parser.error("--dims must be at least 1")
    return args


def read_titles(spark: SparkSession, uri: str) -> tuple[DataFrame, int]:
    """The titles and their number; items must be exactly 0..n-1 and movie ids distinct (a
    line that is not such a JSON object fails the read: FAILFAST)."""
    titles = spark.read.schema(TITLES_SCHEMA).option("mode", "FAILFAST").json(uri)
    found = titles.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count("item").alias("items"),
        F.count("movie_id").alias("ids"),
        F.countDistinct("item").alias("distinct_items"),
        F.countDistinct("movie_id").alias("distinct_ids"),
        F.min("item").alias("first"),
        F.max("item").alias("last"),
    ).first()
    if found is None or found["rows"] == 0:
        raise JobInputError(f"--titles {uri}: no titles")
    rows = found["rows"]
    if found["items"] != rows or found["ids"] != rows:
        raise JobInputError(f"--titles {uri}: every line needs an item and a movie_id")
    if found["distinct_ids"] != rows:
        raise JobInputError(f"--titles {uri}: a movie_id appears more than once")
    if found["distinct_items"] != rows or found["first"] != 0 or found["last"] != rows - 1:
        raise JobInputError(f"--titles {uri}: the items must be 0..{rows - 1}, each once")
    return titles, rows


def rated(spark: SparkSession, uris: list[str], titles: DataFrame) -> DataFrame:
    """Each rating of a catalog title as (userId, item, rating); others dropped, as the
    Lambda's read_training_ratings drops them. The titles are few: broadcast to every task."""
    ratings = spark.read.parquet(*uris).select("userId", "rating", "movieId")
    matched = ratings.join(F.broadcast(titles), ratings["movieId"] == titles["movie_id"])
    return matched.select("userId", "item", "rating")


def rated_titles(ratings: DataFrame) -> RatedTitles:
    """One pass: per title its ratings counted as the Lambda counts them (np.bincount of every
    rating's item, duplicates included) and the largest userId."""
    rows = (
        ratings.groupBy("item")
        .agg(F.count(F.lit(1)).alias("votes"), F.max("userId").alias("top_user"))
        .collect()
    )
    return RatedTitles(
        {int(row["item"]): int(row["votes"]) for row in rows},
        max((int(row["top_user"]) for row in rows), default=-1),
    )


def matrix_rows(ratings: DataFrame, found: RatedTitles) -> int:
    """The Lambda's row count (collaborative._dense_rows): userIds are the rows when they are
    small enough, else their rank; the rank is clamped by it."""
    if found.top_user < 4 * found.ratings + 1_000_000:
        return found.top_user + 1
    return int(ratings.select("userId").distinct().count())


def rank_for(dims: int, rows: int, n_items: int) -> int:
    """collaborative.ratings_factors' clamp: max(1, min(dims, min(shape) - 1))."""
    return max(1, min(dims, min(rows, n_items) - 1))


def entries(ratings: DataFrame) -> DataFrame:
    """The matrix's (i, j, value) entries, a duplicate (user, title) pair summed as scipy sums
    it when building the Lambda's CSR matrix (Spark's sparse vectors reject duplicate
    indices). The names and types are what MLlib's createCoordinateMatrix reads."""
    return (
        ratings.groupBy("userId", "item")
        .agg(F.sum(F.col("rating") - F.lit(RATING_SHIFT)).alias("value"))
        .select(
            F.col("userId").cast("long").alias("i"),
            F.col("item").cast("long").alias("j"),
            F.col("value").cast("double").alias("value"),
        )
    )


def factorise(
    spark: SparkSession, cells: DataFrame, shape: tuple[int, int], rank: int
) -> tuple[np.ndarray, np.ndarray]:
    """Singular values and item factors (V x s, titles x rank). The matrix is handed to the JVM
    as a DataFrame (as pyspark's CoordinateMatrix does) with its shape given, which spares a
    pass to find it, and its rows cached: computeSVD runs ARPACK over them once per
    Gramian-vector product."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    coordinates = callMLlibFunc("createCoordinateMatrix", cells, *shape)
    row_matrix = coordinates.toRowMatrix()
    rows = row_matrix.rows().persist(jvm.org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK())
    try:
        svd: SingularValueDecomposition[Any, Any] = SingularValueDecomposition(
            row_matrix.computeSVD(rank, False, RCOND)
        )
        singular = np.asarray(svd.s.toArray(), dtype=np.float64)
        right = np.asarray(svd.V.toArray(), dtype=np.float64)
    finally:
        rows.unpersist(False)
    return singular, right * singular


def write_json(spark: SparkSession, rows: list[tuple[object, ...]], schema: str, uri: str) -> None:
    """One JSON Lines part file under `uri` (and Spark's _SUCCESS marker)."""
    spark.createDataFrame(rows, schema).coalesce(1).write.json(uri)


def run(spark: SparkSession, args: argparse.Namespace) -> None:
    titles, n_items = read_titles(spark, args.titles)
    ratings = rated(spark, args.ratings, titles)
    found = rated_titles(ratings)
    singular, factors = np.zeros(0), np.zeros((n_items, 0))
    if found.ratings:
        rank = rank_for(args.dims, matrix_rows(ratings, found), n_items)
        shape = (found.top_user + 1, n_items)
        singular, factors = factorise(spark, entries(ratings), shape, rank)
    output = args.output.rstrip("/")
    write_json(
        spark,
        [(item, votes, factors[item].tolist()) for item, votes in sorted(found.votes.items())],
        FACTORS_SCHEMA,
        f"{output}/factors",
    )
    write_json(
        spark,
        [(index, float(value)) for index, value in enumerate(singular)],
        SINGULAR_VALUES_SCHEMA,
        f"{output}/singular_values",
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    spark = (
        SparkSession.builder.appName("streamcat-train")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .getOrCreate()
    )
    try:
        run(spark, args)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
