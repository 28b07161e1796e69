"""Search relevance: does GET /titles put the title a person means first? Ours against
PostgreSQL's own rankers, on the real catalogs, every ranker measured in the same run.

`python -m bench.relevance [--titles DIR] [--queries FILE] [--ratings N] [--derive] [--out FILE]`

The real catalogs (cleaned by the ETL's own rules, votes from `--ratings` generated ratings) are
loaded into a fresh database of the server of DATABASE_URL (else the project's own server),
dropped afterwards. Each query of the judged set (`bench/relevance/queries.json`) is run by:
- `streamcat`: the product's ranking (`streamcat.queries.titles.search_page`);
- `ts_rank_cd`: PostgreSQL full-text search (`english`: stemming, stop words), ranked by
  `ts_rank_cd`;
- `word_similarity`: pg_trgm alone, `q <% title` ranked by `word_similarity`;
- `previous`: the ranking GET /titles had before known-item ranking (exact title, every word,
  close spelling, then trigram similarity), its statement kept here as a baseline.
Scores: MRR@10 (any copy of the meant title counts) and NDCG@5 over the graded judgements. Then
the slowest statement shape of GET /titles over the judged queries (alone, and with the two
filters of `events/titles.json`, as the latency benchmark sends them): its EXPLAIN (ANALYZE,
BUFFERS) is printed and kept in the output.

The judged set, written by `--derive` from the catalog itself (rules below, applied in SQL to
the loaded titles, so the set is the same wherever the same files are loaded). A title is
known by its search form (`search_title`: lower case, no accents, punctuation as spaces) and
its key (`search_key`: that form without a leading article); copies of one search form are one
work. Only a key one work holds is a meant title.
- `article`: works whose title is an article plus a key of one or two words held, as words, by
  at least three other works (the contested ones), the most contested first: 15 asked without
  the article (`crown`) and the same 15 as titled (`the crown`).
- `article_other`: the same, for the articles of the other languages (el, la, les, ...) with at
  least one other work holding the key's words: 4, asked without the article.
- `extended`: works whose search form other works extend (`narcos`, `narcos mexico`), most
  extensions first: 12, asked as titled.
- `misspelled`: works of a key of one to three words with a word of at least seven letters,
  contested by at least two other works, taken in the order of md5(key): 10, the longest word
  misspelled (a letter dropped from its middle, or its middle letters swapped, alternately) so
  that no title holds the misspelled word.
- `partial`: works of a key of at least four words, in the order of md5(key): 10, asked as the
  fewest leading words (at least two) of the key that no other work holds all of.
- `person`: works whose key is the full name of a cast member or director of the catalog, held
  as words by at least three other works (`rocky`, `bruce lee`), the most contested first: 10.
Grades, for NDCG@5: 3 every copy of the meant work; 2 a work whose key extends the meant key; 1
a work holding every word of the meant key (for `partial`, of the query). The expected first
result is any copy of the meant work.
"""

import argparse
import json
import math
import os
import statistics
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import extensions, sql

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "bench" / "relevance" / "queries.json"
DEFAULT_TITLES = Path(
    os.environ.get("STREAMCAT_REAL_TITLES") or REPO.parent / "shared" / "data" / "titles"
)
TARGET_MRR = 0.9
DEPTH = 10
GRADED_DEPTH = 5
RANKERS = ("streamcat", "ts_rank_cd", "word_similarity", "previous")

Ranker = Callable[[extensions.cursor, str], list[str]]

# The ranking GET /titles had before known-item ranking: 0 the exact search form, 1 every word,
# 2 a close spelling; then the closest by trigrams, then the id.
PREVIOUS_SQL = """
WITH query AS MATERIALIZED (
    SELECT text, plainto_tsquery('simple', text) AS words
    FROM (SELECT catalog.search_text(%(q)s) AS text) AS q
)
SELECT t.id
FROM catalog.titles AS t, query
WHERE t.search_words @@ query.words OR query.text <%% t.search_title
ORDER BY CASE WHEN t.search_title = query.text THEN 0
              WHEN t.search_words @@ query.words THEN 1 ELSE 2 END,
         -word_similarity(query.text, t.search_title), t.id
LIMIT %(depth)s
"""

