"""Per-audience full-text search over redacted testimony documents."""
from __future__ import annotations

from pathlib import Path

from .engine import ENGINES, SearchEngine, engine_class, open_engine
from .layout import AUDIENCES, ENGINE_RECORD
from .locks import IndexLockTimeout
from .results import SearchResult, SegmentHit, TestimonyHit

# A new archive's engine: the one that meets the speed targets at 10,000 testimonies (README, speed).
DEFAULT_ENGINE = "sqlite"
# ... and a new archive's on PostgreSQL: search in the same database, so that several servers answer as one.
DEFAULT_ENGINE_ON_POSTGRESQL = "postgresql"


def open_indexes(root: str | Path, engine: str = DEFAULT_ENGINE, database=None, **options) -> SearchEngine:
    """The audience indexes under `root` (or in `database`, an archive.db.Database, for an engine that
    lives there), kept by the engine named (see ENGINES)."""
    return open_engine(engine, root, database=database, **options)


def existing_engine(root: str | Path) -> str | None:
    """The engine whose indexes are under `root`, or None where there are none yet."""
    root = Path(root)
    try:
        recorded = (root / ENGINE_RECORD).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        recorded = None
    if recorded in ENGINES:
        return recorded
    # Indexes written before the engine was recorded: each engine's files say whose they are.
    for audience in AUDIENCES:
        folder = root / audience
        if (folder / "index.sqlite").exists():
            return "sqlite"
        if folder.is_dir() and any(folder.glob("*.toc")):
            return "whoosh"
    return None


def choose_engine(root: str | Path, setting: str | None = None,
                  database_url: str | None = None) -> tuple[str, str]:
    """The engine an archive's indexes under `root` are to be kept by, and why (as `init` reports it).

    An operator's setting wins (and `init` rebuilds the indexes with it); without one an archive keeps
    the engine its indexes have, so that an upgrade never rebuilds an archive nobody asked to move.
    """
    if setting:
        if setting not in ENGINES:
            raise ValueError("unknown search engine %r: use %s" % (setting, " or ".join(ENGINES)))
        return setting, "set by SEARCH_ENGINE"
    existing = existing_engine(root)
    if existing:
        return existing, "kept from the existing indexes"
    if (database_url or "").startswith("postgresql"):
        return DEFAULT_ENGINE_ON_POSTGRESQL, "the default for a new archive on PostgreSQL"
    return DEFAULT_ENGINE, "the default for a new archive"


__all__ = ["AUDIENCES", "DEFAULT_ENGINE", "ENGINES", "SearchEngine", "SearchResult", "SegmentHit",
           "TestimonyHit", "IndexLockTimeout", "choose_engine", "engine_class", "existing_engine",
           "open_engine", "open_indexes"]
