"""Shared code of every Lambda: settings, database and S3 access, the catalog contract."""