TS_RANK_CD_SQL = """
SELECT t.id
FROM catalog.titles AS t, plainto_tsquery('english', %(q)s) AS query,
     to_tsvector('english', t.title) AS words
WHERE words @@ query
ORDER BY ts_rank_cd(words, query) DESC, t.id
LIMIT %(depth)s
"""

WORD_SIMILARITY_SQL = """
SELECT t.id
FROM catalog.titles AS t, catalog.search_text(%(q)s) AS text
WHERE text <%% t.search_title
ORDER BY word_similarity(text, t.search_title) DESC, t.id
LIMIT %(depth)s
"""


def _ids(statement: str) -> Ranker:
    def rank(cursor: extensions.cursor, q: str) -> list[str]:
        cursor.execute(statement, {"q": q, "depth": DEPTH})
        return [row[0] for row in cursor.fetchall()]

    return rank


def _streamcat(cursor: extensions.cursor, q: str) -> list[str]:
    from streamcat.queries.titles import Filters, Order, Sort, search_page

    page = search_page(cursor, Filters(q=q), sort=Sort.RELEVANCE, order=Order.ASC, limit=DEPTH)
    return [item.id for item in page.items]


RANKER_FUNCTIONS: dict[str, Ranker] = {
    "streamcat": _streamcat,
    "ts_rank_cd": _ids(TS_RANK_CD_SQL),
    "word_similarity": _ids(WORD_SIMILARITY_SQL),
    "previous": _ids(PREVIOUS_SQL),
}


def reciprocal_rank(ranked: list[str], expected: set[str]) -> float:
    for position, title_id in enumerate(ranked[:DEPTH], start=1):
        if title_id in expected:
            return 1.0 / position
    return 0.0


def ndcg(ranked: list[str], grades: dict[str, int], depth: int = GRADED_DEPTH) -> float:
    def dcg(gains: list[int]) -> float:
        return math.fsum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:depth]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(title_id, 0) for title_id in ranked]) / ideal if ideal else 0.0


def score(cursor: extensions.cursor, judged: list[dict[str, Any]]) -> dict[str, Any]:
    """Per ranker: MRR@10 and NDCG@5 over all queries and per kind, and the queries whose
    meant title it did not put first."""
    results: dict[str, Any] = {}
    for name in RANKERS:
        rank = RANKER_FUNCTIONS[name]
        rows = []
        for query in judged:
            ranked = rank(cursor, query["q"])
            rows.append(
                {
                    "q": query["q"],
                    "kind": query["kind"],
                    "rr": reciprocal_rank(ranked, set(query["expected"])),
                    "ndcg": ndcg(ranked, query["grades"]),
                    "first": ranked[0] if ranked else None,
                }
            )
        kinds = sorted({row["kind"] for row in rows})
        results[name] = {
            f"mrr@{DEPTH}": statistics.fmean(row["rr"] for row in rows),
            f"ndcg@{GRADED_DEPTH}": statistics.fmean(row["ndcg"] for row in rows),
            "by_kind": {
                kind: {
                    f"mrr@{DEPTH}": statistics.fmean(r["rr"] for r in rows if r["kind"] == kind),
                    f"ndcg@{GRADED_DEPTH}": statistics.fmean(
                        r["ndcg"] for r in rows if r["kind"] == kind
                    ),
                }
                for kind in kinds
            },
            "not_first": [
                {"q": row["q"], "rr": row["rr"], "first": row["first"]}
                for row in rows
                if row["rr"] < 1.0
            ],
        }
    return results


