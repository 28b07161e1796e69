"""The container's model: loaded from S3 on first use, swapped for a newer one when
`latest.json` changes (checked with a cheap HEAD at most every `refresh_seconds`).

A missing or unreadable model is `ModelUnavailable` (the API's 503); a newer model that fails
to load leaves the current one serving. After a failed load, S3 is asked again only after
`retry_seconds`, so an outage does not turn every request into S3 calls.
"""

import gzip
import json
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from aws_lambda_powertools import Logger

from streamcat.recommend.artifact import ModelFormatError, validate_document
from streamcat.recommend.model import Recommender
from streamcat.recommend.s3_reader import ObjectMissing, S3Reader, StoreError
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings

logger = Logger(child=True)

REFRESH_SECONDS = 60.0
RETRY_SECONDS = 10.0


class ModelUnavailable(RuntimeError):  # noqa: N818 (reads as the condition it reports)
    """No model can be served; the message says why."""


class ModelStore:
    def __init__(
        self,
        reader: S3Reader,
        bucket: str,
        layout: S3Layout,
        refresh_seconds: float = REFRESH_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self.bucket = bucket
        self.latest_key = layout.latest_model
        self.refresh_seconds = refresh_seconds
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._model: Recommender | None = None
        self._etag: str | None = None
        self._checked_at: float | None = None
        self._failure: str | None = None

    def current(self) -> Recommender:
        """The model to answer with, refreshed when due."""
        with self._lock:
            now = self._clock()
            wait = self.refresh_seconds if self._model is not None else self.retry_seconds
            if self._checked_at is None or now - self._checked_at >= wait:
                self._checked_at = now
                self._refresh()
            if self._model is None:
                raise ModelUnavailable(self._failure or "no recommendation model loaded")
            return self._model

    def preload(self) -> bool:
        """Load during a Lambda's init phase (full CPU, outside the first request's time);
        False when no model could be loaded (requests will retry and answer 503 meanwhile)."""
        try:
            self.current()
        except ModelUnavailable:
            return False
        return True

    def restored(self) -> None:
        """After a SnapStart restore: keep the snapshot's model, but check for a newer one at
        the next request (the snapshot may be days old)."""
        with self._lock:
            self._checked_at = None

    def _refresh(self) -> None:
        """First load: GET the pointer (its ETag comes along). Later: HEAD it, reload on change."""
        try:
            if self._model is not None and self._latest_etag() == self._etag:
                return
            self._model, self._etag = self._load()
            self._failure = None
        except ModelUnavailable as problem:
            self._failure = str(problem)
            if self._model is not None:
                logger.warning("kept the current model", extra={"reason": self._failure})

    def _latest_etag(self) -> str:
        try:
            return self._reader.etag(self.bucket, self.latest_key)
        except ObjectMissing as error:
            raise ModelUnavailable("no recommendation model has been published yet") from error
        except StoreError as error:
            raise ModelUnavailable(f"the model store is unreachable: {error}") from error

    def _load(self) -> tuple[Recommender, str]:
        """The model `latest.json` points at, and that pointer's ETag."""
        try:
            latest = self._reader.get(self.bucket, self.latest_key)
            key = json.loads(latest.body)["key"]
            document = json.loads(gzip.decompress(self._reader.get(self.bucket, str(key)).body))
            return Recommender(validate_document(document)), latest.etag
        except ObjectMissing as error:
            raise ModelUnavailable(
                f"no recommendation model has been published yet ({error} is missing)"
            ) from error
        except StoreError as error:
            raise ModelUnavailable(f"the model store is unreachable: {error}") from error
        except (ValueError, KeyError, TypeError, OSError, EOFError) as error:
            reason = str(error) if isinstance(error, ModelFormatError) else type(error).__name__
            raise ModelUnavailable(f"the published model is corrupt: {reason}") from error


@lru_cache(maxsize=1)
def get_store() -> ModelStore:
    """The container's store, from the settings (tests clear the cache after changing them)."""
    settings = get_settings()
    return ModelStore(S3Reader(settings), settings.data_bucket, S3Layout.of(settings))
