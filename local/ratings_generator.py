"""Seeded, deterministic user ratings of the real catalogs, in the original `ratings/<n>.csv` shape.

The ratings have a real latent structure, so a recommender has something true to recover:
every genre word has a vector, a title's factors mix its genres' vectors with an idiosyncratic
part (shared by the copies of one title on several platforms), and a title has a quality.
A user's taste mixes a few genres. Which titles a user rates depends on taste (through groups
of similar titles) and on a Zipf-like popularity; the rating grows with taste affinity, the
title's quality and the user's own leniency, plus noise, and is mapped onto a realistic
half-star distribution (mode 4, mean about 3.5). Item factors come from their own random
stream, so `true_item_factors` gives the same factors whatever the number of ratings.

Two families of hidden tastes: `genre` (the default, above: a title's factors are mostly its
genres', a user's taste mixes two genres) and `latent`, where title factors and user tastes are
random directions independent of genres and of everything else the catalog says, so only the
co-ratings reveal them (content can only help there through the title's quality).
"""

import argparse
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from streamcat.platforms import Platform

LATENT_DIM = 16
RATINGS_PER_USER = 95.65
"""11 million ratings come from about 115,000 users, as in the original data."""
ITEM_GROUPS = 48
"""Titles are grouped by factors; a user picks a group by taste, then a title by popularity."""
GENRE_WEIGHT = 0.8
"""Share of a title's factors explained by its genres; the rest only ratings reveal."""
TASTE_SELECTIVITY = 8.0
"""How strongly taste decides which titles a user rates at all."""
UNMATCHED_IDS = ("ns99999", "as99999", "hs99999", "ds99999", "ns0", "xs1")
"""movieIds that match no title, as in the original data."""

FAMILIES = ("genre", "latent")
"""`genre`: tastes built mostly from genres; `latent`: tastes only co-ratings reveal."""

RATING_VALUES = np.arange(1, 11, dtype=np.float64) / 2
RATING_SHARES = np.array([0.016, 0.033, 0.017, 0.074, 0.052, 0.199, 0.131, 0.266, 0.085, 0.127])
"""Shares of 0.5, 1.0 ... 5.0 in public movie ratings: mode 4, mean about 3.5."""
HEADER = b"userId,rating,timestamp,movieId\n"
RATING_LABELS = [f"{v:.1f}" for v in RATING_VALUES]

_WORD = re.compile(r"[a-z]+")
_STOP_WORDS = frozenset({"tv", "movie", "movies", "show", "shows", "and", "series", "the", "of"})
_EPOCH_START = 946_684_800  # 2000-01-01
_EPOCH_END = 1_640_995_200  # 2022-01-01

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Catalog:
    """Ids, normalised titles and genre lists of the raw catalogs, in file order."""

    ids: list[str]
    titles: list[str]
    genres: list[list[str]]


@dataclass(frozen=True)
class TrueItems:
    """The generator's hidden truth about titles: unit factors and quality, in catalog order."""

    ids: list[str]
    factors: Floats
    quality: Floats

    def aligned(self, ids: list[str]) -> "TrueItems":
        """The same truth in the order of `ids` (e.g. the catalog's, sorted by id)."""
        position = {title_id: i for i, title_id in enumerate(self.ids)}
        order = np.array([position[title_id] for title_id in ids], dtype=np.int64)
        return TrueItems(list(ids), self.factors[order], self.quality[order])


def read_catalog(titles_dir: Path) -> Catalog:
    """The four raw titles files; ids as the ETL makes them (the platform's
    letter plus `show_id`), genres as the lower-case `listed_in` parts."""
    ids: list[str] = []
    titles: list[str] = []
    genres: list[list[str]] = []
    for platform in Platform:
        path = titles_dir / platform.titles_file
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in ("show_id", "title", "listed_in")},
                include_columns=["show_id", "title", "listed_in"],
            ),
        )
        for show_id, title, listed_in in zip(
            *(table.column(c).to_pylist() for c in ("show_id", "title", "listed_in")),
            strict=True,
        ):
            ids.append(platform.id_prefix + str(show_id).strip().lower())
            titles.append(" ".join(str(title or "").lower().split()))
            genres.append([g.strip() for g in str(listed_in or "").lower().split(",") if g.strip()])
    if not ids:
        raise ValueError(f"no titles found in {titles_dir}")
    return Catalog(ids, titles, genres)


def _unit(rows: Floats) -> Floats:
    norms: Floats = np.linalg.norm(rows, axis=-1, keepdims=True)
    unit: Floats = rows / np.maximum(norms, 1e-12)
    return unit


