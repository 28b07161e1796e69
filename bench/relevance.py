"""Search relevance: does GET /titles put the title a person means first? Ours against
PostgreSQL's own rankers, on the real catalogs, every ranker measured in the same run.

The real catalogs (cleaned by the ETL's rules, votes from `--ratings` generated ratings) are
loaded into a fresh database of the server of DATABASE_URL (else the project's own), dropped
afterwards. Rankers: `streamcat` (`streamcat.queries.titles.search_page`); `ts_rank_cd`
(full-text search, english); `word_similarity` (pg_trgm alone); `previous` (the ranking before
known-item search). Their SQL is in `bench/relevance/`. Scores: MRR@10 (any copy of the meant
title counts) and NDCG@5 over graded judgements. Then the slowest GET /titles statement over
the judged queries (alone, and with the two filters of `events/titles.json`), with its EXPLAIN
(ANALYZE, BUFFERS).

The judged set (`bench/relevance/queries.json`), written by `--derive` from the loaded titles.
A work is the copies of one search form; a meant title is a key (search form without a leading
article) that one work holds; contested: held as words by that many other works.
- `article`: article + key of 1-2 words, contested >= 3, most first: 15 without the article,
  the same 15 as titled. `article_other`: other languages' articles, contested >= 1: 4.
- `extended`: works most extended by others (`narcos`, `narcos mexico`): 12, as titled.
- `misspelled`: keys of 1-3 words with a word of 7+ letters, contested >= 2, by md5(key): 10,
  the longest word misspelled (middle letter dropped, or middle letters swapped, alternately)
  into a word no title holds.
- `partial`: keys of 4+ words by md5(key): 10, as the fewest leading words (2+) no other work
  holds all of.
- `person`: keys that are a cast member's or director's name, contested >= 3, most first: 10.
Grades: 3 a copy of the meant work (the expected first result); 2 a work whose key extends it;
1 a work holding every word of the key (for `partial`, of the query).
"""

import argparse
import json
import math
import os
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import extensions

from bench.harness import REPO, arguments, write_out

SQL_DIR = REPO / "bench" / "relevance"
QUERIES = SQL_DIR / "queries.json"
DEFAULT_TITLES = Path(
    os.environ.get("STREAMCAT_REAL_TITLES") or REPO.parent / "shared" / "data" / "titles"
)
TARGET_MRR = 0.9
DEPTH = 10
GRADED_DEPTH = 5
RANKERS = ("streamcat", "ts_rank_cd", "word_similarity", "previous")
KINDS = ("article", "article_other", "extended", "misspelled", "partial", "person")
Ranker = Callable[[extensions.cursor, str], list[str]]


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _one(cursor: extensions.cursor, statement: str, args: dict[str, Any] | None = None) -> Any:
    cursor.execute(statement, args)
    row = cursor.fetchone()
    assert row is not None  # an aggregate or EXPLAIN always answers a row
    return row[0]


def _ranker(name: str) -> Ranker:
    if name == "streamcat":
        from streamcat.queries.titles import Filters, Order, Sort, search_page

        def page(cursor: extensions.cursor, q: str) -> list[str]:
            found = search_page(
                cursor, Filters(q=q), sort=Sort.RELEVANCE, order=Order.ASC, limit=DEPTH
            )
            return [item.id for item in found.items]

        return page
    statement = _sql(name)

    def rank(cursor: extensions.cursor, q: str) -> list[str]:
        cursor.execute(statement, {"q": q, "depth": DEPTH})
        return [row[0] for row in cursor.fetchall()]

    return rank


def reciprocal_rank(ranked: list[str], expected: set[str]) -> float:
    hits = [1.0 / i for i, title_id in enumerate(ranked[:DEPTH], start=1) if title_id in expected]
    return hits[0] if hits else 0.0


def ndcg(ranked: list[str], grades: dict[str, int]) -> float:
    def dcg(gains: list[int]) -> float:
        return math.fsum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:GRADED_DEPTH]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(title_id, 0) for title_id in ranked]) / ideal if ideal else 0.0


def _means(rows: list[dict[str, Any]]) -> dict[str, float]:
    mrr, graded = (statistics.fmean(row[k] for row in rows) for k in ("rr", "ndcg"))
    return {f"mrr@{DEPTH}": mrr, f"ndcg@{GRADED_DEPTH}": graded}


def score(cursor: extensions.cursor, judged: list[dict[str, Any]]) -> dict[str, Any]:
    """Per ranker: the means, overall and per kind, and the queries it missed the first of."""
    results: dict[str, Any] = {}
    for name in RANKERS:
        rank, rows = _ranker(name), []
        for query in judged:
            ranked = rank(cursor, query["q"])
            rr = reciprocal_rank(ranked, set(query["expected"]))
            first = ranked[0] if ranked else None
            ndcg_5 = ndcg(ranked, query["grades"])
            rows.append(dict(q=query["q"], kind=query["kind"], rr=rr, ndcg=ndcg_5, first=first))
        kinds = sorted({row["kind"] for row in rows})
        results[name] = _means(rows) | {
            "by_kind": {k: _means([r for r in rows if r["kind"] == k]) for k in kinds},
            "not_first": [
                {"q": r["q"], "rr": r["rr"], "first": r["first"]} for r in rows if r["rr"] < 1
            ],
        }
    return results


