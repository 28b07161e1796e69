-- The catalog's lookup indexes, one per query of SPEC section 4; built after the COPY, which is
-- faster than maintaining them row by row while loading.

CREATE INDEX titles_duration ON titles (duration_type, duration_int DESC, id);
CREATE INDEX titles_platform_duration
    ON titles (platform, duration_type, release_year, duration_int DESC, id);
CREATE INDEX titles_platform_type_year_score ON titles (platform, type, release_year, score);
CREATE INDEX titles_rating ON titles (rating);
CREATE INDEX titles_title ON titles (title, id);
CREATE INDEX title_cast_platform_year ON title_cast (platform, release_year, member);
CREATE INDEX title_countries_lookup ON title_countries (country, release_year, type);
CREATE INDEX title_genres_genre ON title_genres (genre);
