"""Baselines of bench.etl: the same ETL job as ours (raw CSVs in S3 to the PostgreSQL catalog
and each ratings file's ratings as Parquet in S3) done as the seed (pandas) and with DuckDB;
`common` holds what both share, `outputs` the digests their outputs are compared with."""
