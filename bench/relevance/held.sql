SELECT count(*) FROM works WHERE words @@ plainto_tsquery('simple', %(words)s)
