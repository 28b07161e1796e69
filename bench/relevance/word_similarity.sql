-- pg_trgm alone: the query similar to a part of the title, ranked by word_similarity.
SELECT t.id
FROM catalog.titles AS t, catalog.search_text(%(q)s) AS text
WHERE text <%% t.search_title
ORDER BY word_similarity(text, t.search_title) DESC, t.id
LIMIT %(depth)s
