"""bench.etl compares our ETL with two baselines only because they do the same job: on the same
raw files, the seed (pandas) and DuckDB baselines leave the same catalog tables (titles with
score and votes, the list tables, rating_stats) and the same ratings Parquet rows as ours."""

import csv
import re
from pathlib import Path

import pytest

from bench.etl_baselines import duckdb as duckdb_baseline
from bench.etl_baselines import seed
from bench.etl_baselines.outputs import catalog_digests, differences, parquet_digests
from local.ratings_generator import generate_ratings
from local.titles_generator import generate_catalogs
from streamcat.platforms import Platform
from tests.support.etl import Etl

BASELINES = {"seed": seed.run, "duckdb": duckdb_baseline.run}


QUIRK = re.compile(
    r"^\s|\s$|\s\s|[\u200b\ufeff\xa0\t\n]|(^|,)[^a-z,]*,|,[^a-z,]*$|^[^a-z,]+$"
    r"|\b(jr|sr|ph\.d|m\.d|ii|iii|iv)\b",
    re.IGNORECASE,
)
"""A list or director some cleaning rule beyond lower case and trim changes: stray or unusual
whitespace, zero-width spaces, empty or letterless parts (placeholder names), name suffixes."""
TEXT_QUIRK = re.compile(r"^\s|\s$|\s\s|[\u200b\ufeff\xa0\t\n]")
"""The same for free text, where digits are common and change nothing."""
TEXT_COLUMNS = {"show_id", "type", "title", "date_added", "release_year", "description"}
OTHER_QUIRKS = {
    "rating": re.compile(r"^$|min|season", re.IGNORECASE),  # missing, or a shifted duration
    "duration": re.compile(r"^$|^0 "),  # missing, or `0 min`
}


def quirky_subset(real: Path, out: Path, every: int = 12) -> Path:
    """Every `every`-th row of each real file, and every row with a quirk: small enough for
    seconds, every real quirk kept."""
    out.mkdir()
    for platform in Platform:
        with (real / platform.titles_file).open(newline="", encoding="utf-8") as source:
            header, *rows = csv.reader(source)
        patterns = [
            OTHER_QUIRKS.get(name, TEXT_QUIRK if name in TEXT_COLUMNS else QUIRK) for name in header
        ]
        kept = [
            row
            for n, row in enumerate(rows)
            if n % every == 0 or any(p.search(v) for p, v in zip(patterns, row, strict=True))
        ]
        with (out / platform.titles_file).open("w", newline="", encoding="utf-8") as target:
            csv.writer(target).writerows([header, *kept])
    return out


def load_all(etl: Etl, titles: Path, ratings: Path) -> None:
    files = {f"raw/titles/{p.titles_file}": (titles / p.titles_file).read_bytes() for p in Platform}
    for path in sorted(ratings.glob("*.csv")):
        files[f"raw/ratings/{path.name}"] = path.read_bytes()
    result = etl.upload_and_load(files)
    assert result["swapped"], result


def assert_same_outputs(etl: Etl, database_url: str) -> None:
    """The baselines run as bench.etl runs them, with the deployer's rights: they are not
    functions of the template."""
    s3 = etl.s3
    ours_catalog = catalog_digests(database_url)
    ours_parquet = parquet_digests(s3, etl.bucket)
    assert len(ours_parquet) == 3
    for name, run in BASELINES.items():
        run(
            s3,
            etl.bucket,
            database_url,
            curated_prefix=f"{name}/curated/",
            schema=f"catalog_{name}",
        )
        assert differences(ours_catalog, catalog_digests(database_url, f"catalog_{name}")) == []
        found = parquet_digests(s3, etl.bucket, f"{name}/curated/")
        assert list(found.values()) == list(ours_parquet.values()), name


def test_generated_catalog_and_ratings(database_url: str, bucket: str, tmp_path: Path) -> None:
    titles = tmp_path / "titles"
    generate_catalogs(titles, seed=5, scale=0.05)
    generate_ratings(titles, tmp_path / "ratings", n_ratings=30_000, n_files=3, seed=3)
    etl = Etl(database_url, bucket)
    load_all(etl, titles, tmp_path / "ratings")

    assert_same_outputs(etl, database_url)


def test_real_catalogs(
    database_url: str, bucket: str, real_titles_dir: Path, tmp_path: Path
) -> None:
    titles = quirky_subset(real_titles_dir, tmp_path / "titles")
    generate_ratings(titles, tmp_path / "ratings", n_ratings=20_000, n_files=3, seed=4)
    etl = Etl(database_url, bucket)
    load_all(etl, titles, tmp_path / "ratings")

    assert_same_outputs(etl, database_url)


@pytest.fixture(autouse=True)
def _drop_baseline_schemas(database_url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        for name in BASELINES:
            cursor.execute(f"DROP SCHEMA IF EXISTS catalog_{name} CASCADE")
    connection.close()
