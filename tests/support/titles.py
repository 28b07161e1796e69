"""Small titles CSVs built in tests: one valid row by default, any field overridden."""

import csv
import io
from pathlib import Path

from streamcat.platforms import Platform
from streamcat_etl.titles import TitlesResult, clean_titles
from streamcat_etl.titles_csv import TITLES_HEADER

HEADER_LINE = ",".join(TITLES_HEADER)


def title_row(**fields: str) -> dict[str, str]:
    """A valid Netflix-style row; keyword `cast` etc. override single fields."""
    row = {
        "show_id": "s1",
        "type": "Movie",
        "title": "Dick Johnson Is Dead",
        "director": "Kirsten Johnson",
        "cast": "Ama Qamata, Khosi Ngema",
        "country": "United States",
        "date_added": "September 25, 2021",
        "release_year": "2020",
        "rating": "PG-13",
        "duration": "90 min",
        "listed_in": "Documentaries",
        "description": "A filmmaker stages her father's death.",
    }
    unknown = set(fields) - set(row)
    assert not unknown, f"unknown columns {unknown}"
    row.update(fields)
    return row


def csv_bytes(*rows: dict[str, str], line_end: str = "\n") -> bytes:
    """The rows under the real header, quoted the way the real files are (only when needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(TITLES_HEADER)
    for row in rows:
        writer.writerow([row[name] for name in TITLES_HEADER])
    return out.getvalue().encode("utf-8")


def clean_rows(*rows: dict[str, str], platform: Platform = Platform.NETFLIX) -> TitlesResult:
    return clean_titles(platform, csv_bytes(*rows), platform.titles_file)


def clean_real(directory: Path, platform: Platform) -> TitlesResult:
    path = directory / platform.titles_file
    return clean_titles(platform, path.read_bytes(), path.name)
