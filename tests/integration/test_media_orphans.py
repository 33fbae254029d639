"""Files in the media store that no row owns, on SQLite and PostgreSQL: a `media add` killed between
storing its files and its commit leaves its original (EXIF and GPS included) and derivatives behind;
`fixity` reports them and `fixity --repair` removes them, but never files young enough to belong to
an intake still running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from archive.identity import for_role
from archive.model import MediaAsset
from archive.services.media import MediaService
from archive.identity import SYSTEM
from tests.conftest import ROOT
from tests.integration.test_cli import cli, instance, open_archive  # noqa: F401 (fixtures)
from tests.integration.test_media_service import photo, rows, stored_files

OPEN = "M-1"
ANN = for_role("archivist", 1, "ann")
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = VENV_PYTHON if VENV_PYTHON.exists() else sys.executable
HOUR = 3600


def age(paths, seconds: float = 4 * HOUR) -> None:
    """Make files look as if written `seconds` ago (a kill long past, not an intake in flight)."""
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


@pytest.fixture
def draft_archive(archive):
    """A testimony to attach media to (a draft: media need no publication checks)."""
    archive.intake.import_csv(SYSTEM, f"accession_id,title\n{OPEN},Media\n".encode(), "m.csv")
    return archive


def killed_add(archive, database_url: str, data: bytes) -> None:
    """Run `media.add` in a child process that SIGKILLs itself once the original and every
    derivative are on disk, before the commit."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from archive.identity import for_role
        from archive.services import Archive
        from archive.services.media import MediaService
        real = MediaService._derive
        def derive(self, *args, **kwargs):
            real(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        MediaService._derive = derive
        archive = Archive({database_url!r}, {str(archive.indexes.root)!r}, {str(archive.media_dir)!r})
        archive.media.add(for_role("archivist", 1, "ann"), {OPEN!r}, sys.stdin.buffer.read(), "gps.jpg")
    """)
    done = subprocess.run([str(PYTHON), "-c", script], input=data, cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def test_a_killed_media_add_leaves_orphans_that_fixity_reports_and_repair_removes(draft_archive, database_url):
    archive = draft_archive
    kept = archive.media.add(ANN, OPEN, photo(colour=(10, 10, 10)), "kept.jpg")
    kept_files = stored_files(archive)
    killed_add(archive, database_url, photo(colour=(200, 30, 30)))
    assert len(rows(archive, MediaAsset)) == 1
    left = sorted(set(stored_files(archive)) - set(kept_files))
    assert any("originals" in str(p) for p in left) and any("derivatives" in str(p) for p in left)

    # Just written: as far as anyone can tell an intake is still running, so it is only noted.
    report = archive.media.fixity(ANN, repair=True)
    assert report["orphans"] == [] and report["in_flight"] >= 1 and report["ok"]
    assert set(left) <= set(stored_files(archive))

    age([*left, *{p.parent for p in left if "derivatives" in p.parts}])
    report = archive.media.fixity(ANN)
    assert not report["ok"] and report["in_flight"] == 0
    assert any(o.startswith("originals/") for o in report["orphans"])
    assert any(o.startswith("derivatives/") for o in report["orphans"])
    assert report["removed"] == [] and set(left) <= set(stored_files(archive))

    report = archive.media.fixity(ANN, repair=True)
    assert report["ok"] and report["removed"] == report["orphans"] and report["removed"]
    assert stored_files(archive) == kept_files          # the attached photo's files untouched
    assert archive.media.derivative(ANN, kept["id"], "thumb")
    again = archive.media.fixity(ANN)
    assert again["ok"] and again["orphans"] == [] and again["checked"] == 1


def test_interrupted_writes_and_files_of_purged_rows_are_orphans_too(draft_archive):
    archive = draft_archive
    store = archive.media._store()
    sha = store.put(b"bytes nobody registered")
    temp = store.path(sha).parent / ".tmp-abandoned"
    temp.write_bytes(b"half a file")
    age([store.path(sha), temp])
    report = archive.media.fixity(ANN)
    assert sorted(report["orphans"]) == sorted(
        str(p.relative_to(archive.media_dir)) for p in (store.path(sha), temp))
    archive.media.fixity(ANN, repair=True)
    assert stored_files(archive) == []


def test_an_original_reused_by_a_new_asset_is_not_taken_as_an_orphan(draft_archive, monkeypatch):
    # An old orphan whose bytes are being attached again is in flight again: its age starts over,
    # so a repair running before the new row commits leaves it alone.
    archive = draft_archive
    data = photo(colour=(40, 40, 40))
    store = archive.media._store()
    sha = store.put(data)
    age([store.path(sha)])
    seen = {}
    real = MediaService._derive

    def derive(self, store, asset, data=None):
        orphans = store.unowned(set(), set())
        seen["removed"] = [o.name for o in orphans if store.remove_unowned(o, time.time() - HOUR)]
        return real(self, store, asset, data)

    monkeypatch.setattr(MediaService, "_derive", derive)
    asset = archive.media.add(ANN, OPEN, data, "again.jpg")
    assert seen["removed"] == []
    assert store.exists(sha) and asset["sha256"] == sha
    assert archive.media.fixity(ANN)["ok"]


def test_a_failure_after_the_derivatives_were_written_removes_them(draft_archive, monkeypatch):
    archive = draft_archive

    def broken(asset, audience):
        raise RuntimeError("killed after the derivatives")

    monkeypatch.setattr(MediaService, "_describe", staticmethod(broken))
    with pytest.raises(RuntimeError):
        archive.media.add(ANN, OPEN, photo(), "a.jpg")
    assert rows(archive, MediaAsset) == [] and stored_files(archive) == []


def test_the_cli_reports_orphans_and_repairs_them(cli, instance):
    instance.mkdir()
    archive = open_archive(instance)
    archive.init()
    store = archive.media._store()
    sha = store.put(b"an orphaned original")
    age([store.path(sha)])
    archive.close()
    out = cli("fixity", expect=1)
    assert f"orphan: originals/{sha[:2]}/{sha[2:4]}/{sha}" in out and "fixity --repair" in out
    out = cli("fixity", "--repair")
    assert "removed 1 orphaned file" in out
    assert not store.path(sha).exists()
