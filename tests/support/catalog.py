"""A small catalog whose answers the tests work out by hand."""

from local.catalog_fixtures import CatalogTitle


def known_titles() -> list[CatalogTitle]:
    """A small catalog whose answers are worked out by hand in the tests (and match the
    parameters of `events/*.json`): duration ties, niger vs nigeria, an actor tie, Hulu without
    cast, unscored titles, a score equal to the threshold."""
    t = CatalogTitle
    return [
        t(
            "ns1",
            release_year=2018,
            duration_int=150,
            score=4.0,
            votes=10,
            cast_members=("alice", "bob"),
            countries=("india",),
            rating="tv-ma",
        ),
        t(
            "ns2",
            release_year=2018,
            duration_int=150,
            score=3.5,
            votes=4,
            cast_members=("bob", "carol"),
            countries=("india", "united states"),
            rating="tv-ma",
        ),
        t(
            "ns10",
            release_year=2018,
            duration_int=150,
            score=4.5,
            votes=2,
            cast_members=("carol",),
            countries=("nigeria",),
            rating="tv-ma",
        ),
        t(
            "ns3",
            release_year=2018,
            duration_int=120,
            cast_members=("alice",),
            countries=("niger",),
            rating="r",
        ),
        t(
            "ns4",
            type="tv show",
            release_year=2018,
            duration_int=3,
            duration_type="season",
            score=4.9,
            votes=3,
            cast_members=("alice", "dave"),
            countries=("india",),
            rating="tv-14",
        ),
        t(
            "ns5",
            release_year=2019,
            duration_int=200,
            score=5.0,
            votes=1,
            cast_members=("erin",),
            countries=("india",),
            rating="pg-13",
        ),
        t("ns7", release_year=2017, duration_int=80, cast_members=("zoe", "yan")),
        t("ns8", release_year=2017, duration_int=85, cast_members=("yan", "zoe")),
        t(
            "hs1",
            release_year=2018,
            duration_int=100,
            score=4.2,
            votes=7,
            countries=("united states",),
            rating="tv-ma",
        ),
        t("hs2", type="tv show", release_year=2018, duration_int=5, duration_type="season"),
        t("hs3", type="tv show", release_year=2018, duration_int=None, duration_type=None),
        t(
            "as1",
            release_year=2018,
            duration_int=300,
            score=2.0,
            votes=5,
            cast_members=("alice",),
            countries=("india",),
            rating="13+",
        ),
        t("as2", release_year=2018, duration_int=90, rating="13+"),
        t(
            "ds1",
            type="tv show",
            release_year=2010,
            duration_int=10,
            duration_type="season",
            cast_members=("mickey",),
            countries=("united states",),
            rating="tv-g",
        ),
    ]
