"""One Whoosh index per audience, with purge-on-replace and atomic rebuild."""
from __future__ import annotations

import io
import shutil
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as wix

from ..layout import AUDIENCES, AudienceIndexes, Builder, ForeignIndex
from ..documents import testimony_fields
from .lexicon import did_you_mean, live_terms, suggest
from .merging import purge_policy
from ..results import SearchResult
from ..schema import make_schema
from ..expansion import Expander
from .searching import in_index, run_browse, run_search


def _close_all(held: dict) -> None:
    for _, ix, searcher in list(held.values()):
        searcher.close()
        ix.close()
    held.clear()


class SearchIndexes(AudienceIndexes):
    """The Whoosh engine: pure Python, kept for the archives that already use it (its analysers and
    query parser serve every engine); far slower than the SQLite engine past a few hundred testimonies."""

    engine = "whoosh"

    # One bounded segment per import commit (see segment_docs).
    import_batch = 4

    def __init__(self, root: Path, writer_timeout: float = 30.0, segment_docs: int = 100):
        super().__init__(root, writer_timeout)
        # Bounds the cost of a purge: only segments with deletions are
        # rewritten, and no segment grows much past this many documents.
        self.segment_docs = segment_docs
        # One open searcher per audience, kept across searches and re-opened when the index's version
        # changes (opening one reads every segment's term index: most of a small search's time).
        # Whoosh readers are not thread-safe, so each is used under its audience's lock.
        self._open: dict[str, tuple] = {}
        self._use = {a: threading.RLock() for a in AUDIENCES}
        # Per audience: (the searcher, the browse passes made with it), see browse.
        self._browsed: dict[str, tuple] = {}
        weakref.finalize(self, _close_all, self._open)

    @staticmethod
    def _create_missing(path: Path) -> None:
        if (path / "index.sqlite").exists():
            raise ForeignIndex(path)
        if not wix.exists_in(str(path)):
            path.mkdir(exist_ok=True)
            wix.create_in(str(path), make_schema())

    def ensure(self) -> bool:
        """Create missing indexes; True if one was made anew (or held another schema) and needs filling."""
        fresh = False
        wanted = sorted(make_schema().names())
        for audience in AUDIENCES:
            with self._locked(audience) as path:
                if (path / "index.sqlite").exists():
                    shutil.rmtree(path)  # the SQLite engine's: this archive changed engines
                if wix.exists_in(str(path)) and sorted(wix.open_dir(str(path)).schema.names()) != wanted:
                    # Written by an older version: its documents lack fields the searches now read.
                    shutil.rmtree(path)
                fresh |= not wix.exists_in(str(path))
                self._create_missing(path)
        self.record_engine()
        return fresh

    @contextmanager
    def _searcher(self, audience: str):
        path = self._dir(audience)
        with self._use[audience]:
            # A rebuild swap leaves the path missing for a moment; wait it out.
            for attempt in range(40):
                version = self.version(audience)
                held = self._open.get(audience)
                if held is not None and held[0] == version and version:
                    searcher = held[2]
                    break
                try:
                    ix = wix.open_dir(str(path), readonly=self.read_only)
                    searcher = ix.searcher()
                except (wix.EmptyIndexError, FileNotFoundError):
                    if attempt == 39:
                        raise
                    if attempt == 20:
                        # Still missing after a second: a rebuild killed between its two renames. Taking
                        # the audience's lock waits for a live rebuild, or undoes a dead one's swap.
                        self.recover(audience)
                    time.sleep(0.05)
                    continue
                self._forget(audience)
                self._open[audience] = (version, ix, searcher)
                break
            yield searcher

    def _forget(self, audience: str) -> None:
        """Close the held searcher, so the files of segments a write replaced are let go now."""
        with self._use[audience]:
            self._browsed.pop(audience, None)
            held = self._open.pop(audience, None)
            if held is not None:
                held[2].close()
                held[1].close()

    # -- writing -----------------------------------------------------------
    def replace_testimonies(self, audience: str, docs_by_testimony: dict[str, list[dict]],
                            purge: bool = True) -> None:
        """Several testimonies in one commit: a bulk import pays for one segment write, not one each."""
        fields = {accession: testimony_fields(docs, accession)  # validate before locking
                  for accession, docs in docs_by_testimony.items()}
        if not fields:
            return
        with self._locked(audience) as path:
            self._create_missing(path)
            fields = self._changed(path, fields)
            if not fields:
                return
            ix = wix.open_dir(str(path))
            writer = ix.writer(timeout=self.writer_timeout)
            try:
                for accession_id, docs_fields in fields.items():
                    writer.delete_by_term("testimony", accession_id)
                    for f in docs_fields:
                        writer.add_document(**f)
            except BaseException:
                writer.cancel()
                raise
            try:
                if purge:
                    writer.commit(mergetype=purge_policy(self.segment_docs))
                else:
                    # Bulk additions stay in their own bounded segments, so a later purge of one
                    # testimony rewrites a small segment, not a large merged one.
                    writer.commit(merge=False)
            except BaseException:
                # A commit that failed half-way (a full disk) leaves its segment's files open and
                # unlisted in the table of contents: close them, and leave no half-written file.
                _abandon(writer, path)
                raise
            finally:
                ix.close()
            self._forget(audience)

    @staticmethod
    def _changed(path: Path, fields: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """Leave out testimonies whose documents are exactly what the index already holds:
        rewriting them would cost a segment merge for nothing."""
        ix = wix.open_dir(str(path))
        try:
            with ix.searcher() as searcher:
                changed = {}
                for accession, docs in fields.items():
                    held = sorted(searcher.document_numbers(testimony=accession))
                    # Unchanged only if the same number of documents is there and the first carries
                    # the same fingerprint (testimony_fields puts it there, in imports and rebuilds).
                    same = len(held) == len(docs) and (
                        not docs or searcher.stored_fields(held[0]).get("fingerprint") == docs[0]["fingerprint"])
                    if not same:
                        changed[accession] = docs
                return changed
        finally:
            ix.close()

    def _builder(self, path: Path, audience: str) -> "_WhooshBuilder":
        return _WhooshBuilder(path, self.writer_timeout, self.segment_docs)

    # -- reading -----------------------------------------------------------
    def search(self, audience: str, query: str, filters: dict[str, list[str]] | None = None,
               page: int = 1, pagesize: int = 20, sort: str = "relevance",
               variants: list[list[str]] | None = None) -> SearchResult:
        """`variants`: groups of names (authority label and variants) the audience may see."""
        with self._searcher(audience) as searcher:
            result = run_search(searcher, query or "", filters, page, pagesize, sort,
                                Expander(variants or [], in_index(searcher)))
            if result.total == 0 and not result.error and (query or "").strip():
                result.suggestion = did_you_mean(searcher, query)
            return result

    def browse(self, audience: str, filters: dict[str, list[str]] | None = None, page: int = 1,
               pagesize: int = 20) -> SearchResult:
        """Every testimony the audience may see (within `filters`) by accession id: facet counts of
        all, ids and titles of the page; no hits."""
        with self._searcher(audience) as searcher:
            # Kept with the searcher: document numbers hold only for it, and a write replaces it.
            held = self._browsed.setdefault(audience, (None, {}))
            if held[0] is not searcher:
                held = self._browsed[audience] = (searcher, {})
            return run_browse(searcher, filters, page, pagesize, held[1])

    def suggest(self, audience: str, prefix: str, limit: int = 10) -> list[str]:
        with self._searcher(audience) as searcher:
            return suggest(searcher, prefix, limit)

    def did_you_mean(self, audience: str, query: str) -> str | None:
        with self._searcher(audience) as searcher:
            return did_you_mean(searcher, query)

    def live_values(self, audience: str, field: str) -> set[str]:
        """Distinct values of a keyword field among the audience's live documents (e.g. places)."""
        with self._searcher(audience) as searcher:
            return set(live_terms(searcher.reader(), field))

    def version(self, audience: str) -> tuple:
        """Changes whenever the audience's index does (every commit writes a new TOC generation).

        The directory's ctime is in it too: a rebuilt directory may get a freed inode number back and
        the same TOC generations, and a searcher held for the old one must not be taken for current.
        """
        path = self._dir(audience)
        try:
            stat = path.stat()
            return (stat.st_ino, stat.st_ctime_ns, tuple(sorted(p.name for p in path.glob("*.toc"))))
        except FileNotFoundError:
            return ()

    def testimony_ids(self, audience: str) -> set[str]:
        with self._searcher(audience) as searcher:
            return set(live_terms(searcher.reader(), "testimony"))


def _abandon(writer, path: Path) -> None:
    """After a failed commit: Whoosh's writer keeps its segment's files (and the temporary files it
    builds them from) open, and its cancel() does not reach them all; close every file reachable from
    it, and delete what it half-wrote."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - the commit already failed; the clean-up below still runs
        pass
    seen, todo = set(), [(writer, 0)]
    while todo:
        obj, depth = todo.pop()
        if id(obj) in seen or depth > 6:
            continue
        seen.add(id(obj))
        if isinstance(obj, io.IOBase):
            try:
                obj.close()
            except Exception:  # noqa: BLE001
                pass
            continue
        if isinstance(obj, dict):
            children = obj.values()
        elif isinstance(obj, (list, tuple, set)):
            children = obj
        elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("whoosh"):
            children = vars(obj).values()
        else:
            continue
        todo.extend((child, depth + 1) for child in children)
    shutil.rmtree(path / "MAIN.tmp", ignore_errors=True)
    segment = getattr(writer, "newsegment", None)
    if segment is not None:
        for leftover in path.glob(f"MAIN_{segment.segment_id()}*"):
            leftover.unlink(missing_ok=True)


class _WhooshBuilder(Builder):
    def __init__(self, path: Path, writer_timeout: float, segment_docs: int):
        path.mkdir()
        self.ix = wix.create_in(str(path), make_schema())
        self.writer, self.n = None, 0
        self.writer_timeout, self.segment_docs = writer_timeout, segment_docs

    def add(self, accession: str, docs: list[dict]) -> None:
        # The first document carries the testimony's spelling words (see testimony_fields).
        for fields in testimony_fields(docs):
            if self.writer is None:
                self.writer = self.ix.writer(timeout=self.writer_timeout)
            self.writer.add_document(**fields)
            self.n += 1
            if self.n % self.segment_docs == 0:  # one segment per chunk
                self.writer.commit(merge=False)
                self.writer = None

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.commit(merge=False)
            self.writer = None
        self.ix.close()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        self.ix.close()