def slowest_shape(cursor: extensions.cursor, judged: list[dict[str, Any]]) -> dict[str, Any]:
    """The GET /titles statement, for every judged query alone and with the latency
    benchmark's two filters, timed by the server (planning and execution, median of 5): the
    slowest, with its EXPLAIN (ANALYZE, BUFFERS)."""
    from local.handlers import load_event
    from streamcat.queries.titles import Filters, Order, Sort, page_args, page_sql

    params = load_event("titles")["queryStringParameters"]
    slowest: dict[str, Any] = {"ms": -1.0}
    for query in judged:
        for shape in ("q", f"q, platform={params['platform']}, type={params['type']}"):
            filters = Filters(q=query["q"])
            if shape != "q":
                filters = Filters(
                    q=query["q"], platforms=(params["platform"],), type=params["type"]
                )
            statement = page_sql(filters, Sort.RELEVANCE, Order.ASC, None).as_string(cursor)
            args = page_args(filters, 20, None)
            timings = []
            for _ in range(5):
                cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + statement, args)
                row = cursor.fetchone()
                assert row is not None
                plan = row[0][0]
                timings.append(plan["Planning Time"] + plan["Execution Time"])
            if (ms := statistics.median(timings)) > slowest["ms"]:
                slowest = {"q": query["q"], "shape": shape, "ms": ms, "statement": statement}
                slowest["args"] = args
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest.pop("statement"), slowest.pop("args"))
    slowest["plan"] = [row[0] for row in cursor.fetchall()]
    return slowest


# --- the judged set ---------------------------------------------------------------------------

_ARTICLES = r"^(the|a|an) "
_OTHER_ARTICLES = r"^(el|la|los|las|le|les|der|die|das) "

_WORKS = """
CREATE TEMPORARY TABLE works AS
SELECT search_title, search_key, array_agg(id ORDER BY id) AS ids,
       (array_agg(search_words))[1] AS words,
       cardinality(string_to_array(search_key, ' ')) AS size
FROM catalog.titles GROUP BY search_title, search_key;
CREATE INDEX ON works USING gin (words);
CREATE INDEX ON works (search_key);
ANALYZE works;
CREATE TEMPORARY TABLE meant AS
SELECT w.* FROM works AS w
WHERE (SELECT count(*) FROM works AS o WHERE o.search_key = w.search_key) = 1;
"""

_CONTESTED = """
SELECT m.search_title, m.search_key,
       (SELECT count(*) FROM works AS o WHERE o.search_title <> m.search_title
        AND o.words @@ plainto_tsquery('simple', m.search_key)) AS contest
FROM meant AS m
"""

_SELECT: dict[str, str] = {
    "article": f"""
        SELECT * FROM ({_CONTESTED} WHERE m.search_title ~ %(articles)s AND m.size <= 2) AS c
        WHERE contest >= 3 ORDER BY contest DESC, search_key LIMIT 15""",
    "article_other": f"""
        SELECT * FROM ({_CONTESTED} WHERE m.search_title ~ %(other)s AND m.size <= 2) AS c
        WHERE contest >= 1 ORDER BY contest DESC, search_key LIMIT 4""",
    "extended": """
        SELECT m.search_title, m.search_key,
               (SELECT count(*) FROM works AS o
                WHERE starts_with(o.search_key, m.search_key || ' ')) AS extensions
        FROM meant AS m
        ORDER BY extensions DESC, m.search_key LIMIT 12""",
    "misspelled": f"""
        SELECT * FROM ({_CONTESTED}
                       WHERE m.size <= 3 AND m.search_key ~ '(^| )[a-z]{{7,}}( |$)') AS c
        WHERE contest >= 2 ORDER BY md5(search_key)""",
    "partial": """
        SELECT m.search_title, m.search_key FROM meant AS m
        WHERE m.size >= 4 ORDER BY md5(m.search_key)""",
    "person": f"""
        SELECT * FROM ({_CONTESTED}
                       WHERE m.search_key IN (
                           SELECT catalog.search_text(name)
                           FROM catalog.titles, unnest(cast_members) AS name
                           UNION
                           SELECT catalog.search_text(name)
                           FROM catalog.titles, unnest(catalog.directors(director)) AS name)
                       ) AS c
        WHERE contest >= 3 ORDER BY contest DESC, search_key LIMIT 10""",
}


