"""docs/etl.md's cleaning rules on small inline rows and on a whole catalog (the real one where
present, else the generated one of its quirks): each test breaks with its rule. The real files' own
counts and rows are checked at the end, where those files are present."""

import datetime
from collections import Counter
from pathlib import Path

import pytest

from streamcat.platforms import Platform
from streamcat_etl.titles import CleanTitle, TitlesResult
from tests.support.titles import clean_real, clean_rows, title_row


@pytest.fixture(scope="module")
def catalog(titles_dir: Path) -> dict[Platform, TitlesResult]:
    """Every platform's file cleaned: the real catalogs, or generated ones."""
    return {platform: clean_real(titles_dir, platform) for platform in Platform}


@pytest.fixture(scope="module")
def titles(catalog: dict[Platform, TitlesResult]) -> list[CleanTitle]:
    return [title for result in catalog.values() for title in result.titles]


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


def test_catalogs_are_accepted_whole(catalog: dict[Platform, TitlesResult]) -> None:
    assert all(result.titles for result in catalog.values())
    assert all(result.rows_read == len(result.titles) for result in catalog.values())


def test_id_is_platform_letter_plus_show_id(titles: list[CleanTitle]) -> None:
    result = clean_rows(title_row(show_id="s77"), platform=Platform.HULU)
    assert result.titles[0].id == "hs77"
    assert {"as1", "ds1", "hs1", "ns1"} <= {t.id for t in titles}
    assert len({t.id for t in titles}) == len(titles)
    assert all(t.id == t.platform[0] + t.show_id for t in titles)


