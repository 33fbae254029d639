"""Disk space kept back so that a withdrawal or a redaction goes through on a full disk.

A narrator who withdraws must be gone from every reader before the call returns, full disk or not. The
instance keeps a file (DISK_RESERVE_MB, 64 MB by default) beside its indexes (made by `init`); when a protective write
fails for want of space, the file is deleted and the write tried once more, and the operator is told
(the log, the command's message, `check`) to free space and run `init` again, which makes a new one.
Every other write on a full disk fails with one plain message (`DiskFull`), never a traceback.
"""
from __future__ import annotations

import errno
import functools
import logging
import os
from pathlib import Path

from .errors import ArchiveError

RESERVE_BYTES = 64 * 1024 * 1024
NAME = ".reserve"
log = logging.getLogger(__name__)


class DiskFull(ArchiveError):
    """The disk holding the archive is full."""


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether an error, or one it was raised from, says the disk (or a quota) is full: an OSError
    from a file write, SQLite's "database or disk is full", apsw's FullError, PostgreSQL's 53100."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if type(exc).__name__ in ("FullError", "DiskFull") or "database or disk is full" in str(exc):
            return True
        if getattr(exc, "sqlstate", None) == "53100":
            return True
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "orig", None)
    return False


def make(folder: Path, size: int = RESERVE_BYTES) -> bool:
    """Make the reserve (real blocks, not a sparse file); False if the disk has not the room."""
    path = Path(folder) / NAME
    if path.exists() and path.stat().st_size >= size:
        return True
    Path(folder).mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
        os.fsync(fd)
        return True
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        os.close(fd)
        fd = -1
        path.unlink(missing_ok=True)
        return False
    finally:
        if fd >= 0:
            os.close(fd)


def release(folder: Path) -> bool:
    """Give the reserve back to the disk; False if there was none."""
    try:
        (Path(folder) / NAME).unlink()
    except FileNotFoundError:
        return False
    log.warning("The disk is full: the archive released its reserve so that a protective write could "
                "finish. Free space, then run `python -m app init` to make a new reserve.")
    return True


def present(folder: Path) -> bool:
    return (Path(folder) / NAME).exists()


def spends_reserve(method):
    """For a service method that only protects (a withdrawal, a redaction): on a full disk, release the
    reserve and try once more; otherwise say plainly that the disk is full."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            if not release(self.archive.indexes.root):
                raise full_disk_message() from None
        return method(self, *args, **kwargs)
    return wrapper


def full_disk_message() -> DiskFull:
    return DiskFull("the disk holding the archive is full: nothing was written. Free space on it and "
                    "try again (`python -m app check` reports the archive's state).")
