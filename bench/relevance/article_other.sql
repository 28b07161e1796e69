SELECT search_title, search_key FROM contested
WHERE search_title ~ '^(el|la|los|las|le|les|der|die|das) ' AND size <= 2 AND contest >= 1
ORDER BY contest DESC, search_key LIMIT 4
