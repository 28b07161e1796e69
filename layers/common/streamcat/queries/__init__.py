"""Plain functions answering each query in PostgreSQL (schema `catalog`), one module per query.

Each takes a cursor and typed values, runs one parameterized statement that an index answers,
and returns plain Python values; the HTTP layer turns them into responses.
"""
