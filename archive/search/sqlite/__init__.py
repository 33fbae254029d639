"""The SQLite FTS5 search engine: the same documents, query language and guarantees as the Whoosh
engine, at the speed a large archive needs."""
from .indexes import SqliteIndexes

__all__ = ["SqliteIndexes"]
