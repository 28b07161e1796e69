-- The one index on the titles' scores (GET /score-count), built once the load has set them:
-- built before, it would take a new entry for every title the scores' update touches.
CREATE INDEX titles_platform_type_year_score ON titles (platform, type, release_year, score);
