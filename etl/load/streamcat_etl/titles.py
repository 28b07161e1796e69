"""Clean one platform's raw titles CSV into catalog rows, each id the platform's letter plus its
show_id, every field checked.

Pure Python (csv module) so the ETL Lambda needs no pandas. A file is accepted whole or
rejected whole with `InvalidFile` listing every problem; `TitlesResult.fixes` counts, per
fixing rule, the rows it changed, for the load's data-quality report:

- `missing_rating_to_g`: empty rating becomes `g`.
- `shifted_duration`: duration empty and rating holding a duration (`74 min`, `1 Season`;
  292 Hulu and 3 Netflix rows): moved to duration, rating becomes `g`. A duration
  in rating while duration is also filled is ambiguous and rejects the file.
- `date_iso`: `September 25, 2021` became a date.
- `text_trimmed`, `whitespace_collapsed`, `lower_cased`, `invisible_chars_removed`.
- `seasons_to_season`: `Seasons` became `season`.
- `missing_duration_null`, `zero_duration_to_null`: no usable duration, stored as NULL.
- `empty_list_parts_dropped`, `duplicate_list_parts_dropped`, `placeholder_names_dropped`,
  `name_suffixes_joined`: list cleaning; placeholder names are Amazon's test
  rows' `1, 2, 3` (and director `1`); suffixes are cast parts such as `Ph.D.` and `Jr.`.
- `bom_stripped`, `crlf_line_ends` (lines), `blank_lines_skipped`: file-level, accepted.

Every row is kept, Amazon's placeholder titles ("Title before 1C onboarding") included: they
are real catalog entries users can rate, and dropping rows would break the 22,998-title count."""

import collections
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from streamcat.platforms import Platform
from streamcat_etl import titles_fields as fields
from streamcat_etl.titles_csv import TITLES_HEADER, read_records
from streamcat_etl.validation import FieldError, Rejection, RejectionLog, preview


class CleanTitle(NamedTuple):
    """One catalog row as cleaned. A tuple: the load's titles transpose into the columns it
    COPYs in one step (`zip`), and a row is built at a third of a frozen dataclass's cost."""

    id: str
    platform: str
    show_id: str
    type: str
    title: str
    director: str | None
    cast_members: tuple[str, ...]
    countries: tuple[str, ...]
    genres: tuple[str, ...]
    date_added: datetime.date | None
    release_year: int
    rating: str
    duration_int: int | None
    duration_type: str | None
    description: str | None


@dataclass
class TitlesResult:
    platform: Platform
    source: str
    rows_read: int
    titles: list[CleanTitle]
    fixes: collections.Counter[str]


MISSING_RATING = "g"

(
    _SHOW_ID,
    _TYPE,
    _TITLE,
    _DIRECTOR,
    _CAST,
    _COUNTRY,
    _DATE_ADDED,
    _RELEASE_YEAR,
    _RATING,
    _DURATION,
    _LISTED_IN,
    _DESCRIPTION,
) = range(len(TITLES_HEADER))


def clean_titles(platform: Platform, data: bytes, source: str) -> TitlesResult:
    """Raises `InvalidFile` naming every problem (the first 20 listed, all counted)."""
    log = RejectionLog(source)
    fixes: collections.Counter[str] = collections.Counter()
    titles: list[CleanTitle] = []
    first_line_of: dict[str, int] = {}
    rows_read = 0
    for line, raw in read_records(data, source, log, fixes):
        rows_read += 1
        changed: set[str] = set()
        title = _clean_row(platform, line, raw, changed, log)
        if title is None:
            continue
        if title.show_id in first_line_of:
            duplicate = f"{title.show_id!r}, already on line {first_line_of[title.show_id]}"
            log.add(Rejection(line, "show_id", "an id not used by another row", duplicate))
            continue
        first_line_of[title.show_id] = line
        fixes.update(changed)
        titles.append(title)
    log.raise_if_any()
    return TitlesResult(platform, source, rows_read, titles, fixes)


def _clean_row(
    platform: Platform, line: int, raw: list[str], changed: set[str], log: RejectionLog
) -> CleanTitle | None:
    """One row, or None after logging each of its unusable fields."""
    rejections_before = log.total
    row = fields.normalize_row(raw, changed)
    show_id = _parsed(fields.show_id, row, raw, _SHOW_ID, line, changed, log)
    title_type = _parsed(fields.title_type, row, raw, _TYPE, line, changed, log)
    name = _parsed(fields.required_text, row, raw, _TITLE, line, changed, log)
    date_added = _parsed(fields.date_added, row, raw, _DATE_ADDED, line, changed, log)
    release_year = _parsed(fields.release_year, row, raw, _RELEASE_YEAR, line, changed, log)
    rating, duration = _rating_and_duration(line, row, raw, changed, log)
    if (
        log.total > rejections_before
        or show_id is None
        or title_type is None
        or name is None
        or release_year is None
        or duration is None
    ):
        return None
    return CleanTitle(
        id=platform.id_prefix + show_id,
        platform=platform.value,
        show_id=show_id,
        type=title_type,
        title=name,
        director=fields.director(row[_DIRECTOR], changed),
        cast_members=fields.cast_members(row[_CAST], changed),
        countries=fields.members(row[_COUNTRY], changed),
        genres=fields.members(row[_LISTED_IN], changed),
        date_added=date_added,
        release_year=release_year,
        rating=rating,
        duration_int=duration[0],
        duration_type=duration[1],
        description=row[_DESCRIPTION] or None,
    )


def _parsed[T](
    parse: Callable[[str, set[str]], T],
    row: list[str],
    raw: list[str],
    index: int,
    line: int,
    changed: set[str],
    log: RejectionLog,
) -> T | None:
    """Parse one normalized value; on failure log it with the value as the file holds it."""
    try:
        return parse(row[index], changed)
    except FieldError as exc:
        log.add(Rejection(line, TITLES_HEADER[index], exc.expected, preview(raw[index])))
        return None


def _rating_and_duration(
    line: int, row: list[str], raw: list[str], changed: set[str], log: RejectionLog
) -> tuple[str, tuple[int | None, str | None] | None]:
    """The rating (`g` when empty) and the parsed duration (None if unusable), a duration
    shifted into the rating moved back."""
    rating, duration_index = row[_RATING], _DURATION
    if not rating:
        changed.add("missing_rating_to_g")
        rating = MISSING_RATING
    elif fields.is_duration(rating):
        if row[_DURATION]:
            found = f"{raw[_RATING]!r} while duration is {raw[_DURATION]!r}"
            expected = "an audience rating (a duration here only when duration is empty)"
            log.add(Rejection(line, "rating", expected, found))
            return rating, None
        changed.add("shifted_duration")
        rating, duration_index = MISSING_RATING, _RATING
    return rating, _parsed(fields.duration, row, raw, duration_index, line, changed, log)
