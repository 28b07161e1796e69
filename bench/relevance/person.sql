SELECT search_title, search_key FROM contested
WHERE contest >= 3 AND search_key IN (
    SELECT catalog.search_text(name) FROM catalog.titles, unnest(cast_members) AS name
    UNION
    SELECT catalog.search_text(name) FROM catalog.titles, unnest(catalog.directors(director)) AS name)
ORDER BY contest DESC, search_key LIMIT 10
