"""Owner-only files. The database, indexes and media hold legal names, contacts, risk notes and every
original: no other account on the machine may read them, whatever umask the archive was started with.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable, Iterator

# New files 0600 and new directories 0700; the app and the command line set it at start.
UMASK = 0o077
_OTHERS = 0o077


def create_file(path: str | os.PathLike) -> None:
    """Create an empty file readable by its owner only, unless it exists (its mode is left to
    `tighten`). SQLite gives the journal files it makes (-wal, -shm) the mode of the database file,
    so creating the database this way first keeps them private too."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _walk(roots: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, int]]:
    """Each existing path under the roots (the roots included) with its permission bits; symbolic
    links are not followed (their own mode means nothing, their target is checked where it lives)."""
    seen: set[Path] = set()
    for root in roots:
        root = Path(root)
        if root in seen or not root.exists():
            continue
        seen.add(root)
        for path in (root, *sorted(root.rglob("*"))) if root.is_dir() else (root,):
            try:
                info = path.lstat()
            except FileNotFoundError:  # removed meanwhile (a journal, an index segment)
                continue
            if not stat.S_ISLNK(info.st_mode):
                yield path, stat.S_IMODE(info.st_mode)


def loose(roots: Iterable[str | os.PathLike]) -> list[tuple[Path, int]]:
    """The paths under the roots that anyone but their owner may read, write or enter."""
    return [(path, mode) for path, mode in _walk(roots) if mode & _OTHERS]


def tighten(roots: Iterable[str | os.PathLike]) -> list[Path]:
    """Take every permission of group and others away under the roots; the owner's are kept (a
    read-only original stays read-only). Returns what was changed."""
    changed = []
    for path, mode in loose(roots):
        os.chmod(path, mode & ~_OTHERS)
        changed.append(path)
    return changed
