-- The catalog the API reads: the contract between the ETL (writer) and the queries (readers).
-- The ETL runs this file inside an empty staging schema (search_path set to it), fills the
-- titles with COPY, derives the list tables from them (catalog_links.sql), builds the indexes
-- and keys of catalog_indexes.sql while the ratings are still being read, sets the titles'
-- scores once they are summed and adds catalog_score_index.sql, then renames the staging schema
-- to `catalog` in one transaction, so a query sees the old catalog or the new one, never a mix.
-- Text is lower case and trimmed.

-- Trigram similarity for the search of GET /titles. Extensions belong to the database, not to a
-- catalog version: created once in `public` (where the readers' search_path finds `%` and
-- `similarity`), never in the staging schema the swap drops.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- The search form of a title: accents dropped (NFKD, then no combining marks), punctuation and
-- runs of spaces as one space, so `Pokémon: the movie` and `pokemon the movie` are one text. A
-- title of punctuation only keeps its text, so it is never the empty string. One definition
-- for the stored column and the query's own words (GET /titles calls it on `q`).
CREATE FUNCTION search_text(raw text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN coalesce(
        nullif(
            btrim(regexp_replace(
                regexp_replace(normalize(lower(raw), NFKD), '[\u0300-\u036f]', '', 'g'),
                '[[:punct:][:space:]]+', ' ', 'g'
            )),
            ''
        ),
        raw
    );

-- The known-item form of a title: its search form without a leading article of the catalogs'
-- languages (English, Spanish, French, German), so `The Crown`, `crown` and `the crown` are one
-- title to GET /titles. A title that is only an article keeps it, so it is never empty. One
-- definition for the stored column and the query's own key.
CREATE FUNCTION search_key(raw text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(search_text(raw), '^(the|a|an|el|la|los|las|le|les|der|die|das) ', '');

-- The directors of a title as a list (the column keeps the file's `a, b` text): GET /titles
-- filters on an exact member, as the other lists are filtered.
CREATE FUNCTION directors(raw text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_split_to_array(raw, '\s*,\s*');

CREATE TABLE titles (
    id            text PRIMARY KEY,              -- platform letter + show_id: 'ns8807'
    platform      text NOT NULL CHECK (platform IN ('amazon', 'disney', 'hulu', 'netflix')),
    show_id       text NOT NULL,
    type          text NOT NULL,                 -- 'movie' or 'tv show'
    title         text NOT NULL,
    director      text,
    cast_members  text[] NOT NULL DEFAULT '{}',
    countries     text[] NOT NULL DEFAULT '{}',
    genres        text[] NOT NULL DEFAULT '{}',
    date_added    date,
    release_year  integer NOT NULL,
    rating        text NOT NULL,                 -- audience rating; missing becomes 'g'
    duration_int  integer,
    duration_type text CHECK (duration_type IN ('min', 'season')),
    description   text,
    score         double precision,              -- mean rating; NULL when nobody rated it
    votes         integer NOT NULL DEFAULT 0,    -- both set from rating_stats by the load
    -- Computed by PostgreSQL from `title`, so titles carried over from an older catalog get them
    -- too: the search form, its known-item form and its words (no stemming, no stop words) for
    -- GET /titles.
    search_title  text NOT NULL GENERATED ALWAYS AS (search_text(title)) STORED,
    search_key    text NOT NULL GENERATED ALWAYS AS (search_key(title)) STORED,
    search_words  tsvector NOT NULL
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text(title))) STORED
)
-- Half of each page left free for the load's one update, of `score` and `votes` (indexed by
-- catalog_score_index.sql only, built after it): each new row version then fits on its page,
-- where it needs no new entry in the indexes built before it (a heap-only update).
WITH (fillfactor = 50);

-- No query filters on the description: its statistics would only slow every load's ANALYZE.
ALTER TABLE titles ALTER COLUMN description SET STATISTICS 0;

-- One row per (title, list member): exact-match lookups ('niger' never matches 'nigeria'),
-- with the columns each query filters on copied in so its index alone answers it. Derived from
-- the titles' lists by catalog_links.sql; their keys, (title_id, member) and the foreign key to
-- titles, come with the indexes of catalog_indexes.sql.
CREATE TABLE title_cast (
    title_id      text NOT NULL,
    platform      text NOT NULL,
    release_year  integer NOT NULL,
    member        text NOT NULL
);

CREATE TABLE title_countries (
    title_id      text NOT NULL,
    type          text NOT NULL,
    release_year  integer NOT NULL,
    country       text NOT NULL
);

CREATE TABLE title_genres (
    title_id      text NOT NULL,
    genre         text NOT NULL
);

-- Per ratings file and movieId (matched or not): what scores are computed from, so a reload
-- of one ratings file or one platform recomputes scores without reading the others again.
CREATE TABLE rating_stats (
    source        text NOT NULL,                 -- the ratings file's key: 'raw/ratings/3.csv'
    movie_id      text NOT NULL,
    rating_sum    double precision NOT NULL,
    votes         integer NOT NULL,
    PRIMARY KEY (source, movie_id)
);

-- Every word of the titles once (filled with the indexes, from the titles' words): GET /titles
-- looks up the close spellings of a query word no title holds here, among a few thousand
-- short words, then finds the titles by those words' index.
CREATE TABLE title_words (
    word          text PRIMARY KEY
);

-- Query words as one tsquery: each word by any of its spellings, all words required.
CREATE AGGREGATE any_of(tsquery) (SFUNC = tsquery_or, STYPE = tsquery);
CREATE AGGREGATE all_of(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);

-- Which version of the catalog this is; `version` grows by one at every swap.
CREATE TABLE meta (
    version       bigint PRIMARY KEY,
    load_id       text NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);
