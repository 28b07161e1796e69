"""SPEC 3.1-3.7 on small inline rows and on the real catalogs: each test breaks with its rule."""

import datetime
from collections import Counter
from pathlib import Path

import pytest

from streamcat.platforms import Platform
from streamcat_etl.titles import CleanTitle, TitlesResult
from tests.support.titles import clean_real, clean_rows, title_row


@pytest.fixture(scope="module")
def real(real_titles_dir: Path) -> dict[Platform, TitlesResult]:
    return {platform: clean_real(real_titles_dir, platform) for platform in Platform}


@pytest.fixture(scope="module")
def real_by_id(real: dict[Platform, TitlesResult]) -> dict[str, CleanTitle]:
    return {title.id: title for result in real.values() for title in result.titles}


def only(**fields: str) -> tuple[CleanTitle, Counter[str]]:
    result = clean_rows(title_row(**fields))
    assert len(result.titles) == 1
    return result.titles[0], result.fixes


def test_real_catalogs_are_accepted_whole(real: dict[Platform, TitlesResult]) -> None:
    counts = {platform: len(result.titles) for platform, result in real.items()}
    assert counts == {
        Platform.AMAZON: 9668,
        Platform.DISNEY: 1450,
        Platform.HULU: 3073,
        Platform.NETFLIX: 8807,
    }
    assert all(result.rows_read == len(result.titles) for result in real.values())
    assert sum(counts.values()) == 22_998


def test_id_is_platform_letter_plus_show_id(real_by_id: dict[str, CleanTitle]) -> None:
    result = clean_rows(title_row(show_id="s77"), platform=Platform.HULU)
    assert result.titles[0].id == "hs77"
    assert {"as1", "ds1", "hs1", "ns1", "ns8807", "as9668"} <= set(real_by_id)
    assert len(real_by_id) == 22_998
    assert all(t.id == t.platform[0] + t.show_id for t in real_by_id.values())


def test_missing_rating_becomes_g(real: dict[Platform, TitlesResult]) -> None:
    title, fixes = only(rating="")
    assert (title.rating, fixes["missing_rating_to_g"]) == ("g", 1)
    missing = {p: r.fixes["missing_rating_to_g"] for p, r in real.items()}
    assert missing == {
        Platform.AMAZON: 337,
        Platform.DISNEY: 3,
        Platform.HULU: 520,
        Platform.NETFLIX: 4,
    }
    hulu_g = sum(t.rating == "g" for t in real[Platform.HULU].titles)
    assert hulu_g == 18 + 520 + 292  # rated G, missing, shifted
    assert all(t.rating for r in real.values() for t in r.titles)


def test_date_added_becomes_a_date(
    real: dict[Platform, TitlesResult], real_by_id: dict[str, CleanTitle]
) -> None:
    title, fixes = only(date_added=" August 4, 2020")
    assert title.date_added == datetime.date(2020, 8, 4)
    assert fixes["date_iso"] == 1
    assert only(date_added="")[0].date_added is None
    assert real_by_id["ns1"].date_added == datetime.date(2021, 9, 25)
    assert real_by_id["ns6369"].date_added == datetime.date(2019, 3, 15)  # " March 15, 2019"
    netflix = real[Platform.NETFLIX]
    assert netflix.fixes["date_iso"] == sum(t.date_added is not None for t in netflix.titles)
    assert netflix.fixes["date_iso"] == 8807 - 10
    assert real[Platform.AMAZON].fixes["date_iso"] == 9668 - 9513


def test_text_is_lower_case_trimmed_and_single_spaced(
    real: dict[Platform, TitlesResult], real_by_id: dict[str, CleanTitle]
) -> None:
    title, fixes = only(title="  The Memphis Belle:\n A Story\t ", director="\u00a0Raoul Walsh")
    assert (title.title, title.director) == ("the memphis belle: a story", "raoul walsh")
    assert fixes["text_trimmed"] == fixes["whitespace_collapsed"] == fixes["lower_cased"] == 1
    assert real_by_id["ns3372"].title == "consequences"  # trailing no-break space
    assert real_by_id["ns8"].type == "movie"
    memphis = [t for t in real_by_id.values() if t.title.startswith("the memphis belle: a story")]
    assert [t.title for t in memphis] == ["the memphis belle: a story of a flying fortress"]
    assert "kevin michael richardson" in real_by_id["ds471"].cast_members  # a tab inside
    assert (real_by_id["hs1"].description or "").startswith(
        "comedian ricky velez"
    )  # zero-width space
    for t in real_by_id.values():
        for value in (t.title, t.director or "", t.description or "", t.rating, *t.cast_members):
            assert value == value.lower() == " ".join(value.split())


