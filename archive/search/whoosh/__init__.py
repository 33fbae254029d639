"""The Whoosh search engine: pure Python, one Whoosh index per audience folder."""
from .index import SearchIndexes

__all__ = ["SearchIndexes"]
