"""What the catalog says about a title, as a dense unit vector: TF-IDF per field (genres,
description, cast, director, countries, type), fields weighted, reduced with TruncatedSVD."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from streamcat_train.catalog_titles import CatalogTitles

FIELD_WEIGHTS = {
    "genres": 1.0,
    "description": 0.6,
    "cast": 0.5,
    "director": 0.4,
    "countries": 0.3,
    "type": 0.6,
}
"""Genres say most about what a title is like; country and cast say less."""


def _members(values: list[str]) -> list[str]:
    """A list field is already tokenised: each member (a genre, an actor) is one term."""
    return values


@dataclass(frozen=True)
class ContentModel:
    """The fitted parts, kept beside the model for inspection."""

    vectorizers: dict[str, TfidfVectorizer]
    svd: TruncatedSVD


def _field_values(catalog: CatalogTitles) -> dict[str, list[list[str]] | list[str]]:
    return {
        "genres": catalog.genres,
        "description": catalog.descriptions,
        "cast": catalog.cast,
        "director": catalog.directors,
        "countries": catalog.countries,
        "type": [[t] for t in catalog.types],
    }


def _vectorizer(field: str) -> TfidfVectorizer:
    if field == "description":
        return TfidfVectorizer(
            stop_words="english", min_df=2, max_df=0.3, sublinear_tf=True, dtype=np.float32
        )
    return TfidfVectorizer(analyzer=_members, min_df=2 if field == "cast" else 1, dtype=np.float32)


def content_embedding(
    catalog: CatalogTitles, dims: int, seed: int
) -> tuple[npt.NDArray[np.float32], ContentModel]:
    """Unit rows (zero for a title with nothing to say)."""
    vectorizers: dict[str, TfidfVectorizer] = {}
    blocks = []
    for field, values in _field_values(catalog).items():
        vectorizer = _vectorizer(field)
        try:
            matrix = vectorizer.fit_transform(values)
        except ValueError:  # no term survived in this field (e.g. a catalog without cast)
            continue
        vectorizers[field] = vectorizer
        blocks.append(matrix * FIELD_WEIGHTS[field])
    features = sp.hstack(blocks, format="csr")
    svd = TruncatedSVD(n_components=min(dims, features.shape[1] - 1), n_iter=3, random_state=seed)
    reduced = svd.fit_transform(features).astype(np.float32)
    return normalize(reduced).astype(np.float32), ContentModel(vectorizers, svd)
