-- The load test's parameter values, each a field of bench.load.CatalogSample: a row a value,
-- or a tuple when it has more columns. Each statement is run with a LIMIT after it.

-- platforms
SELECT DISTINCT platform FROM catalog.titles ORDER BY 1;

-- years
SELECT release_year FROM catalog.titles GROUP BY 1 ORDER BY count(*) DESC;

-- countries
SELECT country FROM catalog.title_countries GROUP BY 1 ORDER BY count(*) DESC;

-- ratings
SELECT rating FROM catalog.titles GROUP BY 1 ORDER BY count(*) DESC;

-- titles
SELECT title FROM catalog.titles ORDER BY random();

-- durations: (year, platform, duration type) of titles with a duration, /max-duration's answers
SELECT release_year, platform, duration_type FROM catalog.titles
WHERE duration_int IS NOT NULL AND duration_type IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY count(*) DESC;

-- casts: (platform, year) of titles with a cast, /actor's answers
SELECT platform, release_year FROM catalog.title_cast GROUP BY 1, 2 ORDER BY count(*) DESC;

-- castless: platforms whose catalog lists no cast (Hulu's), /actor's 404s
SELECT DISTINCT platform FROM catalog.titles t
WHERE NOT EXISTS (SELECT 1 FROM catalog.title_cast c WHERE c.platform = t.platform) ORDER BY 1;
