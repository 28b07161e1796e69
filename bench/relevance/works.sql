-- The works (copies of one search form), the meant ones (a key one work holds) and how many
-- other works hold a meant key's words (contest), for the judged set's rules.
CREATE TEMPORARY TABLE works AS
SELECT search_title, search_key, array_agg(id ORDER BY id) AS ids,
       (array_agg(search_words))[1] AS words,
       cardinality(string_to_array(search_key, ' ')) AS size
FROM catalog.titles GROUP BY search_title, search_key;
CREATE INDEX ON works USING gin (words);
CREATE INDEX ON works (search_key);
ANALYZE works;
CREATE TEMPORARY TABLE meant AS
SELECT w.* FROM works AS w
WHERE (SELECT count(*) FROM works AS o WHERE o.search_key = w.search_key) = 1;
CREATE TEMPORARY VIEW contested AS
SELECT m.search_title, m.search_key, m.size,
       (SELECT count(*) FROM works AS o WHERE o.search_title <> m.search_title
        AND o.words @@ plainto_tsquery('simple', m.search_key)) AS contest
FROM meant AS m;
