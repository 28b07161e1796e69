"""Recommender data without the ETL: the real (or any raw) titles cleaned by the ETL's own
rules, generated ratings read back, scores computed, as the trainer's inputs and as rows for
`tests.support.catalog.create_catalog`."""

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from local.ratings_generator import generate_ratings
from streamcat.platforms import Platform
from streamcat.recommend.artifact import FORMAT, ModelDocument, latest_key, model_key
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from streamcat_etl.titles import CleanTitle, clean_titles
from streamcat_train.catalog import CatalogTitles
from streamcat_train.interactions import Ratings
from tests.support.catalog import CatalogTitle


@dataclass(frozen=True)
class RatedCatalog:
    catalog: CatalogTitles
    ratings: Ratings
    clean: list[CleanTitle]

    def catalog_rows(self) -> list[CatalogTitle]:
        """The titles as `catalog.titles` rows, with their scores."""
        return [
            CatalogTitle(
                id=t.id,
                type=t.type,
                title=t.title,
                release_year=t.release_year,
                rating=t.rating,
                duration_int=t.duration_int,
                duration_type=t.duration_type,
                cast_members=t.cast_members,
                countries=t.countries,
                genres=t.genres,
                director=t.director,
                description=t.description,
                score=None if np.isnan(score) else float(score),
                votes=int(votes),
            )
            for t, score, votes in zip(
                self.clean, self.catalog.scores, self.catalog.votes, strict=True
            )
        ]

    def parquet_bytes(self) -> bytes:
        """The ratings as the ETL publishes one ratings file's Parquet."""
        table = pa.table(
            {
                "userId": pa.array(self.ratings.user, pa.int32()),
                "rating": pa.array(self.ratings.rating, pa.float32()),
                "timestamp": pa.array(np.zeros(len(self.ratings.user), np.int64)),
                "movieId": pa.array([self.catalog.ids[i] for i in self.ratings.item], pa.string()),
            }
        )
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()


def clean_catalog(titles_dir: Path) -> list[CleanTitle]:
    """All four platforms' titles, ordered by id as the trainer reads them."""
    titles: list[CleanTitle] = []
    for platform in Platform:
        path = titles_dir / platform.titles_file
        titles.extend(clean_titles(platform, path.read_bytes(), str(path)).titles)
    return sorted(titles, key=lambda t: t.id)


def read_ratings_dir(ratings_dir: Path, ids: list[str]) -> Ratings:
    """Every `<n>.csv` in the folder, matched against `ids` (unknown movieIds dropped)."""
    tables = [
        pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types={"movieId": pa.string()})
        )
        for path in sorted(ratings_dir.glob("*.csv"))
    ]
    table = pa.concat_tables(tables)
    position = {title_id: i for i, title_id in enumerate(ids)}
    encoded = table["movieId"].combine_chunks().dictionary_encode()
    to_catalog = np.array([position.get(m, -1) for m in encoded.dictionary.to_pylist()])
    item = to_catalog[encoded.indices.to_numpy()]
    known = item >= 0
    return Ratings(
        user=table["userId"].to_numpy()[known].astype(np.int64),
        item=item[known].astype(np.int64),
        rating=table["rating"].to_numpy()[known].astype(np.float32),
    )


def rated_catalog(
    titles_dir: Path, ratings_dir: Path, version: int = 1, clean: list[CleanTitle] | None = None
) -> RatedCatalog:
    titles = clean if clean is not None else clean_catalog(titles_dir)
    ids = [t.id for t in titles]
    ratings = read_ratings_dir(ratings_dir, ids)
    votes: npt.NDArray[np.int64] = np.bincount(ratings.item, minlength=len(ids))
    sums = np.bincount(ratings.item, weights=ratings.rating, minlength=len(ids))
    scores = np.divide(sums, votes, out=np.full(len(ids), np.nan), where=votes > 0)
    catalog = CatalogTitles(
        version=version,
        ids=ids,
        platforms=[t.platform for t in titles],
        types=[t.type for t in titles],
        titles=[t.title for t in titles],
        directors=[[d.strip() for d in (t.director or "").split(",") if d.strip()] for t in titles],
        cast=[list(t.cast_members) for t in titles],
        countries=[list(t.countries) for t in titles],
        genres=[list(t.genres) for t in titles],
        descriptions=[t.description or "" for t in titles],
        scores=scores,
        votes=votes,
    )
    return RatedCatalog(catalog, ratings, titles)


def generated_rated_catalog(
    titles_dir: Path, work_dir: Path, n_ratings: int, seed: int = 42
) -> RatedCatalog:
    """Generate ratings into `work_dir` (once per arguments) and read them back."""
    ratings_dir = work_dir / f"ratings_{n_ratings}_{seed}"
    if not (ratings_dir / "1.csv").exists():
        generate_ratings(titles_dir, ratings_dir, n_ratings=n_ratings, seed=seed)
    return rated_catalog(titles_dir, ratings_dir)


def subset_titles_dir(titles_dir: Path, out_dir: Path, per_platform: int) -> Path:
    """The first `per_platform` rows of each real titles file: small, still real."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for platform in Platform:
        with (titles_dir / platform.titles_file).open(newline="", encoding="utf-8") as source:
            rows = list(csv.reader(source))[: per_platform + 1]
        with (out_dir / platform.titles_file).open("w", newline="", encoding="utf-8") as target:
            csv.writer(target).writerows(rows)
    return out_dir


def model_document(
    titles: list[tuple[str, str, int]], version: int = 1, neighbours: int = 5
) -> ModelDocument:
    """A hand-made model over (id, title, votes): title i's neighbours are the next ones in
    the list (wrapping), skipping any with the same title (at least `neighbours` must remain)."""
    texts = [t for _, t, _ in titles]
    lists = []
    for i in range(len(titles)):
        others = [(i + step) % len(titles) for step in range(1, len(titles))]
        lists.append([j for j in others if texts[j] != texts[i]][:neighbours])
    return ModelDocument(
        format=FORMAT,
        version=version,
        trained_at="2026-11-24T12:00:00+00:00",
        ids=[i for i, _, _ in titles],
        titles=texts,
        platforms=[str(Platform.from_id(i)) for i, _, _ in titles],
        scores=[3.5 if votes else None for _, _, votes in titles],
        votes=[votes for _, _, votes in titles],
        neighbours_per_title=neighbours,
        neighbours=[j for row in lists for j in row],
    )


def publish(document: ModelDocument | bytes, version: int = 1) -> None:
    """The model (a document, or raw bytes to publish a corrupt one) and its latest pointer."""
    prefix = get_settings().models_prefix
    key = model_key(prefix, version)
    body = document if isinstance(document, bytes) else gzip.compress(json.dumps(document).encode())
    s3 = s3_client()
    bucket = get_settings().data_bucket
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    pointer = {"version": version, "key": key, "trained_at": "2026-11-24T12:00:00+00:00"}
    s3.put_object(Bucket=bucket, Key=latest_key(prefix), Body=json.dumps(pointer).encode())


SAMPLE_TITLES = [
    ("ds1", "the lion king", 900),
    ("as5", "the lion king", 40),
    ("ds2", "toy story", 800),
    ("ns3", "breaking bad", 700),
    ("hs4", "the lion guard", 100),
    ("ns5", "aladdin", 300),
    ("ds6", "frozen", 600),
    ("as7", "dune", 0),
]
"""(id, title, votes) of a small model: a title on two platforms, a near-typo neighbour."""
