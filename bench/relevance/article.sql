SELECT search_title, search_key FROM contested
WHERE search_title ~ '^(the|a|an) ' AND size <= 2 AND contest >= 3
ORDER BY contest DESC, search_key LIMIT 15
