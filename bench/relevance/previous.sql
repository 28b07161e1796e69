-- The ranking GET /titles had before known-item ranking: 0 the exact search form, 1 every word,
-- 2 a close spelling; then the closest by trigrams, then the id.
WITH query AS MATERIALIZED (
    SELECT text, plainto_tsquery('simple', text) AS words
    FROM (SELECT catalog.search_text(%(q)s) AS text) AS q
)
SELECT t.id
FROM catalog.titles AS t, query
WHERE t.search_words @@ query.words OR query.text <%% t.search_title
ORDER BY CASE WHEN t.search_title = query.text THEN 0
              WHEN t.search_words @@ query.words THEN 1 ELSE 2 END,
         -word_similarity(query.text, t.search_title), t.id
LIMIT %(depth)s
