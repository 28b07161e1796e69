"""docs/etl.md, scores and the atomic swap: a load COPYs a complete catalog into staging and swaps
it in; partial uploads reload just their part; scores come from every ratings file; artifacts follow
the catalog."""

import psycopg2
import pyarrow as pa
import pytest

from local.notifications import sqs_event
from streamcat.platforms import Platform
from streamcat.s3_layout import S3Layout
from streamcat.training_input import read_manifest, read_training_ratings
from streamcat_etl import catalog_store
from streamcat_etl.titles import clean_titles
from tests.support.etl import Etl, ratings_csv, titles_csv
from tests.support.memory import BIG_MB, call_in_child, resident

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


def test_first_load_copies_titles_links_and_swaps_in_version_1(etl: Etl) -> None:
    result = etl.upload_and_load(
        {
            NETFLIX: titles_csv("s1", "s2", cast='Ann "Q" Lee, Bob\\Tab', country="Niger, Nigeria"),
            DISNEY: titles_csv("s7"),
        }
    )

    assert result["catalog_version"] == 1 and result["swapped"]
    assert etl.ids() == ["ds7", "ns1", "ns2"]
    assert etl.rows("SELECT cast_members, countries FROM catalog.titles WHERE id = 'ns1'") == [
        (['ann "q" lee', "bob\\tab"], ["niger", "nigeria"])
    ]
    assert etl.rows(
        "SELECT title_id FROM catalog.title_countries WHERE country = 'niger' ORDER BY 1"
    ) == [("ns1",), ("ns2",)]
    assert etl.rows("SELECT member FROM catalog.title_cast WHERE title_id = 'ns2' ORDER BY 1") == [
        ('ann "q" lee',),
        ("bob\\tab",),
    ]
    assert etl.rows(
        "SELECT to_regnamespace('catalog_staging'), to_regnamespace('catalog_old')"
    ) == [(None, None)]


def test_titles_text_reaches_the_catalog_as_cleaned_and_missing_values_as_null(
    etl: Etl,
) -> None:
    """The titles' COPY is CSV, and the lists array literals: quotes, commas, backslashes and
    braces arrive as they are, and a missing value is NULL, never the empty string."""
    text = 'He said "Go, {now}" \\ left.'
    cast = 'A, {B}, C "D", E\\F, G}'
    etl.upload_and_load(
        {
            NETFLIX: titles_csv(
                "s1", director="", date_added="", duration="", description=text, cast=cast
            )
        }
    )

    assert etl.rows(
        "SELECT director, date_added, duration_int, duration_type, description, cast_members"
        " FROM catalog.titles"
    ) == [
        (
            None,
            None,
            None,
            None,
            'he said "go, {now}" \\ left.',
            ["a", "{b}", 'c "d"', "e\\f", "g}"],
        )
    ]


def test_partial_reload_replaces_one_platform_and_keeps_the_others(etl: Etl) -> None:
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2"), DISNEY: titles_csv("s7")})

    result = etl.upload_and_load({NETFLIX: titles_csv("s3")})

    assert result["catalog_version"] == 2
    assert etl.ids() == ["ds7", "ns3"]
    assert etl.rows("SELECT title_id FROM catalog.title_genres ORDER BY 1") == [("ds7",), ("ns3",)]


def test_scores_are_means_over_all_files_votes_counts_and_unrated_titles_null(etl: Etl) -> None:
    etl.upload_and_load(
        {
            NETFLIX: titles_csv("s1", "s2", "s3"),
            "raw/ratings/1.csv": ratings_csv((1, 4.0, "ns1"), (2, 5.0, "ns1"), (1, 0.5, "ns2")),
            "raw/ratings/2.csv": ratings_csv((3, 3.0, "ns1")),
        }
    )

    assert etl.rows("SELECT id, score, votes FROM catalog.titles ORDER BY id") == [
        ("ns1", 4.0, 3),
        ("ns2", 0.5, 1),
        ("ns3", None, 0),
    ]


def test_scoring_the_indexed_titles_adds_no_index_entries(database_url: str) -> None:
    """The titles are indexed while the ratings are still being read: their scores must then
    be set by heap-only updates, which leave those indexes alone, or the update costs what the
    indexes did."""
    show_ids = [f"s{i}" for i in range(1, 501)]
    titles = clean_titles(Platform.NETFLIX, titles_csv(*show_ids), NETFLIX).titles
    sums = pa.table(
        {
            "movie_id": [t.id for t in titles],
            "rating_sum": [4.5] * len(titles),
            "votes": [1] * len(titles),
        }
    )
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            catalog_store.create_staging(cursor)
            catalog_store.copy_titles(cursor, titles)
            catalog_store.index_staging(cursor)
            catalog_store.copy_rating_stats(cursor, "raw/ratings/1.csv", sums)
            catalog_store.score_titles(cursor)
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                " WHERE schemaname = 'catalog_staging' AND relname = 'titles'"
            )
            assert cursor.fetchall() == [(500, 500)]
            cursor.execute("SELECT DISTINCT score, votes FROM catalog_staging.titles")
            assert cursor.fetchall() == [(4.5, 1)]
    finally:
        connection.rollback()
        connection.close()


def test_reloading_one_ratings_file_replaces_only_its_share(etl: Etl) -> None:
    etl.upload_and_load(
        {
            NETFLIX: titles_csv("s1"),
            "raw/ratings/1.csv": ratings_csv((1, 4.0, "ns1")),
            "raw/ratings/2.csv": ratings_csv((2, 2.0, "ns1")),
        }
    )

    etl.upload_and_load({"raw/other/ratings/2.csv": ratings_csv((2, 5.0, "ns1"), (3, 3.0, "ns1"))})

    assert etl.rows("SELECT score, votes FROM catalog.titles") == [(4.0, 3)]
    assert etl.version() == 2


