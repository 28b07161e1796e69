-- The list tables, derived from the titles' lists once every title of the catalog is in (the
-- load's new titles and those it carries over): one row per title and member, so the tables
-- cannot disagree with the lists. Run, like catalog.sql, with the catalog's schema as search
-- path; catalog_indexes.sql then adds their keys.
INSERT INTO title_cast (title_id, platform, release_year, member)
SELECT id, platform, release_year, unnest(cast_members) FROM titles;

INSERT INTO title_countries (title_id, type, release_year, country)
SELECT id, type, release_year, unnest(countries) FROM titles;

INSERT INTO title_genres (title_id, genre)
SELECT id, unnest(genres) FROM titles;
