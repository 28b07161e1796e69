"""The generated data the ETL and scale benches load, made once and cached: the four catalogs
(the seeded generator's, the real sizes) and the ratings over them."""

from pathlib import Path

from bench.files import DATA_CACHE


def titles_dir() -> Path:
    from local.stack import generate_once
    from local.titles_generator import generate_catalogs

    generate_once(DATA_CACHE / "titles", "titles", generate_catalogs)
    return DATA_CACHE / "titles"


def ratings_dir(n_ratings: int, n_files: int) -> Path:
    """`n_ratings` ratings over `titles_dir` in `n_files` CSVs named 1.csv, 2.csv, ..."""
    from local.ratings_generator import generate_ratings
    from local.stack import generate_once

    titles, folder = titles_dir(), DATA_CACHE / f"ratings-{n_ratings}-in-{n_files}"
    generate_once(
        folder,
        f"{n_ratings:,} ratings in {n_files} files",
        lambda out: generate_ratings(titles, out, n_ratings=n_ratings, n_files=n_files),
    )
    return folder


def ratings_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.csv"), key=lambda path: int(path.stem))
