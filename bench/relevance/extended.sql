SELECT m.search_title, m.search_key FROM meant AS m
ORDER BY (SELECT count(*) FROM works AS o WHERE starts_with(o.search_key, m.search_key || ' '))
         DESC, m.search_key
LIMIT 12
