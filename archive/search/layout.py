"""What every search engine's indexes share: one directory per audience, the write locks, atomic rebuild.

An engine subclass supplies how documents are written into a directory (`_build`,
`replace_testimonies`) and read from it; this class keeps the guarantees that do not depend on the
engine: writers exclude each other and rebuilds across processes, and a rebuild is built aside and
swapped in by renames, so readers see the old index or the new one, never a half-built one.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
from contextlib import ExitStack, contextmanager
from itertools import groupby
from pathlib import Path
from typing import Callable, Iterable

from ..readonly import ReadOnly
from . import locks

log = logging.getLogger(__name__)

AUDIENCES = ("public", "researcher", "staff")
_BUILD, _OLD = ".build-", ".old-"
# The file beside the audience folders naming the engine that wrote them: what an archive with no
# SEARCH_ENGINE setting keeps (archive.search.choose_engine). It lives with the indexes it describes,
# so it needs no database read before they open and is gone exactly when they are.
ENGINE_RECORD = "engine"


class ForeignIndex(RuntimeError):
    """An index directory written by another search engine (SEARCH_ENGINE changed while running)."""

    def __init__(self, path: Path):
        super().__init__("%s holds another search engine's index: run `python -m app init`, which "
                         "rebuilds it with the configured SEARCH_ENGINE" % path)


class AudienceIndexes:
    _held = threading.local()
    # The engine's name in archive.search.ENGINES.
    engine = ""
    # Local indexes: written beside the database's transaction, with pending marks (engine.SearchEngine).
    in_database = False
    # On a read-only instance (archive/readonly.py) every write is refused before a lock file is made.
    read_only = False
    # Testimonies per index commit during a bulk import.
    import_batch = 4
    # prepare(accession, docs): a testimony's documents as the engine's builder takes them, made in a
    # worker process during a parallel reindex; None where the builder takes documents only.
    prepare = None

    def __init__(self, root: Path, writer_timeout: float = 30.0):
        self.root = Path(root)
        self.writer_timeout = writer_timeout

    @contextmanager
    def writing(self, timeout: float | None = None):
        """Exclude other writers and rebuilds, across processes, for a whole unit of work.

        Re-entrant within a thread. A service holds it from its index update through its database
        commit, so a rebuild can never read the database before a commit whose index update it
        would then overwrite.
        """
        if self.read_only:
            raise ReadOnly()
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with locks.exclusive(self.root / ".write.lock", self.writer_timeout * 4 if timeout is None else timeout):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    def record_engine(self) -> None:
        """Say in the index folder that this engine's indexes are there; called once they all are."""
        path = self.root / ENGINE_RECORD
        try:
            if path.read_text().strip() == self.engine:
                return
        except FileNotFoundError:
            pass
        temporary = path.with_name(".%s-%s" % (ENGINE_RECORD, secrets.token_hex(4)))
        try:
            temporary.write_text(self.engine + "\n")
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)
            # Not fatal: without the record the engine is still told from its files.
            log.warning("could not write %s", path, exc_info=True)

    # -- what may differ from the database ----------------------------------
    # A durable mark per testimony, made before any index write of a unit of work and taken away once
    # its database commit and every index write are done: a process killed in between leaves the mark,
    # and the next start or search rewrites those testimonies from what the database holds.
    def _pending_dir(self) -> Path:
        return self.root / ".pending"

    def mark_pending(self, accession_ids) -> None:
        if self.read_only:
            raise ReadOnly()
        folder = self._pending_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for accession in accession_ids:
            os.close(os.open(folder / accession.encode("utf-8").hex(), os.O_WRONLY | os.O_CREAT, 0o600))
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> list[str]:
        try:
            names = os.listdir(self._pending_dir())
        except FileNotFoundError:
            return []
        return sorted(bytes.fromhex(name).decode("utf-8") for name in names)

    def clear_pending(self, accession_ids) -> None:
        folder = self._pending_dir()
        for accession in accession_ids:
            try:
                os.unlink(folder / accession.encode("utf-8").hex())
            except FileNotFoundError:
                pass

    # -- layout / locking --------------------------------------------------
    def index_dirs(self) -> dict[str, Path]:
        return {a: self.root / a for a in AUDIENCES}

    def _dir(self, audience: str) -> Path:
        if audience not in AUDIENCES:
            raise ValueError("unknown audience %r" % audience)
        return self.root / audience

    @contextmanager
    def _locked(self, audience: str):
        if self.read_only:
            raise ReadOnly()
        self.root.mkdir(parents=True, exist_ok=True)
        with locks.exclusive(self.root / (".%s.lock" % audience), self.writer_timeout):
            self._recover(audience)
            yield self._dir(audience)

    def recover(self, audience: str) -> None:
        """Finish or undo a rebuild of this audience that died (see `_recover`)."""
        if self.read_only:
            return   # nothing can be renamed back: the reader finds the index missing, as it is
        with self._locked(audience):
            pass

    def _recover(self, audience: str) -> None:
        """Finish or undo a rebuild that died; leftovers may hold words
        purged since, so they never stay on disk. Caller holds the lock."""
        live = self._dir(audience)
        olds = sorted(self.root.glob(".%s%s*" % (audience, _OLD)))
        if not live.exists() and olds:
            olds.pop().rename(live)  # crashed between the two renames
        for stale in olds + list(self.root.glob(".%s%s*" % (audience, _BUILD))):
            shutil.rmtree(stale, ignore_errors=True)

    def _forget(self, audience: str) -> None:
        """Let go of anything held open on the audience's index (engines that hold readers override)."""

    def close(self) -> None:
        for audience in AUDIENCES:
            self._forget(audience)

    # -- writing -----------------------------------------------------------
    def replace_testimony(self, audience: str, accession_id: str, docs: list[dict],
                          purge: bool = True) -> None:
        self.replace_testimonies(audience, {accession_id: docs}, purge=purge)

    def replace_testimonies(self, audience: str, docs_by_testimony: dict[str, list[dict]],
                            purge: bool = True) -> None:
        raise NotImplementedError

    def replace_in_audiences(self, batches: dict[str, dict[str, list[dict]]], purge: bool = True) -> None:
        """replace_testimonies for several audiences (audience -> accession id -> documents); an engine
        whose writes run outside Python's lock writes the audiences at once."""
        for audience, batch in batches.items():
            self.replace_testimonies(audience, batch, purge=purge)

    def remove_testimony(self, accession_id: str) -> None:
        self.replace_in_audiences({audience: {accession_id: []} for audience in AUDIENCES})

    def compact(self) -> None:
        """Tidy the indexes after a bulk import (engines whose purges depend on it override)."""

    def rebuild(self, docs_by_audience: dict[str, Iterable[dict]] | None = None,
                progress: Callable[[str, int], None] | None = None, *,
                testimonies: Iterable[tuple[str, dict[str, list[dict]]]] | None = None,
                audiences: Iterable[str] | None = None) -> None:
        """Rebuild indexes into fresh directories, then swap each in.

        Either `docs_by_audience` (audience -> its documents, a testimony's together), or
        `testimonies`: (accession id, audience -> documents) for the `audiences` named, one testimony
        at a time, so a testimony is read from the database once for every audience and its text,
        the same for most audiences, is analysed once. `progress(audience, documents so far)`.
        """
        if testimonies is None:
            audiences = list(docs_by_audience or {})
            testimonies = _by_testimony(docs_by_audience or {})
        audiences = list(audiences or AUDIENCES)
        for audience in audiences:
            self._dir(audience)  # an unknown audience fails before anything is built
        with ExitStack() as held:
            lives = {a: held.enter_context(self._locked(a)) for a in audiences}
            tag = secrets.token_hex(4)
            builds = {a: self.root / (".%s%s%s" % (a, _BUILD, tag)) for a in audiences}
            builders = {}
            try:
                for audience, path in builds.items():
                    builders[audience] = self._builder(path, audience)
                counts = dict.fromkeys(audiences, 0)
                for accession, per_audience in testimonies:
                    for audience, docs in per_audience.items():
                        if not docs:
                            continue
                        builders[audience].add(accession, docs)
                        for _ in range(len(docs)):
                            counts[audience] += 1
                            if progress:
                                progress(audience, counts[audience])
                for builder in builders.values():
                    builder.finish()
            except BaseException:
                for builder in builders.values():
                    builder.abort()
                for path in builds.values():
                    shutil.rmtree(path, ignore_errors=True)
                raise
            for audience, live in lives.items():
                old = self.root / (".%s%s%s" % (audience, _OLD, tag))
                if live.exists():
                    live.rename(old)
                try:
                    builds[audience].rename(live)
                except BaseException:
                    if old.exists():
                        old.rename(live)
                    raise
                shutil.rmtree(old, ignore_errors=True)
                self._forget(audience)

    def _builder(self, path: Path, audience: str) -> "Builder":
        raise NotImplementedError


class Builder:
    """Fills one fresh index directory: documents one testimony at a time, then finish (or abort)."""

    def add(self, accession: str, docs: list[dict]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


def _by_testimony(docs_by_audience: dict[str, Iterable[dict]]):
    for audience, docs in docs_by_audience.items():
        for accession, group in groupby(docs, key=lambda d: d.get("testimony")):
            yield accession, {audience: list(group)}
