-- Every index but the scores', and the list tables' keys, built once the rows are loaded (one
-- pass over them is far faster than maintaining an index, or checking a key, row by row while
-- loading) and before the scores are known: the ETL builds them while the ratings are still
-- being read. catalog_score_index.sql follows once the titles are scored.

-- The list tables' keys (a title lists a member once) and lookups: the queries by cast member,
-- country and genre.
ALTER TABLE title_cast ADD PRIMARY KEY (title_id, member);
ALTER TABLE title_countries ADD PRIMARY KEY (title_id, country);
ALTER TABLE title_genres ADD PRIMARY KEY (title_id, genre);

CREATE INDEX title_cast_platform_year ON title_cast (platform, release_year, member);
CREATE INDEX title_countries_lookup ON title_countries (country, release_year, type);
CREATE INDEX title_genres_genre ON title_genres (genre);

ALTER TABLE title_cast ADD FOREIGN KEY (title_id) REFERENCES titles (id);
ALTER TABLE title_countries ADD FOREIGN KEY (title_id) REFERENCES titles (id);
ALTER TABLE title_genres ADD FOREIGN KEY (title_id) REFERENCES titles (id);

-- The titles' lookups, one per query route (docs/api.md).
CREATE INDEX titles_duration ON titles (duration_type, duration_int DESC, id);
CREATE INDEX titles_platform_duration
    ON titles (platform, duration_type, release_year, duration_int DESC, id);
CREATE INDEX titles_rating ON titles (rating);
CREATE INDEX titles_title ON titles (title, id);

-- GET /titles: the words of a title, the words of all titles (for a query word's close
-- spellings), close spellings (trigrams of the key, for `<%`) and the list filters
-- as exact members (its other filters use the indexes above; its page is sorted among the
-- matches, which it counts anyway). GET /titles/{id}: the copies of a title (same search form
-- and release year).
CREATE INDEX titles_search_words ON titles USING gin (search_words);
INSERT INTO title_words (word) SELECT word FROM ts_stat('SELECT search_words FROM titles');
CREATE INDEX title_words_trigrams ON title_words USING gin (word public.gin_trgm_ops);
CREATE INDEX titles_search_trigrams ON titles USING gin (search_key public.gin_trgm_ops);
CREATE INDEX titles_copies ON titles (search_title, release_year);
CREATE INDEX titles_genres ON titles USING gin (genres);
CREATE INDEX titles_countries ON titles USING gin (countries);
CREATE INDEX titles_cast ON titles USING gin (cast_members);
CREATE INDEX titles_directors ON titles USING gin (directors(director));
