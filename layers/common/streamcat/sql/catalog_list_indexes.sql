-- The list tables' lookup indexes (the queries by cast member, country and genre), built once
-- their rows are loaded. The ETL builds them while the ratings are still being read, before the
-- titles exist; the titles' indexes and the foreign keys follow in catalog_indexes.sql.

CREATE INDEX title_cast_platform_year ON title_cast (platform, release_year, member);
CREATE INDEX title_countries_lookup ON title_countries (country, release_year, type);
CREATE INDEX title_genres_genre ON title_genres (genre);
