"""Recommender test data: a small subset of a titles folder, hand-made models and their
publication to S3 as the trainer publishes them."""

import csv
import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING

from streamcat.platforms import Platform
from streamcat.recommend.artifact import FORMAT, ModelDocument
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.storage import s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def subset_titles_dir(titles_dir: Path, out_dir: Path, per_platform: int) -> Path:
    """The first `per_platform` rows of each titles file (real or generated): small, same
    shape."""
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


def publish(
    document: ModelDocument | bytes, version: int = 1, s3: "S3Client | None" = None
) -> None:
    """The model (a document, or raw bytes to publish a corrupt one) and its latest pointer,
    through `s3` (by default the process's client)."""
    layout = S3Layout.of(get_settings())
    key = layout.model(version)
    body = document if isinstance(document, bytes) else gzip.compress(json.dumps(document).encode())
    s3 = s3 or s3_client()
    bucket = get_settings().data_bucket
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    pointer = {"version": version, "key": key, "trained_at": "2026-11-24T12:00:00+00:00"}
    s3.put_object(Bucket=bucket, Key=layout.latest_model, Body=json.dumps(pointer).encode())


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
