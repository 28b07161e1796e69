"""Normalising a titles row and parsing its fields: text, lists, durations and dates.

Parsers share one signature, (normalized value, changed) -> parsed, and record in `changed`
the fixing rules that altered the row, so the caller counts rows per rule; an unusable value
raises `FieldError` with what was expected (the caller adds where, and the raw value found)."""

import calendar
import datetime
import re
from functools import lru_cache

from streamcat_etl.validation import FieldError

MIN_RELEASE_YEAR = 1880
"""Before the first motion pictures (1888); the real catalogs start in 1920."""

LATEST_YEAR = datetime.date.today().year + 5
"""Announced titles may carry next years' release year; the real catalogs end in 2021."""

MAX_MINUTES = 1000
"""The longest real title runs 601 min (Amazon); beyond 1000 is a typo or a unit mix-up."""

MAX_SEASONS = 100
"""The most seasons in the real catalogs is 34 (Disney)."""

_INVISIBLE = ("\u200b", "\ufeff")
_SEPARATOR = "\x00"
"""Joins a row's fields so it is lower-cased in one call; a row holding it goes field by field."""
_NAME_SUFFIXES = frozenset({"jr.", "jr", "sr.", "sr", "ph.d.", "phd", "m.d.", "ii", "iii", "iv"})
_LETTERLESS_PART = re.compile(r"(?:^|,) ?[^,a-z]*(?:,|$)")
"""A list part without an ASCII letter (or empty): only then is the precise check needed."""

_LETTER = re.compile(r"[^\W\d_]")
_DURATION = re.compile(r"(-?\d{1,9}) ?(min|seasons?)")
_SHOW_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
"""English month names: Python never sets LC_TIME from the environment by itself."""
TYPES = frozenset({"movie", "tv show"})


def normalize_row(raw: list[str], changed: set[str]) -> list[str]:
    """A whole row at once: lower case, trimmed, inner runs of whitespace (tabs,
    the line breaks of quoted multi-line fields, non-breaking spaces) made one space so
    searches match, zero-width characters (Hulu descriptions) removed."""
    joined = _SEPARATOR.join(raw)
    if any(char in joined for char in _INVISIBLE):
        changed.add("invisible_chars_removed")
        for char in _INVISIBLE:
            joined = joined.replace(char, "")
    lowered = joined.lower()
    if lowered != joined:
        changed.add("lower_cased")
    values = lowered.split(_SEPARATOR)
    if len(values) != len(raw):
        values = [value.lower() for value in raw]
    single = [" ".join(value.split()) for value in values]
    if single != values:
        for value in values:
            trimmed = value.strip()
            if trimmed != value:
                changed.add("text_trimmed")
            if " ".join(trimmed.split()) != trimmed:
                changed.add("whitespace_collapsed")
    return single


def director(value: str, changed: set[str]) -> str | None:
    """Amazon's placeholder rows name director `1`: a name without a letter is no name."""
    if value and not _has_letter(value):
        changed.add("placeholder_names_dropped")
        return None
    return value or None


def members(value: str, changed: set[str]) -> tuple[str, ...]:
    """Split on commas, trim, drop empty parts (`United States,`), parts without a
    letter (Amazon placeholders' cast `1, 2, 3`) and repeats within the title, order kept."""
    return _unique(_parts(value, changed), changed)


def cast_members(value: str, changed: set[str]) -> tuple[str, ...]:
    """As `members`, and a suffix such as `Ph.D.` or `Jr.` (23 real Amazon cast parts) stays
    with the name before it: split off, it would count as an actor of its own."""
    parts = _parts(value, changed)
    if _NAME_SUFFIXES.isdisjoint(parts):
        return _unique(parts, changed)
    joined: list[str] = []
    for part in parts:
        if part in _NAME_SUFFIXES and joined:
            joined[-1] = f"{joined[-1]}, {part}"
            changed.add("name_suffixes_joined")
        else:
            joined.append(part)
    return _unique(joined, changed)


