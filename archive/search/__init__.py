"""Per-audience full-text search over redacted testimony documents."""
from .index import AUDIENCES, SearchIndexes
from .locks import IndexLockTimeout
from .results import SearchResult, SegmentHit, TestimonyHit

__all__ = ["AUDIENCES", "SearchIndexes", "SearchResult", "SegmentHit", "TestimonyHit",
           "IndexLockTimeout"]
