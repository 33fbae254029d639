"""The interface every search engine implements, and the registry that maps an engine's name to it.

An engine keeps one index per audience (layout.AUDIENCES) built from that audience's documents
(documents.py) and answers the query language (query.py) with the shared result types (results.py).
Each engine lives in a folder of its own beside this module (whoosh/, sqlite/, postgresql/); services and tests
speak to it only through the methods below.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Callable, Iterable, Protocol, runtime_checkable

from .results import SearchResult


@runtime_checkable
class SearchEngine(Protocol):
    """One archive's per-audience indexes, kept by one engine."""

    engine: str            # its name in ENGINES
    # True for an engine whose indexes are tables of the archive's database: its writes take the
    # writing session (`session=`) and commit with the records; nothing is ever pending.
    in_database: bool
    root: Path             # the instance's INDEX_DIR
    read_only: bool        # every write refused (archive/readonly.py)
    import_batch: int      # testimonies per index commit during a bulk import
    prepare: Callable | None  # prepare(accession, docs) in a worker process of a parallel reindex, or None

    # -- opening and state ---------------------------------------------------------------------
    def ensure(self) -> bool:
        """Create what is missing; True if every audience's index was already there."""

    def index_dirs(self) -> dict[str, Path]:
        """Each audience's index folder."""

    def version(self, audience: str) -> tuple:
        """Changes whenever the audience's index does (for caches of its answers)."""

    def testimony_ids(self, audience: str) -> set[str]:
        """The accession ids the audience's index holds."""

    def close(self) -> None:
        """Let go of everything held open."""

    # -- writing (within `writing()`) --------------------------------------------------------------
    def writing(self, timeout: float | None = None):
        """A context manager excluding other writers and rebuilds for a whole unit of work."""

    def replace_testimonies(self, audience: str, docs_by_testimony: dict[str, list[dict]],
                            purge: bool = True) -> None:
        """Each testimony's documents in the audience's index become these (none: it is gone)."""

    def replace_in_audiences(self, batches: dict[str, dict[str, list[dict]]], purge: bool = True) -> None:
        """replace_testimonies for several audiences at once."""

    def remove_testimony(self, accession_id: str) -> None:
        """The testimony is gone from every audience's index."""

    def rebuild(self, docs_by_audience: dict[str, Iterable[dict]] | None = None,
                progress: Callable[[str, int], None] | None = None, *,
                testimonies: Iterable[tuple[str, dict[str, list[dict]]]] | None = None,
                audiences: Iterable[str] | None = None) -> None:
        """Every named audience's index rebuilt from these documents, swapped in whole."""

    def compact(self) -> None:
        """Tidy up after a bulk import."""

    # -- what may differ from the database -----------------------------------------------------
    def mark_pending(self, accession_ids) -> None: ...

    def pending(self) -> list[str]: ...

    def clear_pending(self, accession_ids) -> None: ...

    # -- reading -----------------------------------------------------------------------------
    def search(self, audience: str, query: str, filters: dict[str, list[str]] | None = None,
               page: int = 1, pagesize: int = 20, sort: str = "relevance",
               variants: list[list[str]] | None = None) -> SearchResult: ...

    def browse(self, audience: str, filters: dict[str, list[str]] | None = None, page: int = 1,
               pagesize: int = 20) -> SearchResult: ...

    def suggest(self, audience: str, prefix: str, limit: int = 10) -> list[str]: ...

    def did_you_mean(self, audience: str, query: str) -> str | None: ...

    def live_values(self, audience: str, field: str) -> set[str]: ...


# name -> "module:class", imported when first opened, so that an archive never loads an engine it
# does not use.
REGISTRY = {
    "whoosh": "archive.search.whoosh:SearchIndexes",
    "sqlite": "archive.search.sqlite:SqliteIndexes",
    "postgresql": "archive.search.postgresql:PostgresIndexes",
}
ENGINES = tuple(REGISTRY)


def engine_class(name: str) -> type:
    """The class of the engine named."""
    try:
        module, _, cls = REGISTRY[name].partition(":")
    except KeyError:
        raise ValueError("unknown search engine %r: use %s" % (name, " or ".join(ENGINES))) from None
    return getattr(import_module(module), cls)


def open_engine(name: str, root: str | Path, database=None, **options) -> SearchEngine:
    """The engine named, keeping its indexes under `root` (the instance's INDEX_DIR), or in the
    archive's `database` (an archive.db.Database) for an engine that lives there (`in_database`)."""
    cls = engine_class(name)
    if getattr(cls, "in_database", False):
        options["database"] = database
    return cls(Path(root), **options)