def _genre_words(genre: str) -> list[str]:
    """'International TV Shows' and 'Drama' share nothing; 'TV Dramas' and 'Dramas' share
    'drama': platforms name genres differently, words carry the meaning."""
    words = [w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(genre)]
    return [w for w in words if w not in _STOP_WORDS] or [genre]


def _genre_vectors(catalog: Catalog, rng: np.random.Generator) -> dict[str, Floats]:
    words = sorted({w for gs in catalog.genres for g in gs for w in _genre_words(g)})
    word_vectors = dict(zip(words, rng.standard_normal((len(words), LATENT_DIM)), strict=True))
    genres = sorted({g for gs in catalog.genres for g in gs})
    return {g: _unit(np.sum([word_vectors[w] for w in _genre_words(g)], axis=0)) for g in genres}


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")


def _true_items(
    catalog: Catalog, rng: np.random.Generator, family: str = "genre"
) -> tuple[TrueItems, dict[str, Floats]]:
    _check_family(family)
    genre_vectors = _genre_vectors(catalog, rng)
    groups, first = np.unique(np.array(catalog.titles, dtype=object), return_inverse=True)
    n_groups = len(groups)
    idiosyncratic = _unit(rng.standard_normal((n_groups, LATENT_DIM)))
    quality = rng.normal(0.0, 0.55, n_groups)
    genre_names = sorted(genre_vectors)
    genre_index = {g: i for i, g in enumerate(genre_names)}
    genre_matrix = np.stack([genre_vectors[g] for g in genre_names])
    copy_of = np.repeat(first, [len(gs) for gs in catalog.genres])
    listed = np.array([genre_index[g] for gs in catalog.genres for g in gs], dtype=np.int64)
    genre_part = np.zeros((n_groups, LATENT_DIM))
    np.add.at(genre_part, copy_of, genre_matrix[listed])
    genre_part = _unit(genre_part)
    has_genres = genre_part.any(axis=1, keepdims=True)
    mix = np.where(has_genres, GENRE_WEIGHT if family == "genre" else 0.0, 0.0)
    factors = _unit(mix * genre_part + np.sqrt(1 - mix**2) * idiosyncratic)
    return TrueItems(catalog.ids, factors[first], quality[first]), genre_vectors


def true_item_factors(titles_dir: Path, seed: int = 42, family: str = "genre") -> TrueItems:
    """The factors and quality `generate_ratings` used with this seed (for evaluation)."""
    item_seed = np.random.SeedSequence(seed).spawn(3)[0]
    return _true_items(read_catalog(titles_dir), np.random.default_rng(item_seed), family)[0]


def _user_tastes(
    genre_vectors: dict[str, Floats],
    genre_counts: dict[str, int],
    n_users: int,
    rng: np.random.Generator,
    family: str = "genre",
) -> Floats:
    """Each user likes two genres (popular genres more often) and something of their own; in
    the `latent` family, a random direction of the latent space."""
    if family == "latent":
        return _unit(rng.standard_normal((n_users, LATENT_DIM)))
    names = sorted(genre_vectors)
    weights = np.array([genre_counts[g] for g in names], dtype=np.float64)
    matrix = np.stack([genre_vectors[g] for g in names])
    picks = rng.choice(len(names), size=(n_users, 2), p=weights / weights.sum())
    return _unit(matrix[picks].sum(axis=1) + 0.8 * rng.standard_normal((n_users, LATENT_DIM)))


