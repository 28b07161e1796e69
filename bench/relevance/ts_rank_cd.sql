-- PostgreSQL full-text search (english: stemming, stop words), ranked by ts_rank_cd.
SELECT t.id
FROM catalog.titles AS t, plainto_tsquery('english', %(q)s) AS query,
     to_tsvector('english', t.title) AS words
WHERE words @@ query
ORDER BY ts_rank_cd(words, query) DESC, t.id
LIMIT %(depth)s
