"""One SQLite FTS5 index per audience (SEARCH_ENGINE = "sqlite"): a new archive's engine."""
from __future__ import annotations

import queue
from collections import Counter
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
import time
from contextlib import contextmanager
from pathlib import Path

import apsw

from ..documents import testimony_fields
from ..layout import AUDIENCES, AudienceIndexes, Builder, ForeignIndex
from ..results import SearchResult
from . import store
from .reading import Reader, snapshot

_BUILD_BATCH = 200  # testimonies per transaction while building


def prepare_testimony(accession: str, docs: list[dict]) -> store.Prepared:
    """A testimony's documents as the rows its index holds, analysed: what a parallel reindex's worker
    processes make, so that the indexing process only inserts them."""
    return store.prepare(testimony_fields(docs, accession, spelling=False))


class SqliteIndexes(AudienceIndexes):
    engine = "sqlite"
    # Rebuilds may take their testimonies prepared by worker processes (see services.reindexing).
    prepare = staticmethod(prepare_testimony)

    # A commit per few dozen testimonies: each commit syncs the file, and FTS5 merges as it goes.
    import_batch = 50

    def __init__(self, root: Path, writer_timeout: float = 30.0):
        super().__init__(root, writer_timeout)
        # One reading connection per audience, re-opened when a rebuild swaps the file in, with the
        # snapshot of its testimonies re-read when the index's generation moves on.
        self._open: dict[str, tuple[int, apsw.Connection, Reader]] = {}
        self._use = {a: threading.RLock() for a in AUDIENCES}

    def _file(self, audience: str) -> Path:
        return self._dir(audience) / store.FILE

    def _create_missing(self, path: Path) -> None:
        path.mkdir(exist_ok=True)
        if not (path / store.FILE).exists():
            if any(path.iterdir()):
                raise ForeignIndex(path)
            store.create(path / store.FILE)

    def ensure(self) -> bool:
        """Create missing indexes; True if one was made anew (or held another schema) and needs filling."""
        fresh = False
        for audience in AUDIENCES:
            with self._locked(audience) as path:
                if path.exists() and store.schema_version(path / store.FILE) != store.SCHEMA_VERSION:
                    shutil.rmtree(path)  # another engine's or an older layout: rebuilt from the database
                fresh |= not path.exists()
                self._create_missing(path)
        self.record_engine()
        return fresh

    # -- reading -----------------------------------------------------------
    @contextmanager
    def _reader(self, audience: str):
        path = self._file(audience)
        with self._use[audience]:
            for attempt in range(40):  # a rebuild swap leaves the path missing for a moment
                try:
                    inode = path.stat().st_ino
                    held = self._open.get(audience)
                    if held is None or held[0] != inode:
                        self._forget(audience)
                        conn = store.connect(path, self.writer_timeout, read_only=self.read_only)
                        held = (inode, conn, Reader(conn, snapshot(conn)))
                        self._open[audience] = held
                    elif store.generation(held[1]) != held[2].snap.generation:
                        held = (inode, held[1], Reader(held[1], snapshot(held[1], held[2].snap)))
                        self._open[audience] = held
                    break
                except (FileNotFoundError, apsw.CantOpenError):
                    if attempt == 39:
                        raise
                    if attempt == 20:
                        # Still missing after a second: a rebuild killed between its two renames. Taking
                        # the audience's lock waits for a live rebuild, or undoes a dead one's swap.
                        self.recover(audience)
                    time.sleep(0.05)
            yield held[2]

    def _forget(self, audience: str) -> None:
        with self._use[audience]:
            held = self._open.pop(audience, None)
            if held is not None:
                held[1].close()

    def search(self, audience: str, query: str, filters: dict[str, list[str]] | None = None,
               page: int = 1, pagesize: int = 20, sort: str = "relevance",
               variants: list[list[str]] | None = None) -> SearchResult:
        """`variants`: groups of names (authority label and variants) the audience may see."""
        with self._reader(audience) as reader:
            result = reader.search(query or "", filters, page, pagesize, sort, reader.expander(variants))
            if result.total == 0 and not result.error and (query or "").strip():
                result.suggestion = reader.did_you_mean(query)
            return result

    def browse(self, audience: str, filters: dict[str, list[str]] | None = None, page: int = 1,
               pagesize: int = 20) -> SearchResult:
        """Every testimony the audience may see (within `filters`) by accession id: facet counts of
        all, ids and titles of the page; no hits."""
        with self._reader(audience) as reader:
            return reader.browse(filters, page, pagesize)

    def suggest(self, audience: str, prefix: str, limit: int = 10) -> list[str]:
        with self._reader(audience) as reader:
            return reader.suggest(prefix, limit)

    def did_you_mean(self, audience: str, query: str) -> str | None:
        with self._reader(audience) as reader:
            return reader.did_you_mean(query)

    def live_values(self, audience: str, field: str) -> set[str]:
        with self._reader(audience) as reader:
            return reader.live_values(field)

    def testimony_ids(self, audience: str) -> set[str]:
        with self._reader(audience) as reader:
            return set(reader.snap.accession.values())

    def version(self, audience: str) -> tuple:
        """Changes whenever the audience's index does: every write moves its generation on, and a
        rebuild swaps in another file."""
        if not self._file(audience).exists():
            return ()
        with self._reader(audience) as reader:  # the held connection: a search asks this every time
            return (self._open[audience][0], reader.snap.generation)

    # -- writing -----------------------------------------------------------
    def compact(self) -> None:
        """Merge each index into one b-tree per table, after a bulk import: a purge then rewrites one
        leaf per word instead of one in every segment that holds the word."""
        for audience in AUDIENCES:
            with self._locked(audience) as path:
                if (path / store.FILE).exists():
                    conn = store.connect(path / store.FILE, self.writer_timeout)
                    try:
                        store.optimize(conn)
                    finally:
                        conn.close()

    def replace_testimonies(self, audience: str, docs_by_testimony: dict[str, list[dict]],
                            purge: bool = True) -> None:
        """Several testimonies in one transaction. Every replacement purges (FTS5 secure-delete), so
        `purge` changes nothing here."""
        fields = {accession: testimony_fields(docs, accession, spelling=False)  # validate before locking
                  for accession, docs in docs_by_testimony.items()}
        if not fields:
            return
        with self._locked(audience) as path:
            self._create_missing(path)
            conn = store.connect(path / store.FILE, self.writer_timeout)
            try:
                with conn:
                    changed = [store.write(conn, accession, f) for accession, f in fields.items()]
                    if any(changed):
                        store.bump(conn)
            finally:
                conn.close()

    def replace_in_audiences(self, batches: dict[str, dict[str, list[dict]]], purge: bool = True) -> None:
        """Each audience's file in a thread of its own: a purge is SQLite's C work on that file alone
        (FTS5 rewriting the pages of every word of the testimony), and the audiences' purges overlap."""
        if len(batches) < 2:
            return super().replace_in_audiences(batches, purge)
        with ThreadPoolExecutor(len(batches), thread_name_prefix="index-write") as pool:
            futures = [pool.submit(self.replace_testimonies, audience, batch, purge)
                       for audience, batch in batches.items()]
        for future in futures:
            future.result()  # the first failure, once every audience's write has ended

    def _builder(self, path: Path, audience: str) -> "_SqliteBuilder":
        return _SqliteBuilder(path, self.writer_timeout)