def slowest_shape(cursor: extensions.cursor, judged: list[dict[str, Any]]) -> dict[str, Any]:
    """Timed by the server (planning + execution, median of 5): the slowest, with its plan."""
    from local.handlers import load_event
    from streamcat.queries.titles import Filters, Order, Sort, page_args, page_sql

    params = load_event("titles")["queryStringParameters"]
    filtered = f"q, platform={params['platform']}, type={params['type']}"
    slowest: dict[str, Any] = {"ms": -1.0}
    for query in judged:
        for shape, filters in (
            ("q", Filters(q=query["q"])),
            (filtered, Filters(q=query["q"], platforms=(params["platform"],), type=params["type"])),
        ):
            statement = page_sql(filters, Sort.RELEVANCE, Order.ASC, None).as_string(cursor)
            args = page_args(filters, 20, None)
            explain = "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + statement
            plans = [_one(cursor, explain, args)[0] for _ in range(5)]
            ms = statistics.median(p["Planning Time"] + p["Execution Time"] for p in plans)
            if ms > slowest["ms"]:
                slowest = {"q": query["q"], "shape": shape, "ms": ms, "run": (statement, args)}
    statement, args = slowest.pop("run")
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, args)
    slowest["plan"] = [row[0] for row in cursor.fetchall()]
    return slowest


def misspell(word: str, alternate: bool) -> str:
    """`word` with its middle letter dropped, or (alternate) its middle letters swapped."""
    middle = len(word) // 2
    if alternate:
        return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    return word[:middle] + word[middle + 1 :]


def derive(cursor: extensions.cursor) -> list[dict[str, Any]]:
    """The judged set of the loaded catalog, by the module's rules."""
    cursor.execute(_sql("works"))
    picked: dict[str, list[tuple[str, str]]] = {}
    for kind in KINDS:
        cursor.execute(_sql(kind))
        picked[kind] = cursor.fetchall()

    def held(words: str) -> int:
        return int(_one(cursor, _sql("held"), {"words": words}))

    def judge(kind: str, q: str, meant: str, key: str, words: str) -> dict[str, Any]:
        cursor.execute(_sql("judgement"), {"meant": meant, "key": key, "words": words})
        grades = dict(cursor.fetchall())
        expected = sorted(i for i, g in grades.items() if g == 3)
        return {"q": q, "kind": kind, "meant": meant, "expected": expected, "grades": grades}

    judged = [judge("article", key, title, key, key) for title, key in picked["article"]]
    judged += [judge("article", title, title, key, key) for title, key in picked["article"]]
    judged += [judge("article_other", key, t, key, key) for t, key in picked["article_other"]]
    judged += [judge("extended", title, title, key, key) for title, key in picked["extended"]]
    misspelled: list[dict[str, Any]] = []
    for title, key in picked["misspelled"]:
        if len(misspelled) == 10:
            break
        longest = max(key.split(), key=len)
        wrong = misspell(longest, alternate=len(misspelled) % 2 == 1)
        if wrong != longest and not held(wrong):
            q = " ".join(wrong if word == longest else word for word in key.split())
            misspelled.append(judge("misspelled", q, title, key, key))
    partial: list[dict[str, Any]] = []
    for title, key in picked["partial"]:
        if len(partial) == 10:
            break
        words = key.split()
        prefixes = (" ".join(words[:size]) for size in range(2, len(words)))
        if (prefix := next((p for p in prefixes if held(p) == 1), None)) is not None:
            partial.append(judge("partial", prefix, title, key, prefix))
    judged += misspelled + partial
    judged += [judge("person", key, title, key, key) for title, key in picked["person"]]
    cursor.execute("DROP VIEW contested; DROP TABLE works, meant")
    return judged


@contextmanager
def loaded_catalog(titles_dir: Path, ratings: int, work_dir: Path) -> Iterator[str]:
    """A fresh database holding the real catalogs (see the module's docstring), then dropped."""
    from local.catalog_fixtures import create_catalog, generated_rated_catalog
    from local.postgres import ensure_server, fresh_database

    with fresh_database(
        os.environ.get("DATABASE_URL") or ensure_server(), "bench_relevance"
    ) as url:
        rated = generated_rated_catalog(titles_dir, work_dir, ratings)
        create_catalog(url, rated.catalog_rows(), load_id="bench-relevance")
        yield url


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not args.titles.is_dir():
        raise FileNotFoundError(f"no titles folder at {args.titles}: pass --titles")
    with loaded_catalog(args.titles, args.ratings, args.out.parent / "relevance-ratings") as url:
        connection = psycopg2.connect(url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                if args.derive:
                    document = {"rules": "bench/relevance.py", "queries": derive(cursor)}
                    args.queries.write_text(json.dumps(document, indent=1) + "\n")
                judged = json.loads(args.queries.read_text())["queries"]
                count = _one(cursor, "SELECT count(*) FROM catalog.titles")
                rankers = score(cursor, judged)
                slowest = slowest_shape(cursor, judged)
        finally:
            connection.close()
    kinds = sorted({query["kind"] for query in judged})
    return {
        "catalog": f"real catalogs, {count} titles, {args.ratings} ratings",
        "queries": len(judged),
        "kinds": {kind: sum(q["kind"] == kind for q in judged) for kind in kinds},
        "target_mrr": TARGET_MRR,
        "rankers": rankers,
        "slowest_shape": slowest,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        "relevance",
        __doc__,
        argv,
        titles=DEFAULT_TITLES,
        queries=QUERIES,
        ratings=1_000_000,
        derive=False,
    )
    return write_out(args.out, run(args))


if __name__ == "__main__":
    sys.exit(main())
