"""The seeded catalogs have the real files' shape and exercise every cleaning rule."""

from collections import Counter
from pathlib import Path

import pytest

from local.titles_generator import generate_catalogs
from streamcat.platforms import Platform
from streamcat_etl.titles import TitlesResult, clean_titles

ROW_RULES = {
    "missing_rating_to_g",
    "shifted_duration",
    "date_iso",
    "text_trimmed",
    "whitespace_collapsed",
    "lower_cased",
    "invisible_chars_removed",
    "seasons_to_season",
    "missing_duration_null",
    "zero_duration_to_null",
    "empty_list_parts_dropped",
    "duplicate_list_parts_dropped",
    "placeholder_names_dropped",
    "name_suffixes_joined",
}


def cleaned(paths: dict[Platform, Path]) -> dict[Platform, TitlesResult]:
    return {p: clean_titles(p, path.read_bytes(), path.name) for p, path in paths.items()}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[Platform, TitlesResult]:
    return cleaned(generate_catalogs(tmp_path_factory.mktemp("full")))


def test_full_scale_has_real_names_counts_and_quirk_counts(
    full: dict[Platform, TitlesResult],
) -> None:
    assert {p: len(r.titles) for p, r in full.items()} == {
        Platform.AMAZON: 9668,
        Platform.DISNEY: 1450,
        Platform.HULU: 3073,
        Platform.NETFLIX: 8807,
    }
    assert {r.source for r in full.values()} == {p.titles_file for p in Platform}
    assert full[Platform.HULU].fixes["shifted_duration"] == 292
    assert full[Platform.NETFLIX].fixes["shifted_duration"] == 3
    assert full[Platform.HULU].fixes["missing_rating_to_g"] == 520
    assert full[Platform.NETFLIX].fixes["text_trimmed"] == 88


def test_every_rule_is_exercised(full: dict[Platform, TitlesResult]) -> None:
    fixes = sum((r.fixes for r in full.values()), Counter[str]())
    assert {rule for rule, count in fixes.items() if count} >= ROW_RULES


def test_realistic_vocabularies(full: dict[Platform, TitlesResult]) -> None:
    titles = [t for r in full.values() for t in r.titles]
    countries = Counter(c for t in titles for c in t.countries)
    assert len(countries) >= 95
    assert countries["niger"] and countries["nigeria"]
    appearances = Counter(m for t in titles for m in t.cast_members)
    assert 20 <= appearances.most_common(1)[0][1] <= 200
    assert not any(t.cast_members for t in full[Platform.HULU].titles)
    on_platforms = Counter(t.title for t in titles)
    assert 500 <= sum(1 for n in on_platforms.values() if n > 1) <= 1500
    assert {g for t in full[Platform.NETFLIX].titles for g in t.genres} >= {"tv dramas", "dramas"}
    assert "13+" in {t.rating for t in full[Platform.AMAZON].titles}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = generate_catalogs(tmp_path / "a", seed=3, scale=0.05)
    again = generate_catalogs(tmp_path / "b", seed=3, scale=0.05)
    other = generate_catalogs(tmp_path / "c", seed=4, scale=0.05)
    for platform in Platform:
        assert first[platform].read_bytes() == again[platform].read_bytes()
        assert first[platform].read_bytes() != other[platform].read_bytes()


def test_small_scale_keeps_every_quirk(tmp_path: Path) -> None:
    small = cleaned(generate_catalogs(tmp_path, scale=0.02))
    assert len(small[Platform.NETFLIX].titles) == round(8807 * 0.02)
    fixes = sum((r.fixes for r in small.values()), Counter[str]())
    assert {rule for rule, count in fixes.items() if count} >= ROW_RULES
