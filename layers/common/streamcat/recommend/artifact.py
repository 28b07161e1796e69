"""The model artifact's JSON shape (its keys: streamcat.s3_layout), shared by the trainer (writer)
and the recommendations function (reader) so neither can drift from the other.

`model.json.gz` holds parallel lists over the catalog (`ids`, `titles`, `platforms`, `scores`,
`votes`) and, per title, the indexes of its `neighbours_per_title` most similar titles, best
first, all in one flat list (`neighbours`: title i's are items i*k to i*k+k-1; a flat list of
numbers parses in half the time of a list of lists, and the cold start counts every ms).
`latest.json` names the newest complete model; it is written last, so a reader following it
never finds a partial model.
"""

from typing import Any, TypedDict

FORMAT = 1


class ModelDocument(TypedDict):
    format: int
    version: int
    trained_at: str
    ids: list[str]
    titles: list[str]
    platforms: list[str]
    scores: list[float | None]
    votes: list[int]
    neighbours_per_title: int
    neighbours: list[int]


class LatestPointer(TypedDict):
    version: int
    key: str
    trained_at: str


class ModelFormatError(ValueError):
    """The artifact is not a model this code can read (corrupt, truncated, other format)."""


def validate_document(document: Any) -> ModelDocument:
    """Check the shape the reader relies on, so a bad artifact fails at load, not per request
    (type and range checks run in C: map, set, min, max)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFormatError(f"not a format {FORMAT} recommender model")
    columns = ("ids", "titles", "platforms", "scores", "votes", "neighbours")
    if not all(isinstance(document.get(c), list) for c in columns):
        raise ModelFormatError(f"a model needs the lists {', '.join(columns)}")
    size, per_title = len(document["ids"]), document.get("neighbours_per_title")
    if size == 0 or any(len(document[c]) != size for c in columns[:-1]):
        raise ModelFormatError("the model's lists are empty or of different lengths")
    if not isinstance(per_title, int) or len(document["neighbours"]) != size * per_title:
        raise ModelFormatError("the neighbour list does not hold neighbours_per_title per title")
    neighbours = document["neighbours"]
    if neighbours and (
        set(map(type, neighbours)) != {int} or min(neighbours) < 0 or max(neighbours) >= size
    ):
        raise ModelFormatError("a neighbour is not the index of a title in the model")
    if set(map(type, document["ids"])) != {str} or set(map(type, document["titles"])) != {str}:
        raise ModelFormatError("ids and titles must be text")
    if not isinstance(document.get("version"), int):
        raise ModelFormatError("the model has no integer version")
    checked: ModelDocument = document  # type: ignore[assignment]
    return checked
