"""How a title's text is compared. The trainer stores the model's titles normalised, and the API
looks a query up normalised the same way: any difference and a title that exists is not found."""


def normalize_title(text: str) -> str:
    """Lower case, trimmed, every run of whitespace one space: how the catalog stores titles."""
    return " ".join(text.lower().split())
