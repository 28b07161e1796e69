-- Every copy of the meant work (grade 3), of a work whose key extends the meant key (2), of a
-- work holding every word of `words` (1).
SELECT id, CASE WHEN w.search_title = %(meant)s THEN 3
                WHEN starts_with(w.search_key, %(key)s || ' ') THEN 2 ELSE 1 END
FROM works AS w, unnest(w.ids) AS id
WHERE w.search_title = %(meant)s OR starts_with(w.search_key, %(key)s || ' ')
   OR w.words @@ plainto_tsquery('simple', %(words)s)