def test_missing_rating_becomes_g(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    title, fixes = only(rating="")
    assert (title.rating, fixes["missing_rating_to_g"]) == ("g", 1)
    assert catalog[Platform.HULU].fixes["missing_rating_to_g"] > 0
    assert all(t.rating for t in titles)


def test_date_added_becomes_a_date(catalog: dict[Platform, TitlesResult]) -> None:
    title, fixes = only(date_added=" August 4, 2020")
    assert title.date_added == datetime.date(2020, 8, 4)
    assert fixes["date_iso"] == 1
    assert only(date_added="")[0].date_added is None
    for result in catalog.values():
        assert result.fixes["date_iso"] == sum(t.date_added is not None for t in result.titles)
    assert catalog[Platform.NETFLIX].fixes["date_iso"] > 0


def test_text_is_lower_case_trimmed_and_single_spaced(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    title, fixes = only(title="  The Memphis Belle:\n A Story\t ", director="\u00a0Raoul Walsh")
    assert (title.title, title.director) == ("the memphis belle: a story", "raoul walsh")
    assert fixes["text_trimmed"] == fixes["whitespace_collapsed"] == fixes["lower_cased"] == 1
    fixed = sum((r.fixes for r in catalog.values()), Counter[str]())
    assert fixed["text_trimmed"] and fixed["whitespace_collapsed"]
    assert fixed["invisible_chars_removed"]
    for t in titles:
        for value in (t.title, t.director or "", t.description or "", t.rating, *t.cast_members):
            assert value == value.lower() == " ".join(value.split())


def test_duration_splits_into_number_and_type(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    assert only(duration="90 min")[0].duration_int == 90
    seasons, fixes = only(type="TV Show", duration="2 Seasons")
    assert (seasons.duration_int, seasons.duration_type, fixes["seasons_to_season"]) == (
        2,
        "season",
        1,
    )
    season, fixes = only(type="TV Show", duration="1 Season")
    assert (season.duration_type, fixes["seasons_to_season"]) == ("season", 0)
    assert all(r.fixes["seasons_to_season"] for r in catalog.values())
    assert {t.duration_type for t in titles} == {"min", "season", None}
    assert all((t.duration_int is None) == (t.duration_type is None) for t in titles)


def test_shifted_duration_moves_out_of_rating(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    title, fixes = only(rating="1 Season", duration="")
    assert (title.duration_int, title.duration_type, title.rating) == (1, "season", "g")
    assert (fixes["shifted_duration"], fixes["missing_rating_to_g"]) == (1, 0)
    assert catalog[Platform.HULU].fixes["shifted_duration"] > 0
    assert not any("min" in t.rating or "season" in t.rating for t in titles)


def test_missing_and_zero_durations_are_null(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    title, fixes = only(duration="")
    assert (title.duration_int, title.duration_type, fixes["missing_duration_null"]) == (
        None,
        None,
        1,
    )
    title, fixes = only(duration="0 min")
    assert (title.duration_int, fixes["zero_duration_to_null"]) == (None, 1)
    assert catalog[Platform.HULU].fixes["missing_duration_null"] > 0
    assert catalog[Platform.AMAZON].fixes["zero_duration_to_null"] > 0
    assert all(t.duration_int is None or t.duration_int > 0 for t in titles)


def test_lists_are_split_trimmed_without_empty_or_repeated_parts(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
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
    fixed = sum((r.fixes for r in catalog.values()), Counter[str]())
    assert fixed["empty_list_parts_dropped"] and fixed["duplicate_list_parts_dropped"]
    for t in titles:
        for parts in (t.cast_members, t.countries, t.genres):
            assert "" not in parts and len(set(parts)) == len(parts)


def test_name_suffixes_and_placeholders(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    title, fixes = only(cast="Stephen Bohr, Ph.D., Art Chadwick, 1, 2", director="1")
    assert title.cast_members == ("stephen bohr, ph.d.", "art chadwick")
    assert title.director is None
    assert fixes["name_suffixes_joined"] == fixes["placeholder_names_dropped"] == 1
    amazon = catalog[Platform.AMAZON].fixes
    assert amazon["name_suffixes_joined"] and amazon["placeholder_names_dropped"]
    everyone = {m for t in titles for m in t.cast_members}
    assert not {"1", "2", "3", "ph.d.", "jr."} & everyone
    assert not {t.director for t in titles} & {"1", "2", "3"}


def test_titles_with_quoted_commas_and_hulu_without_cast(
    catalog: dict[Platform, TitlesResult], titles: list[CleanTitle]
) -> None:
    assert only(title="Love, Death & Robots")[0].title == "love, death & robots"
    assert any(", " in t.title for t in titles)
    assert not any(t.cast_members for t in catalog[Platform.HULU].titles)


# The real files' own facts: their counts and rows named by id.


def test_real_catalogs_counts(real: dict[Platform, TitlesResult]) -> None:
    counts = {platform: len(result.titles) for platform, result in real.items()}
    assert counts == {
        Platform.AMAZON: 9668,
        Platform.DISNEY: 1450,
        Platform.HULU: 3073,
        Platform.NETFLIX: 8807,
    }
    assert sum(counts.values()) == 22_998
    missing = {p: r.fixes["missing_rating_to_g"] for p, r in real.items()}
    assert missing == {
        Platform.AMAZON: 337,
        Platform.DISNEY: 3,
        Platform.HULU: 520,
        Platform.NETFLIX: 4,
    }
    hulu_g = sum(t.rating == "g" for t in real[Platform.HULU].titles)
    assert hulu_g == 18 + 520 + 292  # rated G, missing, shifted
    assert real[Platform.NETFLIX].fixes["date_iso"] == 8807 - 10
    assert real[Platform.AMAZON].fixes["date_iso"] == 9668 - 9513
    plural = {p: r.fixes["seasons_to_season"] for p, r in real.items()}
    assert plural == {
        Platform.AMAZON: 512,
        Platform.DISNEY: 179,
        Platform.HULU: 780,
        Platform.NETFLIX: 883,
    }
    types = Counter(t.duration_type for r in real.values() for t in r.titles)
    assert types == {"min": 16222, "season": 6579, None: 197}
    assert real[Platform.HULU].fixes["shifted_duration"] == 292
    assert real[Platform.NETFLIX].fixes["shifted_duration"] == 3
    assert real[Platform.HULU].fixes["missing_duration_null"] == 479 - 292
    assert real[Platform.AMAZON].fixes["zero_duration_to_null"] == 10
    nigeria = [t.id for r in real.values() for t in r.titles if "nigeria" in t.countries]
    assert len(nigeria) == 103


def test_real_catalogs_quirky_rows(real_by_id: dict[str, CleanTitle]) -> None:
    assert {"as1", "ds1", "hs1", "ns1", "ns8807", "as9668"} <= set(real_by_id)
    assert real_by_id["ns1"].date_added == datetime.date(2021, 9, 25)
    assert real_by_id["ns6369"].date_added == datetime.date(2019, 3, 15)  # " March 15, 2019"
    assert real_by_id["ns3372"].title == "consequences"  # trailing no-break space
    assert real_by_id["ns8"].type == "movie"
    memphis = [t for t in real_by_id.values() if t.title.startswith("the memphis belle: a story")]
    assert [t.title for t in memphis] == ["the memphis belle: a story of a flying fortress"]
    assert "kevin michael richardson" in real_by_id["ds471"].cast_members  # a tab inside
    assert (real_by_id["hs1"].description or "").startswith(
        "comedian ricky velez"
    )  # zero-width space
    louis = real_by_id["ns5542"]  # its duration shifted into rating
    assert (louis.duration_int, louis.duration_type, louis.rating) == (74, "min", "g")
    assert real_by_id["ns194"].countries == ("south korea",)  # ", South Korea"
    assert real_by_id["ns1193"].countries == ("united kingdom",)  # "United Kingdom,"
    assert "" not in real_by_id["as1418"].cast_members  # ", , "
    assert real_by_id["ns2"].countries == ("south africa",)
    assert {"art chadwick, ph.d.", "h. allen davis, jr., ph.d."} <= set(
        real_by_id["as694"].cast_members
    )
    assert real_by_id["as6417"].cast_members == ()  # "1, 2, 3"
    assert real_by_id["as7128"].director is None  # "1"
    assert real_by_id["ns11"].title == "vendetta: truth, lies and the mafia"