def test_duration_splits_into_number_and_type(real: dict[Platform, TitlesResult]) -> None:
    assert only(duration="90 min")[0].duration_int == 90
    seasons, fixes = only(type="TV Show", duration="2 Seasons")
    assert (seasons.duration_int, seasons.duration_type, fixes["seasons_to_season"]) == (
        2,
        "season",
        1,
    )
    season, fixes = only(type="TV Show", duration="1 Season")
    assert (season.duration_type, fixes["seasons_to_season"]) == ("season", 0)
    plural = {p: r.fixes["seasons_to_season"] for p, r in real.items()}
    assert plural == {
        Platform.AMAZON: 512,
        Platform.DISNEY: 179,
        Platform.HULU: 780,
        Platform.NETFLIX: 883,
    }
    types = Counter(t.duration_type for r in real.values() for t in r.titles)
    assert types == {"min": 16222, "season": 6579, None: 197}


def test_shifted_duration_moves_out_of_rating(
    real: dict[Platform, TitlesResult], real_by_id: dict[str, CleanTitle]
) -> None:
    title, fixes = only(rating="1 Season", duration="")
    assert (title.duration_int, title.duration_type, title.rating) == (1, "season", "g")
    assert (fixes["shifted_duration"], fixes["missing_rating_to_g"]) == (1, 0)
    assert real[Platform.HULU].fixes["shifted_duration"] == 292
    assert real[Platform.NETFLIX].fixes["shifted_duration"] == 3
    louis = real_by_id["ns5542"]
    assert (louis.duration_int, louis.duration_type, louis.rating) == (74, "min", "g")
    assert not any("min" in t.rating or "season" in t.rating for t in real_by_id.values())


def test_missing_and_zero_durations_are_null(real: dict[Platform, TitlesResult]) -> None:
    title, fixes = only(duration="")
    assert (title.duration_int, title.duration_type, fixes["missing_duration_null"]) == (
        None,
        None,
        1,
    )
    title, fixes = only(duration="0 min")
    assert (title.duration_int, fixes["zero_duration_to_null"]) == (None, 1)
    assert real[Platform.HULU].fixes["missing_duration_null"] == 479 - 292
    assert real[Platform.AMAZON].fixes["zero_duration_to_null"] == 10


def test_lists_are_split_trimmed_without_empty_or_repeated_parts(
    real_by_id: dict[str, CleanTitle],
) -> None:
    title, fixes = only(
        cast="Ama Qamata,  Khosi Ngema , , Ama Qamata",
        country="Niger, Nigeria,",
        listed_in="Dramas, International Movies",
    )
    assert title.cast_members == ("ama qamata", "khosi ngema")
    assert title.countries == ("niger", "nigeria")
    assert title.genres == ("dramas", "international movies")
    assert fixes["empty_list_parts_dropped"] == fixes["duplicate_list_parts_dropped"] == 1
    assert only(cast="")[0].cast_members == ()
    assert real_by_id["ns194"].countries == ("south korea",)  # ", South Korea"
    assert real_by_id["ns1193"].countries == ("united kingdom",)  # "United Kingdom,"
    assert "" not in real_by_id["as1418"].cast_members  # ", , "
    assert real_by_id["ns2"].countries == ("south africa",)
    nigeria = [t.id for t in real_by_id.values() if "nigeria" in t.countries]
    assert len(nigeria) == 103


def test_name_suffixes_and_placeholders(real_by_id: dict[str, CleanTitle]) -> None:
    title, fixes = only(cast="Stephen Bohr, Ph.D., Art Chadwick, 1, 2", director="1")
    assert title.cast_members == ("stephen bohr, ph.d.", "art chadwick")
    assert title.director is None
    assert fixes["name_suffixes_joined"] == fixes["placeholder_names_dropped"] == 1
    assert {"art chadwick, ph.d.", "h. allen davis, jr., ph.d."} <= set(
        real_by_id["as694"].cast_members
    )
    assert real_by_id["as6417"].cast_members == ()  # "1, 2, 3"
    assert real_by_id["as7128"].director is None  # "1"
    everyone = {m for t in real_by_id.values() for m in t.cast_members}
    assert not {"1", "2", "3", "ph.d.", "jr."} & everyone


def test_titles_with_quoted_commas_and_hulu_without_cast(
    real: dict[Platform, TitlesResult], real_by_id: dict[str, CleanTitle]
) -> None:
    assert real_by_id["ns11"].title == "vendetta: truth, lies and the mafia"
    assert only(title="Love, Death & Robots")[0].title == "love, death & robots"
    assert not any(t.cast_members for t in real[Platform.HULU].titles)
