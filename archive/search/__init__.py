"""Per-audience full-text search over redacted testimony documents."""
from pathlib import Path

from .index import AUDIENCES, SearchIndexes
from .layout import AudienceIndexes
from .locks import IndexLockTimeout
from .results import SearchResult, SegmentHit, TestimonyHit

ENGINES = ("whoosh", "sqlite")


def open_indexes(root: str | Path, engine: str = "whoosh", **options) -> AudienceIndexes:
    """The audience indexes under `root`, kept by the engine named (see ENGINES)."""
    if engine == "whoosh":
        return SearchIndexes(Path(root), **options)
    if engine == "sqlite":
        from .fts import SqliteIndexes
        return SqliteIndexes(Path(root), **options)
    raise ValueError("unknown search engine %r: use %s" % (engine, " or ".join(ENGINES)))


__all__ = ["AUDIENCES", "ENGINES", "SearchIndexes", "SearchResult", "SegmentHit", "TestimonyHit",
           "IndexLockTimeout", "open_indexes"]
