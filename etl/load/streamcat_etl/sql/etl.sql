-- The ETL's own bookkeeping, kept apart from the catalog it swaps: what has been loaded
-- (so a redelivered event or a re-uploaded file changes nothing) and one row per
-- load with its data-quality report. Safe to run before every load.

CREATE SCHEMA IF NOT EXISTS etl;

CREATE TABLE IF NOT EXISTS etl.loaded_objects (
    bucket      text NOT NULL,
    key         text NOT NULL,
    etag        text NOT NULL,
    version_id  text,
    sequencer   text,                       -- S3's hex event order for this key; NULL if absent
    load_id     text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, key)
);

CREATE TABLE IF NOT EXISTS etl.loads (
    load_id          text PRIMARY KEY,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL DEFAULT now(),
    catalog_version  bigint,                -- NULL when nothing was swapped in
    report           jsonb NOT NULL
);
