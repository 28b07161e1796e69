SELECT search_title, search_key FROM meant WHERE size >= 4 ORDER BY md5(search_key)
