"""What every search engine's indexes share: one directory per audience, the write locks, atomic rebuild.

An engine subclass supplies how documents are written into a directory (`_build`,
`replace_testimonies`) and read from it; this class keeps the guarantees that do not depend on the
engine: writers exclude each other and rebuilds across processes, and a rebuild is built aside and
swapped in by renames, so readers see the old index or the new one, never a half-built one.
"""
from __future__ import annotations

import secrets
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable

from . import locks

AUDIENCES = ("public", "researcher", "staff")
_BUILD, _OLD = ".build-", ".old-"


class AudienceIndexes:
    _held = threading.local()

    def __init__(self, root: Path, writer_timeout: float = 30.0):
        self.root = Path(root)
        self.writer_timeout = writer_timeout

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

    def remove_testimony(self, accession_id: str) -> None:
        for audience in AUDIENCES:
            self.replace_testimony(audience, accession_id, [], purge=True)

    def compact(self) -> None:
        """Tidy the indexes after a bulk import (engines whose purges depend on it override)."""

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
                self._forget(audience)

    def _build(self, path: Path, audience: str, docs, progress) -> None:
        raise NotImplementedError
