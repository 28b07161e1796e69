"""One ratings file's share of the training input, written beside its Parquet by the same
worker: userId, the rating in half stars and the movieId as an index into the file's own ids,
as plain numpy arrays. The trainer reads these one file at a time with numpy alone: pyarrow,
which the Parquet needs, does not fit beside scikit-learn and SciPy in a function's 250 MB."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from streamcat_etl.ratings import EncodedMovies


def write_training_part(path: Path, table: pa.Table, movies: EncodedMovies) -> None:
    """Uncompressed, so the trainer loads it at disk speed (9 bytes a rating)."""
    halves = pc.cast(pc.multiply(table["rating"], pa.scalar(2.0, pa.float32())), pa.uint8())
    with path.open("wb") as file:
        np.savez(
            file,
            movie_ids=np.array(movies.ids.to_pylist(), dtype=str),
            movie=movies.index,
            user=table["userId"].to_numpy().astype(np.int32, copy=False),
            rating2=halves.to_numpy(),
        )
