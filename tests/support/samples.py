"""The data the sample events in events/ name (`raw/titles/netflix_titles.csv`,
`raw/ratings/1.csv`): small, and enough to load a catalog and train a model on it."""

from tests.support.etl import ratings_csv
from tests.support.titles import csv_bytes, title_row


def sample_titles() -> bytes:
    """Sixteen Netflix titles in four genres: enough for the model's ten neighbours a title."""
    genres = ("Dramas", "Comedies", "Documentaries", "Action & Adventure")
    return csv_bytes(
        *(
            title_row(
                show_id=f"s{n}",
                title=f"title {n}",
                listed_in=genres[n % 4],
                cast=f"Actor {n % 5}, Actor {5 + n % 3}",
                description=f"A {genres[n % 4].lower()} story about number {n}.",
            )
            for n in range(1, 17)
        )
    )


def sample_ratings() -> bytes:
    """Twelve users, each rating the titles of one genre high and the others low."""
    return ratings_csv(
        *(
            (user, 5.0 if title % 4 == user % 4 else 1.5, f"ns{title}")
            for user in range(1, 13)
            for title in range(1, 17)
            if (user + title) % 3
        )
    )
