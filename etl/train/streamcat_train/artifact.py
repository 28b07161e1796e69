"""Publishing a trained model to S3: the compact JSON the API serves from, the fitted objects
beside it for inspection, and `latest.json` last, so no partial model is ever pointed at."""

import datetime
import gzip
import io
import json
import math
from typing import TYPE_CHECKING

import botocore.exceptions
import joblib

from streamcat.recommend.artifact import FORMAT, LatestPointer, ModelDocument
from streamcat.s3_layout import S3Layout
from streamcat.storage import not_found
from streamcat.title_text import normalize_title
from streamcat_train.model import TrainedModel

SERVED_NEIGHBOURS = 5
"""The API answers 5; the model keeps 10 (offline evaluation at 10). Every neighbour stored is
parsed in every cold start."""

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def model_document(model: TrainedModel, trained_at: str) -> ModelDocument:
    catalog = model.catalog
    return ModelDocument(
        format=FORMAT,
        version=catalog.version,
        trained_at=trained_at,
        ids=catalog.ids,
        titles=[normalize_title(t) for t in catalog.titles],
        platforms=catalog.platforms,
        scores=[None if math.isnan(s) else round(float(s), 4) for s in catalog.scores],
        votes=[int(v) for v in catalog.votes],
        neighbours_per_title=SERVED_NEIGHBOURS,
        neighbours=model.neighbours[:, :SERVED_NEIGHBOURS].ravel().tolist(),
    )


def encode(document: ModelDocument) -> bytes:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)


def published_version(s3: "S3Client", bucket: str, layout: S3Layout) -> int | None:
    """The version `latest.json` points at, or None when nothing was published."""
    try:
        body = s3.get_object(Bucket=bucket, Key=layout.latest_model)["Body"].read()
    except botocore.exceptions.ClientError as error:
        if not_found(error):
            return None
        raise
    version = json.loads(body).get("version")
    return version if isinstance(version, int) else None


def publish(s3: "S3Client", bucket: str, layout: S3Layout, model: TrainedModel) -> LatestPointer:
    version = model.catalog.version
    trained_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    key = layout.model(version)
    fitted = {"content.joblib": model.content, "ratings.joblib": model.ratings}
    for name, obj in fitted.items():
        buffer = io.BytesIO()
        joblib.dump(obj, buffer, compress=3)
        s3.put_object(Bucket=bucket, Key=layout.fitted(version, name), Body=buffer.getvalue())
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=encode(model_document(model, trained_at)),
        ContentType="application/gzip",
    )
    pointer = LatestPointer(version=version, key=key, trained_at=trained_at)
    s3.put_object(
        Bucket=bucket,
        Key=layout.latest_model,
        Body=json.dumps(pointer).encode(),
        ContentType="application/json",
    )
    return pointer
