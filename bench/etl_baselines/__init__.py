"""Baselines of bench.etl: the same ETL job as ours (raw CSVs in S3 to the PostgreSQL catalog
and each ratings file's ratings as Parquet in S3), done the way other tools would do it.

- `seed`: the seed project's pandas way (`read_csv`, cleaning in pandas, `to_sql`, `groupby`,
  `to_parquet`).
- `duckdb`: DuckDB (`read_csv`, `GROUP BY`, `COPY ... TO` Parquet), the catalog loaded into
  PostgreSQL with COPY.

Each is a plain `run(...)`; `common` holds what both share (download, schema, upload) and
`outputs` the digests bench.etl and the tests compare their outputs with.
"""
