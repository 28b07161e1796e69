-- The DuckDB baseline's statements (bench/etl_baselines/duckdb.py), by name.

-- read_ratings: every ratings file at once, each row with its file's number; the types ours
-- reads and writes (userId int32, rating float32, timestamp int64)
CREATE TABLE ratings AS
SELECT userId, rating, timestamp, movieId,
       CAST(regexp_extract(filename, 'ratings-([0-9]+)\.csv$', 1) AS INTEGER) AS source
FROM read_csv(?, header = true, filename = true, columns = {
    'userId': 'INTEGER', 'rating': 'FLOAT', 'timestamp': 'BIGINT', 'movieId': 'VARCHAR'
});

-- rating_stats
CREATE TABLE rating_stats AS
SELECT 'ratings/' || source || '.csv' AS source, movieId AS movie_id,
       sum(rating)::DOUBLE AS rating_sum, count(*) AS votes
FROM ratings GROUP BY ALL;

-- titles
CREATE TABLE titles AS
SELECT t.*, s.score, coalesce(s.votes, 0) AS votes
FROM clean_titles AS t
LEFT JOIN (SELECT movieId, avg(rating) AS score, count(*) AS votes FROM ratings GROUP BY movieId)
    AS s ON s.movieId = t.id;

-- parquet: one file per ratings file, in a folder per source
COPY (SELECT userId, rating, timestamp, movieId, source FROM ratings)
TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (source), FILENAME_PATTERN 'part-{{i}}');
