"""Every key and prefix the product keeps in its bucket, built here and nowhere else, so the
ETL, the trainer, the API, the local stack and the tests cannot disagree on where a thing is."""

import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamcat.settings import Settings

_MANIFEST = re.compile(r"interactions/v(\d{1,18})\.json")


@dataclass(frozen=True)
class S3Layout:
    """The prefixes, each the settings' `<name>_prefix` (their defaults are there)."""

    raw: str
    """Uploads: a titles or ratings file under any folder (`raw_files.recognise`)."""
    curated: str
    staging: str
    """A load's outputs until its catalog commits; the bucket's lifecycle rule expires them."""
    quarantine: str
    reports: str
    models: str
    jobs: str
    """Spark jobs: their scripts and, per training, its inputs and output."""

    @classmethod
    def of(cls, settings: "Settings") -> "S3Layout":
        return cls(**{f.name: getattr(settings, f"{f.name}_prefix") for f in fields(cls)})

    def titles_upload(self, file_name: str) -> str:
        return f"{self.raw}titles/{file_name}"

    def ratings_upload(self, file_name: str) -> str:
        """`file_name`: `<n>.csv`, n naming the ratings file it replaces."""
        return f"{self.raw}ratings/{file_name}"

    def quarantined(self, key: str) -> str:
        return self.quarantine + key

    def rejection(self, key: str) -> str:
        """Why `quarantined(key)` was rejected, beside it."""
        return self.quarantined(key) + ".error.json"

    def load_report(self, load_id: str) -> str:
        return f"{self.reports}loads/{load_id}.json"

    def staged_outputs(self, load_id: str, number: int, serial: int) -> tuple[str, str]:
        """One ratings file's Parquet and training part as a load stages them; `serial` keeps
        two uploads of one file in one batch apart."""
        stem = f"{self.staging}{load_id}/ratings/ratings-{number}-{serial}"
        return f"{stem}.parquet", f"{stem}.npz"

    @property
    def ratings_parquet_prefix(self) -> str:
        return f"{self.curated}ratings/"

    def ratings_parquet(self, number: int) -> str:
        return f"{self.ratings_parquet_prefix}source={number}/part-0.parquet"

    def training_part(self, number: int) -> str:
        """Outside `interactions/`, whose uploads trigger training: only the manifest should."""
        return f"{self.curated}training/source={number}/part-0.npz"

    def training_manifest(self, version: int) -> str:
        return f"{self.curated}interactions/v{version}.json"

    @staticmethod
    def manifest_version(key: str) -> int | None:
        """7 for `…interactions/v7.json`; None for any other key."""
        found = _MANIFEST.search(key)
        return int(found.group(1)) if found and key.endswith(found.group(0)) else None

    def fitted(self, version: int, name: str) -> str:
        """A file of one trained version: the served model, or a fitted object beside it."""
        return f"{self.models}recommender/v{version}/{name}"

    def model(self, version: int) -> str:
        return self.fitted(version, "model.json.gz")

    @property
    def latest_model(self) -> str:
        """The pointer to the newest complete model, written last."""
        return f"{self.models}recommender/latest.json"

    def spark_script(self, digest: str) -> str:
        """A Spark job's script by the SHA-256 of its content: a job always runs the script of
        the function that started it, whatever was deployed since."""
        return f"{self.jobs}spark/{digest}/train_job.py"

    def spark_training(self, version: int, load_id: str) -> str:
        """The folder of one version's Spark training; its load id keeps apart two catalogs
        that share a version number (a database loaded afresh)."""
        return f"{self.jobs}training/v{version}-{load_id}/"

    def spark_titles(self, version: int, load_id: str) -> str:
        """The catalog's titles in its item order, the job's input (JSON Lines)."""
        return f"{self.spark_training(version, load_id)}titles.jsonl"

    def spark_output(self, version: int, load_id: str) -> str:
        """Where the job writes its factors and singular values, and nothing else."""
        return f"{self.spark_training(version, load_id)}output/"