def _activity(n_users: int, n_total: int, n_items: int, rng: np.random.Generator) -> Ints:
    """Ratings per user: long-tailed (a few users rate thousands), at least 3."""
    weights = rng.lognormal(0.0, 1.15, n_users)
    counts: Ints = np.maximum(3, np.floor(weights / weights.sum() * n_total)).astype(np.int64)
    return np.minimum(counts, n_items // 3)


@dataclass(frozen=True)
class _Selection:
    """Which titles users rate: taste picks a group of similar titles (`preference`, users x
    groups), popularity (Zipf, better titles more) a title within it. A group's `table` row
    holds each member a number of times proportional to its popularity (at least once), so a
    title is drawn by one random index (`lengths` per group)."""

    preference: Floats
    table: Ints
    lengths: Ints

    @classmethod
    def build(cls, items: TrueItems, tastes: Floats, rng: np.random.Generator) -> "_Selection":
        n_items = len(items.ids)
        centroids = _unit(rng.standard_normal((ITEM_GROUPS, LATENT_DIM)))
        group = np.argmax(items.factors @ centroids.T, axis=1)
        popularity = (rng.permutation(n_items) + 1.0) ** -0.8 * np.exp(0.6 * items.quality)
        mass = np.bincount(group, weights=popularity, minlength=ITEM_GROUPS)
        preference = np.exp(TASTE_SELECTIVITY * tastes @ centroids.T) * np.sqrt(mass)
        rows = []
        for g in range(ITEM_GROUPS):
            members = np.flatnonzero(group == g)
            slots = np.maximum(1, np.round(popularity[members] / max(mass[g], 1e-300) * 65536))
            rows.append(np.repeat(members, slots.astype(np.int64)))
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        table = np.zeros((ITEM_GROUPS, int(lengths.max())), dtype=np.int64)
        for g, row in enumerate(rows):
            table[g, : len(row)] = row
        return cls(preference / preference.sum(axis=1, keepdims=True), table, lengths)

    def draw(self, counts: Ints, rng: np.random.Generator) -> tuple[Ints, Ints]:
        """`counts[u]` (user, title) draws for each user u, with repeats, grouped by user."""
        per_group = rng.multinomial(counts, self.preference)
        n_users, n_groups = per_group.shape
        user = np.repeat(np.arange(n_users, dtype=np.int64), per_group.sum(axis=1))
        group = np.repeat(np.tile(np.arange(n_groups, dtype=np.int64), n_users), per_group.ravel())
        slot = (rng.random(len(group)) * self.lengths[group]).astype(np.int64)
        return user, self.table[group, slot]


def _distinct_pairs(
    selection: _Selection, n_items: int, counts: Ints, n_ratings: int, rng: np.random.Generator
) -> tuple[Ints, Ints]:
    """Exactly `n_ratings` distinct (user, title) pairs, sorted by user: draw, drop repeats,
    draw more for the shortfall (users in proportion to their activity), then drop a random
    surplus."""
    pair = np.empty(0, dtype=np.int64)
    share = counts / counts.sum()
    while True:
        user, item = selection.draw(counts, rng)
        pair = np.sort(np.concatenate([pair, user * n_items + item]), kind="stable")
        keep = np.empty(len(pair), dtype=bool)
        keep[:1] = True
        np.not_equal(pair[1:], pair[:-1], out=keep[1:])
        pair = pair[keep]
        shortfall = n_ratings - len(pair)
        if shortfall <= 0:
            break
        counts = rng.multinomial(int(shortfall * 1.3) + 1, share)
    if len(pair) > n_ratings:
        surplus = np.ones(len(pair), dtype=bool)
        surplus[rng.choice(len(pair), len(pair) - n_ratings, replace=False)] = False
        pair = pair[surplus]
    return pair // n_items, pair % n_items


def _affinity(tastes: Floats, factors: Floats, user: Ints, item: Ints) -> Floats:
    """Taste times title factors, scaled; by blocks so no (ratings x factors) array is built."""
    out = np.empty(len(user))
    tastes32, factors32 = tastes.astype(np.float32), factors.astype(np.float32)
    block = 1 << 20
    for start in range(0, len(user), block):
        rows = slice(start, start + block)
        out[rows] = np.einsum("ij,ij->i", tastes32[user[rows]], factors32[item[rows]])
    return 2.5 * out


def _half_stars(raw: Floats) -> Floats:
    """Map standardised scores onto the target half-star shares by normal quantiles."""
    z = (raw - raw.mean()) / raw.std()
    normal = statistics.NormalDist()
    cuts = np.array([normal.inv_cdf(c) for c in np.cumsum(RATING_SHARES)[:-1]])
    stars: Floats = RATING_VALUES[np.searchsorted(cuts, z)]
    return stars


@dataclass(frozen=True)
class GeneratedRatings:
    """Ratings in memory: `item` indexes `ids` (the raw catalogs' order); an item at or past
    `len(ids)` is one of `UNMATCHED_IDS`. Users count from 0, sorted."""

    ids: list[str]
    user: Ints
    item: Ints
    rating: Floats
    timestamp: Ints


def generated_ratings(
    titles_dir: Path,
    n_ratings: int = 11_000_000,
    seed: int = 42,
    unmatched_fraction: float = 0.002,
    family: str = "genre",
) -> GeneratedRatings:
    """What `generate_ratings` writes, in memory (same arguments, same ratings)."""
    if n_ratings < 1 or not 0 <= unmatched_fraction < 1:
        raise ValueError("n_ratings and n_files must be positive, unmatched_fraction in [0, 1)")
    _check_family(family)
    item_seed, user_seed, rating_seed = np.random.SeedSequence(seed).spawn(3)
    catalog = read_catalog(titles_dir)
    items, genre_vectors = _true_items(catalog, np.random.default_rng(item_seed), family)
    n_items = len(items.ids)
    genre_counts: dict[str, int] = {}
    for genres in catalog.genres:
        for g in genres:
            genre_counts[g] = genre_counts.get(g, 0) + 1

    users_rng = np.random.default_rng(user_seed)
    n_users = max(1, round(n_ratings / RATINGS_PER_USER))
    tastes = _user_tastes(genre_vectors, genre_counts, n_users, users_rng, family)
    leniency = users_rng.normal(0.0, 0.35, n_users)
    first_seen = users_rng.integers(_EPOCH_START, _EPOCH_END, n_users)
    active_span = np.minimum(users_rng.exponential(3e7, n_users), _EPOCH_END - first_seen)

    rng = np.random.default_rng(rating_seed)
    counts = _activity(n_users, n_ratings, n_items, rng)
    selection = _Selection.build(items, tastes, rng)
    user, item = _distinct_pairs(selection, n_items, counts, n_ratings, rng)

    raw = _affinity(tastes, items.factors, user, item)
    raw += items.quality[item] + leniency[user] + rng.normal(0.0, 0.55, len(user))
    rating = _half_stars(raw)
    timestamp = first_seen[user] + (rng.random(len(user)) * active_span[user]).astype(np.int64)
    movie = _with_unmatched(item, n_items, unmatched_fraction, rng)
    return GeneratedRatings(items.ids, user, movie, rating, timestamp)


def generate_ratings(
    titles_dir: Path,
    out_dir: Path,
    n_ratings: int = 11_000_000,
    n_files: int = 8,
    seed: int = 42,
    unmatched_fraction: float = 0.002,
    family: str = "genre",
) -> list[Path]:
    """Write `out_dir/1.csv` .. `<n_files>.csv` (`userId,rating,timestamp,movieId`); same
    arguments, same bytes. Each (user, catalog title) pair appears at most once."""
    if n_files < 1:
        raise ValueError("n_ratings and n_files must be positive, unmatched_fraction in [0, 1)")
    made = generated_ratings(titles_dir, n_ratings, seed, unmatched_fraction, family)
    table = pa.table(
        {
            "userId": pa.array(made.user + 1, pa.int64()),
            "rating": _labels(np.searchsorted(RATING_VALUES, made.rating), RATING_LABELS),
            "timestamp": pa.array(made.timestamp, pa.int64()),
            "movieId": _labels(made.item, made.ids + list(UNMATCHED_IDS)),
        }
    )
    return _write_files(table, out_dir, n_files)


def _with_unmatched(item: Ints, n_items: int, fraction: float, rng: np.random.Generator) -> Ints:
    """A `fraction` of rows point past the catalog, at one of `UNMATCHED_IDS`."""
    movie = item.copy()
    unmatched = rng.random(len(movie)) < fraction
    movie[unmatched] = n_items + rng.integers(0, len(UNMATCHED_IDS), int(unmatched.sum()))
    return movie


def _labels(codes: Ints, labels: list[str]) -> pa.DictionaryArray:
    """Text columns as codes into their few labels: cheap to build, cast when written."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int32()), pa.array(labels, pa.string())
    )


def _write_files(table: pa.Table, out_dir: Path, n_files: int) -> list[Path]:
    """Consecutive slices (users stay within one file, as in the original split)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, table.num_rows, n_files + 1).astype(np.int64)
    paths = [out_dir / f"{n}.csv" for n in range(1, n_files + 1)]

    def write(n: int) -> None:
        part = table.slice(int(bounds[n]), int(bounds[n + 1] - bounds[n]))
        as_text = [c.cast(pa.string()) if c.type != pa.int64() else c for c in part.columns]
        with pa.OSFile(str(paths[n]), "wb") as sink:
            sink.write(HEADER)
            pacsv.write_csv(
                pa.table(as_text, names=part.column_names),
                sink,
                pacsv.WriteOptions(include_header=False, quoting_style="none"),
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(write, range(n_files)))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("titles_dir", type=Path, help="folder holding the four raw titles CSVs")
    parser.add_argument("out_dir", type=Path, help="where 1.csv .. 8.csv are written")
    parser.add_argument("--ratings", type=int, default=11_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--family", choices=FAMILIES, default="genre")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = generate_ratings(
        args.titles_dir, args.out_dir, args.ratings, args.files, args.seed, family=args.family
    )
    elapsed = time.perf_counter() - started
    print(f"wrote {len(paths)} files to {args.out_dir} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