def misspell(word: str, alternate: bool) -> str:
    """A letter dropped from the middle of `word`, or (alternate) its two middle letters
    swapped."""
    middle = len(word) // 2
    if alternate:
        return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    return word[:middle] + word[middle + 1 :]


def _one(cursor: extensions.cursor, statement: str, args: dict[str, Any]) -> Any:
    cursor.execute(statement, args)
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def _judgement(
    cursor: extensions.cursor, kind: str, q: str, meant: str, key: str, words: str
) -> dict[str, Any]:
    """The query with its expected first results and grades (see the module's rules)."""
    cursor.execute(
        """
        SELECT w.search_key, w.search_title, unnest(w.ids) FROM works AS w
        WHERE w.search_title = %(meant)s OR starts_with(w.search_key, %(key)s || ' ')
           OR w.words @@ plainto_tsquery('simple', %(words)s)
        """,
        {"meant": meant, "key": key, "words": words},
    )
    grades: dict[str, int] = {}
    for other_key, search_title, title_id in cursor.fetchall():
        if search_title == meant:
            grades[title_id] = 3
        elif other_key.startswith(key + " "):
            grades[title_id] = 2
        else:
            grades[title_id] = 1
    expected = sorted(i for i, g in grades.items() if g == 3)
    return {"q": q, "kind": kind, "meant": meant, "expected": expected, "grades": grades}


def derive(cursor: extensions.cursor) -> list[dict[str, Any]]:
    """The judged set of the loaded catalog, by the module's rules."""
    cursor.execute(_WORKS)
    args = {"articles": _ARTICLES, "other": _OTHER_ARTICLES}
    judged: list[dict[str, Any]] = []

    def select(kind: str) -> list[tuple[Any, ...]]:
        cursor.execute(_SELECT[kind], args)
        return cursor.fetchall()

    articled = select("article")
    for title, key, _ in articled:
        judged.append(_judgement(cursor, "article", key, title, key, key))
    for title, key, _ in articled:
        judged.append(_judgement(cursor, "article", title, title, key, key))
    for title, key, _ in select("article_other"):
        judged.append(_judgement(cursor, "article_other", key, title, key, key))
    for title, key, _ in select("extended"):
        judged.append(_judgement(cursor, "extended", title, title, key, key))
    misspelled = 0
    for title, key, _ in select("misspelled"):
        if misspelled == 10:
            break
        longest = max(key.split(), key=len)
        wrong = misspell(longest, alternate=misspelled % 2 == 1)
        held = "SELECT count(*) FROM works WHERE words @@ plainto_tsquery('simple', %(w)s)"
        if wrong == longest or _one(cursor, held, {"w": wrong}):
            continue
        q = " ".join(wrong if word == longest else word for word in key.split())
        judged.append(_judgement(cursor, "misspelled", q, title, key, key))
        misspelled += 1
    partial = 0
    for title, key in select("partial"):
        if partial == 10:
            break
        words = key.split()
        for size in range(2, len(words)):
            prefix = " ".join(words[:size])
            holders = _one(
                cursor,
                "SELECT count(*) FROM works WHERE words @@ plainto_tsquery('simple', %(p)s)",
                {"p": prefix},
            )
            if holders == 1:
                judged.append(_judgement(cursor, "partial", prefix, title, key, prefix))
                partial += 1
                break
    for title, key, _ in select("person"):
        judged.append(_judgement(cursor, "person", key, title, key, key))
    cursor.execute("DROP TABLE works, meant")
    return judged


