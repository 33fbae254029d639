"""The PostgreSQL search engine: per-audience tables in the archive's own database, written in the same
transaction as the records they are made from, so that every server answers as of the last commit."""
from .indexes import PostgresIndexes

__all__ = ["PostgresIndexes"]
