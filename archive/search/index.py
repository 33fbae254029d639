"""One Whoosh index per audience, with purge-on-replace and atomic rebuild."""
from __future__ import annotations

import hashlib
import secrets
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as wix

from . import locks
from .documents import to_fields
from .lexicon import did_you_mean, live_terms, suggest
from .merging import purge_policy
from .results import SearchResult
from .schema import make_schema
from .expansion import Expander
from .searching import in_index, run_search

AUDIENCES = ("public", "researcher", "staff")
_BUILD, _OLD = ".build-", ".old-"


class SearchIndexes:
    _held = threading.local()

    @contextmanager
    def writing(self):
        """Exclude other writers and rebuilds, across processes, for a whole unit of work.

        Re-entrant within a thread. A service holds it from its index update through its database
        commit, so a rebuild can never read the database before a commit whose index update it
        would then overwrite.
        """
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with locks.exclusive(self.root / ".write.lock", self.writer_timeout * 4):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    def __init__(self, root: Path, writer_timeout: float = 30.0, segment_docs: int = 100):
        self.root = Path(root)
        self.writer_timeout = writer_timeout
        # Bounds the cost of a purge: only segments with deletions are
        # rewritten, and no segment grows much past this many documents.
        self.segment_docs = segment_docs

    # -- layout / locking --------------------------------------------------
    def index_dirs(self) -> dict[str, Path]:
        return {a: self.root / a for a in AUDIENCES}

    def _dir(self, audience: str) -> Path:
        if audience not in AUDIENCES:
            raise ValueError("unknown audience %r" % audience)
        return self.root / audience

    @contextmanager
    def _locked(self, audience: str):
        self.root.mkdir(parents=True, exist_ok=True)
        with locks.exclusive(self.root / (".%s.lock" % audience), self.writer_timeout):
            self._recover(audience)
            yield self._dir(audience)

    def _recover(self, audience: str) -> None:
        """Finish or undo a rebuild that died; leftovers may hold words
        purged since, so they never stay on disk. Caller holds the lock."""
        live = self._dir(audience)
        olds = sorted(self.root.glob(".%s%s*" % (audience, _OLD)))
        if not live.exists() and olds:
            olds.pop().rename(live)  # crashed between the two renames
        for stale in olds + list(self.root.glob(".%s%s*" % (audience, _BUILD))):
            shutil.rmtree(stale, ignore_errors=True)

    @staticmethod
    def _create_missing(path: Path) -> None:
        if not wix.exists_in(str(path)):
            path.mkdir(exist_ok=True)
            wix.create_in(str(path), make_schema())

    def ensure(self) -> None:
        for audience in AUDIENCES:
            with self._locked(audience) as path:
                self._create_missing(path)

    @contextmanager
    def _searcher(self, audience: str):
        path = self._dir(audience)
        # A rebuild swap leaves the path missing for a moment; wait it out.
        for attempt in range(40):
            try:
                ix = wix.open_dir(str(path))
                searcher = ix.searcher()
                break
            except (wix.EmptyIndexError, FileNotFoundError):
                if attempt == 39:
                    raise
                time.sleep(0.05)
        try:
            yield searcher
        finally:
            searcher.close()
            ix.close()

    # -- writing -----------------------------------------------------------
    def replace_testimony(self, audience: str, accession_id: str, docs: list[dict],
                          purge: bool = True) -> None:
        self.replace_testimonies(audience, {accession_id: docs}, purge=purge)

    def replace_testimonies(self, audience: str, docs_by_testimony: dict[str, list[dict]],
                            purge: bool = True) -> None:
        """Several testimonies in one commit: a bulk import pays for one segment write, not one each."""
        fields = {accession: [to_fields(d, accession) for d in docs]  # validate before locking
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
                for accession_id, testimony_fields in fields.items():
                    writer.delete_by_term("testimony", accession_id)
                    for f in testimony_fields:
                        writer.add_document(**f)
            except BaseException:
                writer.cancel()
                raise
            if purge:
                writer.commit(mergetype=purge_policy(self.segment_docs))
            else:
                # Bulk additions stay in their own bounded segments, so a later purge of one
                # testimony rewrites a small segment, not a large merged one.
                writer.commit(merge=False)
            ix.close()

    @staticmethod
    def _changed(path: Path, fields: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """Leave out testimonies whose documents are exactly what the index already holds:
        rewriting them would cost a segment merge for nothing."""
        for accession, docs in fields.items():
            digest = hashlib.sha256(repr(docs).encode("utf-8")).hexdigest()
            if docs:
                docs[0]["fingerprint"] = digest
        ix = wix.open_dir(str(path))
        try:
            with ix.searcher() as searcher:
                changed = {}
                for accession, docs in fields.items():
                    held = [searcher.stored_fields(n).get("fingerprint")
                            for n in searcher.document_numbers(testimony=accession)]
                    # Unchanged only if the same number of documents is there under the same hash
                    # (a rebuilt index carries no hashes, so everything in it counts as changed).
                    same = len(held) == len(docs) and (not docs or docs[0]["fingerprint"] in held)
                    if not same:
                        changed[accession] = docs
                return changed
        finally:
            ix.close()

    def remove_testimony(self, accession_id: str) -> None:
        for audience in AUDIENCES:
            self.replace_testimony(audience, accession_id, [], purge=True)

    def rebuild(self, docs_by_audience: dict[str, Iterable[dict]],
                progress: Callable[[str, int], None] | None = None) -> None:
        for audience, docs in docs_by_audience.items():
            with self._locked(audience) as live:
                tag = secrets.token_hex(4)
                build = self.root / (".%s%s%s" % (audience, _BUILD, tag))
                try:
                    self._build(build, audience, docs, progress)
                except BaseException:
                    shutil.rmtree(build, ignore_errors=True)
                    raise
                old = self.root / (".%s%s%s" % (audience, _OLD, tag))
                if live.exists():
                    live.rename(old)
                try:
                    build.rename(live)
                except BaseException:
                    if old.exists():
                        old.rename(live)
                    raise
                shutil.rmtree(old, ignore_errors=True)

    def _build(self, path: Path, audience: str, docs, progress) -> None:
        path.mkdir()
        ix = wix.create_in(str(path), make_schema())
        writer = None
        try:
            for n, doc in enumerate(docs, 1):
                if writer is None:
                    writer = ix.writer(timeout=self.writer_timeout)
                writer.add_document(**to_fields(doc))
                if progress:
                    progress(audience, n)
                if n % self.segment_docs == 0:  # one segment per chunk
                    writer.commit(merge=False)
                    writer = None
        except BaseException:
            if writer is not None:
                writer.cancel()
            raise
        if writer is not None:
            writer.commit(merge=False)
        ix.close()

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
        """Changes whenever the audience's index does (every commit writes a new TOC generation)."""
        path = self._dir(audience)
        try:
            return (path.stat().st_ino, tuple(sorted(p.name for p in path.glob("*.toc"))))
        except FileNotFoundError:
            return ()

    def testimony_ids(self, audience: str) -> set[str]:
        with self._searcher(audience) as searcher:
            return set(live_terms(searcher.reader(), "testimony"))
