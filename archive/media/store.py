"""Content-addressed media on local disk: originals by SHA-256, derivatives per audience.

Layout under the root:
    originals/ab/cd/<sha256>                               the bytes as received, read-only
    derivatives/<audience>/ab/cd/<sha256>/<size>.png       redacted, metadata-free copies
    derivatives/<audience>/ab/cd/<sha256>/audio-<fp>.ogg   a recording with its ranges silenced
    derivatives/<audience>/ab/cd/<sha256>/video-<fp>.mp4   a video (or .webm) with its sound's ranges silenced

Originals are restricted (never served below archivist); derivatives are what lower audiences
get. Every write goes to a temporary file in the target directory, is fsynced, then renamed
into place, so a reader sees either nothing or the whole file, even after a crash.
"""
from __future__ import annotations

import enum
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..audience import Audience
from ..errors import NotFound

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIZE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_EXTENSIONS = ("png", "ogg", "mp4", "webm")
_TEMP_PREFIX = ".tmp-"
_CHUNK = 1024 * 1024


class Fixity(str, enum.Enum):
    OK = "ok"
    MISSING = "missing"
    CHANGED = "changed"


@dataclass
class Unowned:
    """A file (or an asset's folder of derivatives) that no media row names."""
    path: Path
    name: str           # relative to the store's root, for reports
    modified: float     # newest modification time inside it


class MediaStore:
    """Originals keyed by their SHA-256, derivatives keyed by (sha256, audience, size)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # --- originals -------------------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        sha256 = _check_sha(sha256)
        return self.root / "originals" / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store the bytes and return their SHA-256; storing the same bytes again is a no-op.

        An existing file is left alone even if it has since changed: overwriting would destroy
        the evidence that fixity() is there to report.
        """
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if not target.exists():
            _write_atomically(target, data, mode=0o400)
        return sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFound(f"No original with SHA-256 {sha256}") from None

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def fixity(self, sha256: str) -> Fixity:
        """Whether the stored bytes still hash to their name."""
        digest = hashlib.sha256()
        try:
            with open(self.path(sha256), "rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return Fixity.MISSING
        return Fixity.OK if digest.hexdigest() == sha256 else Fixity.CHANGED

    def touch(self, sha256: str) -> None:
        """Mark an original as in use now, so that a sweep for orphans leaves it alone."""
        try:
            os.utime(self.path(sha256))
        except FileNotFoundError:
            pass

    def unowned(self, shas: set[str], keys: set[str]) -> list[Unowned]:
        """Originals not in `shas`, derivative folders of assets not in `keys`, and the temporary
        files of interrupted writes: what a process killed before its commit leaves behind."""
        found = []
        for path in sorted((self.root / "originals").glob("??/??/*")):
            if path.is_file() and path.name not in shas:
                found.append(self._unowned(path))
        for folder in sorted((self.root / "derivatives").glob("*/??/??/*")):
            if not folder.is_dir():
                continue
            if folder.name not in keys:
                found.append(self._unowned(folder))
            else:
                found += [self._unowned(p) for p in sorted(folder.glob(_TEMP_PREFIX + "*"))]
        return [item for item in found if item is not None]

    def _unowned(self, path: Path) -> Unowned | None:
        try:
            return Unowned(path, path.relative_to(self.root).as_posix(), _newest(path))
        except FileNotFoundError:       # removed since it was listed
            return None

    def remove_unowned(self, item: Unowned, older_than: float) -> bool:
        """Delete it unless something in it was written after `older_than` (a timestamp): it is
        looked at again just before, as an intake may have started using it since it was listed."""
        try:
            if _newest(item.path) > older_than:
                return False
            if item.path.is_dir():
                shutil.rmtree(item.path)
            else:
                item.path.unlink()
        except FileNotFoundError:
            return True
        return True

    def originals(self):
        """Every stored SHA-256 (temporary files of interrupted writes are not originals)."""
        for path in sorted((self.root / "originals").glob("??/??/*")):
            if _SHA256.fullmatch(path.name):
                yield path.name

    # --- derivatives -----------------------------------------------------------------------

    def derivative_path(self, sha256: str, audience: Audience | str, size: str, ext: str = "png") -> Path:
        sha256 = _check_sha(sha256)
        if not (isinstance(size, str) and _SIZE_NAME.fullmatch(size)):
            raise ValueError(f"not a derivative size name: {size!r}")
        if ext not in _EXTENSIONS:
            raise ValueError(f"not a derivative extension: {ext!r}")
        return (self.root / "derivatives" / Audience.parse(audience).label / sha256[:2]
                / sha256[2:4] / sha256 / f"{size}.{ext}")

    def put_derivative(self, sha256: str, audience: Audience | str, size: str,
                       data: bytes, ext: str = "png") -> Path:
        """Store (or replace) one derivative."""
        target = self.derivative_path(sha256, audience, size, ext)
        _write_atomically(target, data, mode=0o400)  # owner only, like the originals
        return target

    def read_derivative(self, sha256: str, audience: Audience | str, size: str, ext: str = "png") -> bytes:
        try:
            return self.derivative_path(sha256, audience, size, ext).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"No {size} derivative of {sha256} for "
                           f"{Audience.parse(audience).label}") from None

    def derivative_names(self, sha256: str, audience: Audience | str, ext: str) -> list[str]:
        """The names (without extension) of one original's derivatives of one type for one audience."""
        folder = self.derivative_path(sha256, audience, "x", ext).parent
        return sorted(p.stem for p in folder.glob(f"*.{ext}")) if folder.is_dir() else []

    def derivative_sizes(self, sha256: str, audience: Audience | str) -> list[str]:
        folder = self.derivative_path(sha256, audience, "x").parent
        return sorted(p.stem for p in folder.glob("*.png")) if folder.is_dir() else []

    def remove_derivatives_of(self, key: str) -> None:
        """Every derivative of one asset, of every type and audience, with their folders."""
        for audience in Audience:
            shutil.rmtree(self.derivative_path(key, audience, "x").parent, ignore_errors=True)

    def remove_derivatives(self, sha256: str, audience: Audience | str | None = None,
                           keep: tuple[str, ...] = ()) -> int:
        """Delete derivatives of one original (for one audience, or all); return how many."""
        audiences = list(Audience) if audience is None else [Audience.parse(audience)]
        removed = 0
        for each in audiences:
            for size in self.derivative_sizes(sha256, each):
                if size not in keep:
                    self.derivative_path(sha256, each, size).unlink(missing_ok=True)
                    removed += 1
        return removed


def _newest(path: Path) -> float:
    newest = path.stat().st_mtime
    if path.is_dir():
        for child in path.iterdir():
            newest = max(newest, child.stat().st_mtime)
    return newest


def _check_sha(sha256: str) -> str:
    # The name becomes a path: anything but 64 lowercase hex digits could walk out of the root.
    if not (isinstance(sha256, str) and _SHA256.fullmatch(sha256)):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}"[:100])
    return sha256


def _write_atomically(target: Path, data: bytes, *, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)  # make the rename itself survive a power cut


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