# --- the run ----------------------------------------------------------------------------------


def _admin_url() -> str:
    if configured := os.environ.get("DATABASE_URL"):
        return configured
    from local.postgres import ensure_server

    own: str = ensure_server()
    return own


@contextmanager
def loaded_catalog(titles_dir: Path, ratings: int, work_dir: Path) -> Iterator[str]:
    """A fresh database holding the real catalogs, cleaned by the ETL's rules and scored from
    generated ratings; dropped at the end."""
    from local.catalog_fixtures import create_catalog, generated_rated_catalog

    admin_url = _admin_url()
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    name = f"bench_relevance_{uuid.uuid4().hex[:10]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = extensions.make_dsn(admin_url, dbname=name)
        try:
            rated = generated_rated_catalog(titles_dir, work_dir, ratings)
            create_catalog(url, rated.catalog_rows(), load_id="bench-relevance")
            yield url
        finally:
            with admin.cursor() as cursor:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    finally:
        admin.close()


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
                    args.queries.parent.mkdir(parents=True, exist_ok=True)
                    args.queries.write_text(json.dumps(document, indent=1) + "\n")
                judged = json.loads(args.queries.read_text())["queries"]
                cursor.execute("SELECT count(*) FROM catalog.titles")
                count = cursor.fetchone()
                rankers = score(cursor, judged)
                slowest = slowest_shape(cursor, judged)
        finally:
            connection.close()
    return {
        "catalog": f"real catalogs, {count[0] if count else 0} titles, {args.ratings} ratings",
        "queries": len(judged),
        "kinds": {kind: sum(q["kind"] == kind for q in judged) for kind in _kinds(judged)},
        "target_mrr": TARGET_MRR,
        "rankers": rankers,
        "slowest_shape": slowest,
    }


def _kinds(judged: list[dict[str, Any]]) -> list[str]:
    return sorted({query["kind"] for query in judged})


def table(report: dict[str, Any]) -> str:
    mrr, graded = f"mrr@{DEPTH}", f"ndcg@{GRADED_DEPTH}"
    lines = [
        f"{report['catalog']}; {report['queries']} judged queries {report['kinds']}",
        f"{'ranker':<16} {mrr:>8} {graded:>8}  " + " ".join(f"{k:>14}" for k in report["kinds"]),
    ]
    for name, result in report["rankers"].items():
        by_kind = " ".join(f"{result['by_kind'][k][mrr]:>14.3f}" for k in report["kinds"])
        lines.append(f"{name:<16} {result[mrr]:>8.3f} {result[graded]:>8.3f}  {by_kind}")
    ours = report["rankers"]["streamcat"]
    ahead = all(ours[mrr] > r[mrr] for n, r in report["rankers"].items() if n != "streamcat")
    lines.append(
        f"target: {mrr} >= {report['target_mrr']} and ahead of every baseline: "
        + ("met" if ours[mrr] >= report["target_mrr"] and ahead else "NOT MET")
    )
    for miss in ours["not_first"]:
        lines.append(f"  not first: {miss['q']!r} (rr {miss['rr']:.2f}, first {miss['first']})")
    slowest = report["slowest_shape"]
    lines.append(
        f"slowest GET /titles statement: q={slowest['q']!r} ({slowest['shape']}), "
        f"{slowest['ms']:.2f} ms planning + execution:"
    )
    lines += [f"  {line}" for line in slowest["plan"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relevance", description=__doc__)
    parser.add_argument("--titles", type=Path, default=DEFAULT_TITLES, help="the real catalogs")
    parser.add_argument("--queries", type=Path, default=QUERIES, help="the judged set")
    parser.add_argument("--ratings", type=int, default=1_000_000, help="generated, for votes")
    parser.add_argument("--derive", action="store_true", help="write --queries by the rules")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "relevance.json")
    args = parser.parse_args(argv)
    report = run(args)
    print(table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
