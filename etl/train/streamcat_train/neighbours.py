"""Every title's top-k most similar titles, exactly, without a full n x n sort.

Similarities are computed for a block of rows at a time (dense matmul; the column bonus rides
along as one more dimension). The top k of a row lie
in the column chunks holding the row's k largest chunk maxima, so only those chunks are
searched: a cheap max-reduce replaces most of the partitioning work."""

import numpy as np
import numpy.typing as npt

ROW_BLOCK = 512
CHUNK = 128


def top_neighbours(
    queries: npt.NDArray[np.float32],
    keys: npt.NDArray[np.float32],
    bonus: npt.NDArray[np.float32],
    family: npt.NDArray[np.int64],
    k: int,
    rows: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int32]:
    """Per title i, the k titles j maximising queries[i] . keys[j] + bonus[j], best first, never
    one of the same `family` as i (the title itself, its copies on other platforms). With
    `rows`, only those titles' lists, in that order (an evaluation needs no more)."""
    n = len(keys)
    index = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    if not 0 < k < n:
        raise ValueError(f"k must be between 1 and {n - 1}, got {k}")
    n_chunks = -(-n // CHUNK)
    padded = n_chunks * CHUNK
    result = np.empty((len(index), k), dtype=np.int32)
    rows_with_one = np.hstack([queries[index], np.ones((len(index), 1), dtype=np.float32)])
    columns = np.vstack([keys.T, bonus[None, :]]).astype(np.float32)
    twins = _twins(family)
    buffer = np.full((ROW_BLOCK, padded), -np.inf, dtype=np.float32)
    for start in range(0, len(index), ROW_BLOCK):
        stop = min(start + ROW_BLOCK, len(index))
        scores = buffer[: stop - start]
        np.matmul(rows_with_one[start:stop], columns, out=scores[:, :n])
        _exclude_family(scores, family, twins, index[start:stop])
        result[start:stop] = _block_top(scores, k, n_chunks)
    return result


def _twins(family: npt.NDArray[np.int64]) -> dict[int, npt.NDArray[np.int64]]:
    """The members of every family with more than one title."""
    order = np.argsort(family, kind="stable")
    sizes = np.bincount(family)
    bounds = np.cumsum(sizes)
    return {int(f): order[bounds[f] - sizes[f] : bounds[f]] for f in np.flatnonzero(sizes > 1)}


def _exclude_family(
    scores: npt.NDArray[np.float32],
    family: npt.NDArray[np.int64],
    twins: dict[int, npt.NDArray[np.int64]],
    titles: npt.NDArray[np.int64],
) -> None:
    """-inf for the title itself and for every title sharing its family."""
    scores[np.arange(len(titles)), titles] = -np.inf
    for row, member_of in enumerate(family[titles]):
        members = twins.get(int(member_of))
        if members is not None:
            scores[row, members] = -np.inf


def _block_top(scores: npt.NDArray[np.float32], k: int, n_chunks: int) -> npt.NDArray[np.int32]:
    rows = len(scores)
    chunk_max = scores.reshape(rows, n_chunks, CHUNK).max(axis=2)
    n_best = min(k, n_chunks)
    best_chunks = np.argpartition(chunk_max, n_chunks - n_best, axis=1)[:, -n_best:]
    candidate_cols = (best_chunks[:, :, None] * CHUNK + np.arange(CHUNK)).reshape(rows, -1)
    candidates = np.take_along_axis(scores, candidate_cols, axis=1)
    width = candidates.shape[1]
    top = np.argpartition(candidates, width - k, axis=1)[:, -k:]
    top_scores = np.take_along_axis(candidates, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    best = np.take_along_axis(np.take_along_axis(candidate_cols, top, axis=1), order, axis=1)
    return best.astype(np.int32)
