"""Training and serving normalise a title's text alike: the model stores what the trainer made
of each title, and the API looks up what it made of the query."""

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from streamcat.api.routers.recommendations import TitleText
from streamcat.title_text import normalize_title
from streamcat_train.model import families

SERVED = TypeAdapter(TitleText)
SPELLINGS = ["The Office", "  the   OFFICE ", "The\u00a0Office", "THE OFFICE\u3000"]


def test_every_spelling_of_a_title_is_one_text() -> None:
    assert {normalize_title(text) for text in SPELLINGS} == {"the office"}


def test_training_groups_the_spellings_the_api_looks_up_as_one() -> None:
    """Copies of a title share a family in training exactly when the API would answer a query
    spelled as either with the same title."""
    titles = [*SPELLINGS, "The Offices"]

    family = families(titles)
    served = [SERVED.validate_python(text) for text in titles]

    assert served == [normalize_title(text) for text in titles]
    for i, j in np.ndindex(len(titles), len(titles)):
        assert (family[i] == family[j]) == (served[i] == served[j]), (titles[i], titles[j])


@pytest.mark.parametrize("text", ["the\toffice", "the office\n", "   ", "\u00a0"])
def test_the_api_refuses_control_characters_and_whitespace_alone(text: str) -> None:
    with pytest.raises(ValidationError):
        SERVED.validate_python(text)
