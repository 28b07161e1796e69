"""One ratings file's share of the training input, written beside its Parquet by the same
worker, as plain numpy arrays: the ratings grouped by movie, `counts` of each of the file's
`movie_ids`, then every rating's `user` and `rating2` (half stars) in that order, 5 bytes a
rating. The trainer reads these one file at a time with numpy alone: pyarrow, which the Parquet
needs, does not fit beside scikit-learn and SciPy in a function's 250 MB."""

import io

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from streamcat_etl.ratings import EncodedMovies


def training_part_bytes(
    table: pa.Table,
    movies: EncodedMovies,
    stats: pa.Table,
    halves: npt.NDArray[np.uint8],
) -> bytes:
    """The file's part, uncompressed, so the trainer loads it at disk speed. `stats`: the
    file's `rating_stats`, whose votes are the ratings of each of `movies.ids`, in order;
    `halves`: its `rating_halves`."""
    index = movies.index
    if len(movies.ids) <= np.iinfo(np.uint16).max:
        index = index.astype(np.uint16)  # a stable sort of 16-bit keys is a radix sort
    order = np.argsort(index, kind="stable")
    part = io.BytesIO()
    np.savez(
        part,
        movie_ids=np.array(movies.ids.to_pylist(), dtype=str),
        counts=stats["votes"].to_numpy(),
        user=table["userId"].to_numpy().astype(np.int32, copy=False)[order],
        rating2=halves[order],
    )
    return part.getvalue()