def test_unmatched_movie_ids_count_toward_no_score_and_stay_in_the_parquet(etl: Etl) -> None:
    """A movieId that matches no title is dropped from the scores and counted; the
    Parquet keeps every valid rating of the file, so titles loaded later can match it."""
    result = etl.upload_and_load(
        {
            NETFLIX: titles_csv("s1"),
            "raw/ratings/1.csv": ratings_csv((1, 4.0, "ns1"), (2, 3.0, "ns404"), (3, 1.0, "xs1")),
        }
    )

    ratings = next(f for f in etl.report(result["load_id"])["files"] if f["kind"] == "ratings")
    assert (ratings["rows_read"], ratings["rows_kept"], ratings["ratings_dropped_unmatched"]) == (
        3,
        3,
        2,
    )
    assert [row["movieId"] for row in etl.parquet(1)] == ["ns1", "ns404", "xs1"]
    assert etl.rows("SELECT score, votes FROM catalog.titles") == [(4.0, 1)]


def test_ratings_before_titles_score_once_the_titles_arrive(etl: Etl) -> None:
    first = etl.upload_and_load(
        {"raw/ratings/1.csv": ratings_csv((1, 4.0, "ns1"), (2, 2.0, "ns1"))}
    )
    assert first["catalog_version"] == 1 and etl.ids() == []
    assert not any(map(S3Layout.manifest_version, etl.keys(etl.layout.curated))), (
        "no titles: nothing to train"
    )

    etl.upload_and_load({NETFLIX: titles_csv("s1")})

    assert etl.rows("SELECT score, votes FROM catalog.titles") == [(3.0, 2)]
    assert etl.interactions(2)["movieId"] == ["ns1", "ns1"], "the training input has them too"


def test_training_input_names_every_ratings_file_of_the_new_version(etl: Etl) -> None:
    """The trainer matches the ratings to the catalog itself (tests/unit/test_train_input.py)."""
    etl.upload_and_load(
        {
            NETFLIX: titles_csv("s1", "s2"),
            "raw/ratings/1.csv": ratings_csv((7, 4.5, "ns2"), (8, 1.0, "nope")),
        }
    )
    etl.upload_and_load({"raw/ratings/2.csv": ratings_csv((9, 2.0, "ns1"))})

    columns = etl.interactions(2)

    ratings = zip(columns["userId"], columns["movieId"], columns["rating"], strict=True)
    assert sorted(ratings) == [(7, "ns2", 4.5), (8, "nope", 1.0), (9, "ns1", 2.0)]
    manifest = read_manifest(etl.read(etl.layout.training_manifest(2)))
    assert manifest.parts == [etl.layout.training_part(1), etl.layout.training_part(2)]
    assert manifest.parquet == [etl.layout.ratings_parquet(1), etl.layout.ratings_parquet(2)]
    assert manifest.parquet == etl.keys(etl.layout.ratings_parquet_prefix), "each one exists"
    assert manifest.ratings == 3, "every rating of both files, the unmatched one too"
    catalog = [row[0] for row in etl.rows("SELECT id FROM catalog.titles ORDER BY id")]
    trained_on = read_training_ratings(manifest.parts, etl.read, catalog)
    assert sorted(zip(trained_on.user.tolist(), trained_on.item.tolist(), strict=True)) == [
        (7, 1),
        (9, 0),
    ], "the trainer's parts hold the same ratings, the unmatched one dropped"


def test_a_published_load_leaves_nothing_staged(etl: Etl) -> None:
    etl.upload_and_load(
        {NETFLIX: titles_csv("s1"), "raw/ratings/1.csv": ratings_csv((7, 4.5, "ns1"))}
    )

    assert etl.keys(etl.layout.staging) == []
    assert etl.keys(etl.layout.ratings_parquet_prefix) == [etl.layout.ratings_parquet(1)]


def test_report_counts_rows_fixes_and_timings_in_s3_and_the_loads_table(etl: Etl) -> None:
    result = etl.upload_and_load({NETFLIX: titles_csv("s1", "s2", rating="")})

    report = etl.report(result["load_id"])
    (titles,) = report["files"]
    assert (titles["status"], titles["rows_read"], titles["rows_kept"]) == ("loaded", 2, 2)
    assert titles["fixes"]["missing_rating_to_g"] == 2
    assert report["catalog_version"] == 1
    assert {"triage", "stage", "swap", "publish"} <= set(report["timings_s"])
    stored = etl.rows("SELECT catalog_version, report->'totals'->>'rows_kept' FROM etl.loads")
    assert stored == [(1, "2")]


def test_the_reported_peak_is_the_invocations_own_memory(etl: Etl) -> None:
    """Lambda's Max Memory Used: an allocation of the invocation's own shows in full, and its
    parent's high-water mark not at all (a process started by fork and exec inherits ru_maxrss)."""
    _parent_ballast = resident(BIG_MB)
    first = sqs_event(etl.bucket, etl.put(NETFLIX, titles_csv("s1")))
    own = call_in_child("tests.support.etl:invoke_handler", first)
    second = sqs_event(etl.bucket, etl.put(NETFLIX, titles_csv("s1", "s2")))
    allocating = call_in_child("tests.support.etl:invoke_handler", second, allocate_mb=BIG_MB)

    small = etl.report(own["load_id"])["peak_rss_mb"]
    big = etl.report(allocating["load_id"])["peak_rss_mb"]
    assert small < BIG_MB, f"{small} MB: the parent's high-water mark, not the invocation's"
    assert big - small == pytest.approx(BIG_MB, abs=BIG_MB / 4), "the known allocation, in MiB"
