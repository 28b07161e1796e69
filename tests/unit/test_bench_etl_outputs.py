"""bench.etl's output check and its rows in the suite: Parquet rows compared as a multiset with
their schema; ours' medians against the budget and each baseline of the same run."""

import pyarrow as pa

from bench import comparisons
from bench.etl_baselines.outputs import PARQUET_SCHEMA, differences, table_digest


def ratings(*rows: tuple[int, float, int, str]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(c, t.type) for c, t in zip(columns, PARQUET_SCHEMA, strict=True)],
        schema=PARQUET_SCHEMA,
    )


def test_parquet_digest_ignores_row_order_but_not_rows_or_types() -> None:
    rows = [(1, 4.0, 10, "ns1"), (2, 0.5, 11, "as22"), (1, 4.0, 10, "ns1")]
    digest = table_digest(ratings(*rows))

    assert table_digest(ratings(*reversed(rows))) == digest
    assert table_digest(ratings(*rows[:2], (1, 4.5, 10, "ns1"))) != digest
    assert table_digest(ratings(*rows[:2])) != digest
    assert (
        table_digest(ratings(*rows).cast(PARQUET_SCHEMA.set(0, pa.field("userId", pa.int64()))))
        != digest
    )
    assert table_digest(ratings(*rows).slice(1)) == table_digest(ratings(*rows[1:]))


def test_differences_name_what_differs() -> None:
    assert differences({"a": "1 rows x"}, {"a": "1 rows x"}) == []
    assert differences({"a": "1 rows x", "b": "2"}, {"a": "1 rows y"}) == [
        "a: expected 1 rows x, found 1 rows y",
        "b: expected 2, found nothing",
    ]


def figures(median: float) -> dict[str, object]:
    return {"median": median, "min": median, "max": median, "runs": [median]}


def test_etl_comparisons_medians_against_budget_and_both_baselines() -> None:
    out = {
        "budget": {"seconds": 4.0, "peak_rss_mb": 1536, "train_s": 10.0},
        "pipelines": {
            "ours": {
                "seconds": figures(3.0),
                "peak_rss_mb": figures(900.0),
                "train_s": figures(7.0),
            },
            "seed": {"seconds": figures(60.0), "peak_rss_mb": figures(4000.0)},
            "duckdb": {"seconds": figures(5.0), "peak_rss_mb": figures(1200.0)},
        },
    }

    found = {(c.what, c.baseline_name): (c.value, c.baseline) for c in comparisons.etl(out)}

    assert found == {
        ("ETL seconds", "budget"): (3.0, 4.0),
        ("ETL peak RSS", "budget"): (900.0, 1536),
        ("ETL seconds", "seed"): (3.0, 60.0),
        ("ETL peak RSS", "seed"): (900.0, 4000.0),
        ("ETL seconds", "duckdb"): (3.0, 5.0),
        ("ETL peak RSS", "duckdb"): (900.0, 1200.0),
        ("training seconds", "budget"): (7.0, 10.0),
    }