class _SqliteBuilder(Builder):
    """Writes in a thread of its own: SQLite indexes the text in C without Python's lock, so the next
    testimony's views are made while this one is written (and the three audiences' files fill at once)."""

    def __init__(self, path: Path, timeout: float):
        path.mkdir()
        store.create(path / store.FILE)
        self.file, self.timeout, self.error = path / store.FILE, timeout, None
        self.queue: queue.Queue = queue.Queue(maxsize=32)
        self.thread = threading.Thread(target=self._work, name="index-build %s" % path.name, daemon=True)
        self.thread.start()

    def _work(self) -> None:
        conn = store.connect(self.file, self.timeout)
        try:
            # A file nobody reads until it is renamed into place: no journal needed while filling it.
            store.run(conn, "PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF", "BEGIN")
            batch, tally = 0, Counter()
            while True:
                item = self.queue.get()
                if item is _ABORT:
                    return
                if item is _DONE:
                    store.write_tally(conn, tally)
                    store.bump(conn)
                    store.run(conn, "COMMIT")
                    store.optimize(conn)
                    store.run(conn, "PRAGMA journal_mode = DELETE")
                    return
                accession, payload = item  # a fresh file: nothing of the testimony is there to replace
                store.put(conn, accession, payload if isinstance(payload, store.Prepared) else store.prepare(payload),
                          None, tally)
                batch += 1
                if batch == _BUILD_BATCH:
                    store.run(conn, "COMMIT", "BEGIN")
                    batch = 0
        except BaseException as exc:  # handed to the building thread at its next call
            self.error = exc
        finally:
            conn.close()

    def _put(self, item) -> None:
        while True:
            if self.error is not None:
                raise self.error
            if not self.thread.is_alive():
                raise RuntimeError("the index writer stopped")
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def add(self, accession: str, docs: "list[dict] | store.Prepared") -> None:
        """`docs`: the testimony's documents, or prepare_testimony's rows made elsewhere."""
        self._put((accession, docs if isinstance(docs, store.Prepared) else testimony_fields(docs, accession, spelling=False)))

    def finish(self) -> None:
        self._put(_DONE)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        while self.thread.is_alive():
            try:
                self.queue.put(_ABORT, timeout=0.1)
                break
            except queue.Full:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    pass
        self.thread.join()


_DONE, _ABORT = object(), object()
