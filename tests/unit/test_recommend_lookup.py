"""The in-memory model: case-insensitive, deterministic resolution of titles, suggestions for
unknown ones, and the artifact checks that keep a bad model from being served."""

import pytest

from streamcat.recommend.artifact import ModelFormatError, validate_document
from streamcat.recommend.model import Recommender
from streamcat.recommend.suggestions import TrigramIndex, trigrams
from tests.support.recommend import model_document

TITLES = [
    ("as1", "the lion king", 10),
    ("ds7", "the lion king", 90),
    ("ns3", "the lion king", 90),
    ("hs2", "toy story", 50),
    ("ns9", "breaking bad", 70),
    ("ds2", "the little mermaid", 0),
    ("ns4", "lion", 3),
]


@pytest.fixture
def model() -> Recommender:
    return Recommender(validate_document(model_document(TITLES, version=4, neighbours=3)))


def test_title_matches_any_case_and_spacing(model: Recommender) -> None:
    assert model.find_title("  The   LION king ") == model.find_title("the lion king")
    assert model.find_title("Toy Story") == 3


def test_a_title_on_several_platforms_resolves_to_most_votes_then_lowest_id(
    model: Recommender,
) -> None:
    index = model.find_title("the lion king")
    assert index is not None
    assert model.entry(index).id == "ds7"  # 90 votes like ns3; 'ds7' < 'ns3'


def test_id_lookup_and_recommendations(model: Recommender) -> None:
    index = model.find_id(" HS2 ")
    assert index == 3
    recommended = model.recommend(index, 3)
    assert [r.id for r in recommended] == ["ns9", "ds2", "ns4"]
    assert recommended[1].score is None and recommended[0].platform == "netflix"
    assert model.find_id("hs999") is None


def test_unknown_title_gets_the_closest_titles(model: Recommender) -> None:
    assert model.find_title("the lion kign") is None
    suggestions = model.suggest("the lion kign", 3)
    assert suggestions[0] == "the lion king"
    assert "toy story" not in suggestions
    assert model.suggest("zzzz qqqq", 3) == []


def test_trigrams_follow_pg_trgm() -> None:
    assert trigrams("Cat") == {"  c", " ca", "cat", "at "}
    index = TrigramIndex(["cat", "cats", "dog"])
    assert index.closest("cat", 2) == ["cat", "cats"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 99}, "format"),
        ({"neighbours": None}, "lists"),
        ({"votes": [1]}, "lengths"),
        ({"neighbours": [99] * 3 * len(TITLES)}, "not the index"),
        ({"neighbours": [0.0] * 3 * len(TITLES)}, "not the index"),
        ({"neighbours": [1] * 2 * len(TITLES)}, "per title"),
        ({"version": "4"}, "version"),
    ],
)
def test_a_malformed_model_is_refused(change: dict[str, object], message: str) -> None:
    document = dict(model_document(TITLES, neighbours=3)) | change
    with pytest.raises(ModelFormatError, match=message):
        validate_document(document)


def test_a_long_title_typed_almost_right_beats_short_titles_sharing_words() -> None:
    index = TrigramIndex(
        [
            "the devil fire song 76500",
            "the devil song love 23610",
            "the song devil night family 75855",
        ]
    )
    assert index.closest("the song devil nite", 3)[0] == "the song devil night family 75855"