def _parts(value: str, changed: set[str]) -> list[str]:
    if not value:
        return []
    parts = value.split(", ")
    if len(parts) != value.count(",") + 1 or " ," in value:
        parts = [part.strip() for part in value.split(",")]
    if not _LETTERLESS_PART.search(value):
        return parts
    kept = [part for part in parts if part and _has_letter(part)]
    if len(kept) != len(parts):
        if "" in parts:
            changed.add("empty_list_parts_dropped")
        if any(part and not _has_letter(part) for part in parts):
            changed.add("placeholder_names_dropped")
    return kept


def _unique(parts: list[str], changed: set[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(parts))
    if len(unique) != len(parts):
        changed.add("duplicate_list_parts_dropped")
    return unique


def _has_letter(value: str) -> bool:
    return value[0].isalpha() or _LETTER.search(value) is not None


def show_id(value: str, changed: set[str]) -> str:
    """Ids end up in URLs and in the ratings files' movieId: letters, digits, `_.-` only."""
    if not _SHOW_ID.fullmatch(value):
        raise FieldError("an id of up to 64 letters, digits, '_', '.' or '-'")
    return value


def title_type(value: str, changed: set[str]) -> str:
    if value not in TYPES:
        raise FieldError("'Movie' or 'TV Show'")
    return value


def required_text(value: str, changed: set[str]) -> str:
    if not value:
        raise FieldError("a non-empty text")
    return value


def release_year(value: str, changed: set[str]) -> int:
    if value.isascii() and value.isdigit() and MIN_RELEASE_YEAR <= int(value) <= LATEST_YEAR:
        return int(value)
    raise FieldError(f"a year from {MIN_RELEASE_YEAR} to {LATEST_YEAR}")


def is_duration(value: str) -> bool:
    """Whether a (cleaned) rating value is really a duration shifted one column left."""
    return _DURATION.fullmatch(value) is not None


def duration(value: str, changed: set[str]) -> tuple[int | None, str | None]:
    """`90 min` -> (90, 'min'); `1 Season`/`2 Seasons` -> (n, 'season').

    `0 min` (10 real Amazon rows, mostly test uploads) means unknown, not zero: NULL, so it
    never wins or loses a duration ranking. Empty stays NULL (187 real Hulu rows)."""
    if not value:
        changed.add("missing_duration_null")
        return None, None
    match = _DURATION.fullmatch(value)
    if match is None:
        raise FieldError("a duration such as '90 min', '1 Season' or '3 Seasons'")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "seasons":
        changed.add("seasons_to_season")
    unit = "min" if unit == "min" else "season"
    limit = MAX_MINUTES if unit == "min" else MAX_SEASONS
    if amount == 0:
        changed.add("zero_duration_to_null")
        return None, None
    if not 0 < amount <= limit:
        raise FieldError(f"from 1 to {limit} {unit}")
    return amount, unit


def date_added(value: str, changed: set[str]) -> datetime.date | None:
    """`September 25, 2021` (sometimes with a leading space) -> a date; an ISO date
    is accepted as is, so value output can be value again."""
    if not value:
        return None
    parsed, converted = _parse_date(value)
    if parsed is None:
        raise FieldError("a date such as 'September 25, 2021' or '2021-09-25'")
    if converted:
        changed.add("date_iso")
    return parsed


@lru_cache(maxsize=8192)
def _parse_date(value: str) -> tuple[datetime.date | None, bool]:
    """Cached: the real catalogs hold 23,000 dates but only ~1,700 distinct ones."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return datetime.date.fromisoformat(value), False
        except ValueError:
            return None, False
    month_day, _, year = value.rpartition(", ")
    month, _, day = month_day.partition(" ")
    if month not in _MONTHS or not (day.isdigit() and year.isdigit() and len(year) == 4):
        return None, False
    try:
        return datetime.date(int(year), _MONTHS[month], int(day)), True
    except ValueError:
        return None, False
