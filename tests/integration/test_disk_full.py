"""Issue 15, finding 3: on a full disk a withdrawal still goes through (the instance's reserve is
released for it, and the operator told), and every other write fails with one plain message.

The archive lives on a small tmpfs of its own where the machine lets the test mount one (root, as here
and in CI); elsewhere the disk is filled by a simulated ENOSPC from the index writes."""
from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from archive import reserve
from archive.errors import ArchiveError
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.services import Archive
from tests.conftest import EXAMPLE, TODAY

ARCHIVIST = for_role("archivist", username="archivist")


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MB filesystem, or None where mounting one is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> None:
    """Take every free block of the filesystem holding `folder`."""
    with open(folder / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    # A tmpfs still holds a partial block's worth: take the rest in small pieces.
    n = 0
    try:
        while True:
            with open(folder / f"filler-{n}", "wb") as f:
                f.write(b"\0" * 4096)
            n += 1
    except OSError:
        pass


def test_a_withdrawal_on_a_full_disk_goes_through_and_other_writes_say_so(small_disk, tmp_path, monkeypatch):
    root = small_disk or tmp_path
    url = f"sqlite:///{root / 'archive.db'}"
    archive = Archive(url, root / "indexes", root / "media", clock=lambda: TODAY, reserve_mb=8)
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    assert reserve.present(root / "indexes")
    if small_disk is not None:
        _fill(root)
    else:   # simulated: the first index write of each call fails as a full disk would
        real = archive.indexes.replace_in_audiences

        def full_unless_reserve_released(*args, **kwargs):
            if reserve.present(root / "indexes"):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args, **kwargs)
        monkeypatch.setattr(archive.indexes, "replace_in_audiences", full_unless_reserve_released)

    archive.consent.withdraw(ARCHIVIST, "OH-2015-0001", reason="narrator's request")

    assert not reserve.present(root / "indexes")
    assert archive.search.search(ANONYMOUS, "Raqqa").total == 0
    with pytest.raises(ArchiveError):
        archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    if small_disk is not None:
        # Nothing left to release: another write is refused in plain words, and nothing is half-written.
        _fill(root)
        with pytest.raises(reserve.DiskFull, match="disk holding the archive is full"):
            archive.records.edit_testimony(ARCHIVIST, "OH-2015-0002", summary="x" * 40_000)
        for name in os.listdir(root):
            if name.startswith("filler"):
                os.unlink(root / name)
        archive.close()
        again = Archive(url, root / "indexes", root / "media", clock=lambda: TODAY, reserve_mb=8)
        again.init()   # space freed: the next start makes a new reserve and checks out clean
        assert reserve.present(root / "indexes")
        assert again.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}
        again.close()
    else:
        archive.close()
