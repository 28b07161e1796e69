SELECT search_title, search_key FROM contested
WHERE size <= 3 AND search_key ~ '(^| )[a-z]{7,}( |$)' AND contest >= 2
ORDER BY md5(search_key)
