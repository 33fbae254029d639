"""Read-only instances: a mirror on read-only media, or a disk that turned read-only under the archive.

Readers are served from what the database and the indexes hold; every write is refused with one plain
message (`ReadOnly`), before anything is tried, instead of failing somewhere inside SQLite or an index.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import ArchiveError

log = logging.getLogger(__name__)
MESSAGE = "This archive is read-only: edits are off"


class ReadOnly(ArchiveError):
    """A write on a read-only instance."""

    def __init__(self, detail: str = ""):
        super().__init__(MESSAGE + (f" ({detail})" if detail else "."))


def _writable(path: Path) -> bool:
    # os.access says EROFS even to root, for whom permission bits mean nothing.
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return True   # nothing there yet: init creates it, and fails plainly if it cannot
    return os.access(path, os.W_OK)


def detect(database_file: Path | None, index_dir: Path) -> bool:
    """Whether this instance cannot be written: its SQLite file or the folder holding it (where SQLite
    puts its journals) or the index folder is on read-only media or not writable."""
    paths = [index_dir] if index_dir.exists() else []
    if database_file is not None:
        paths += [p for p in (database_file, database_file.parent) if p.exists()]
    return any(not _writable(p) for p in paths)


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL opening this SQLite file for reading only.

    `mode=ro` reads a WAL database through its -wal and -shm files, so the commits a process made just
    before the disk turned read-only (a withdrawal among them) are seen; `immutable=1` would skip them.
    But `mode=ro` cannot open a WAL database whose -shm file is missing (a clean shutdown removes it)
    when it may not create one; there, with no -wal either, the file holds every commit and nothing can
    change it under us, so it is opened immutable.
    """
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    immutable = not wal.exists() and not shm.exists() and not _writable(path.parent)
    return f"sqlite:///file:{path}?{'immutable=1' if immutable else 'mode=ro'}&uri=true"


class SchemaOutOfDate(ArchiveError):
    """The database's schema is not the one this version of the code reads, and cannot be upgraded."""


def start(archive) -> bool:
    """What `Archive.init` does on a read-only instance: check, and write nothing. No migration, no
    disk reserve, no tightening of file modes, no replay of pending index marks: the instance serves
    what its database and indexes hold. Never rebuilds the indexes (False)."""
    revision, head = archive.db.schema_revision()
    if revision != head:
        raise SchemaOutOfDate(
            f"the database's schema (revision {revision or 'none'}) is not the one this version of the "
            f"archive reads ({head}), and a read-only instance cannot upgrade it: serve it with the "
            f"version that wrote it, or run `python -m app init` on a writable copy")
    missing = [a for a, path in archive.indexes.index_dirs().items() if not path.is_dir()]
    if missing:
        log.warning("read-only instance: no search index for %s; search answers nothing there until "
                    "the indexes are rebuilt on a writable instance", ", ".join(missing))
    pending = archive.indexes.pending()
    if pending:
        # Marks left by a write the disk stopped: its index writes that hide came before its commit and
        # those that show after, so the indexes hide too much at worst; they are replayed once writable.
        log.warning("read-only instance: %d testimonies may be missing their latest changes from the "
                    "search indexes until the instance is writable again", len(pending))
    return False
