"""Per-audience exclusive lock that lives *outside* the index directory.

Whoosh's own write lock sits inside the index dir, which rebuild() renames
away; this lock survives the swap, so a writer can never commit into an
index that is about to be replaced (a purge would be silently lost).
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import Busy


class IndexLockTimeout(Busy, TimeoutError):
    """Another write held the archive for longer than a write waits (an import holds it a batch at a
    time, a reindex for its whole run): said in plain words, never a traceback."""

    def __init__(self, path: str):
        super().__init__("the archive is busy with another change (an import or a rebuild of the search "
                         "indexes); nothing was written: try again in a moment")
        self.path = path


@contextmanager
def exclusive(path: Path, timeout: float):
    # flock locks belong to the open file description, so a fresh open per
    # acquisition also excludes other threads of this process.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockTimeout(str(path)) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock
