"""Databases of their own on the tests' server: a stack the tests start keeps its catalog and
its ETL ledger apart from the other tests' (both use the bucket name `streamcat-local`)."""

from local.postgres import fresh_database

__all__ = ["fresh_database"]
