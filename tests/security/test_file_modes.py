"""Issue 12, finding 6: the database, its journals, the indexes, the media, the secret key and the demo
logins are readable by their owner only, whatever the umask, and `check` reports anything looser."""
from __future__ import annotations

import io
import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from archive.identity import SYSTEM
from tests.conftest import EXAMPLE, PASSWORD, ROOT
from tests.integration.test_cli import PYTHON


@pytest.fixture
def lax_umask():
    """The umask most systems give a login shell: new files 0644, new directories 0755."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def loose(root: Path) -> list[str]:
    """Every file or directory under root (root included) that anyone but its owner may use."""
    paths = [root, *root.rglob("*")]
    return sorted(f"{oct(stat.S_IMODE(p.lstat().st_mode))} {p}" for p in paths
                  if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def run(instance: Path, *args, expect: int = 0) -> str:
    """`python -m app ...` in a shell whose umask is 022, as an operator's usually is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_") or k == "ARCHIVE_SEARCH_ENGINE"}
    env.update(ARCHIVE_INSTANCE_PATH=str(instance), ARCHIVE_PASSWORD=PASSWORD, COLUMNS="1000", NO_COLOR="1")
    command = "umask 022 && exec " + shlex.join([str(PYTHON), "-m", "app", *map(str, args)])
    done = subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert done.returncode == expect, f"{args}: exit {done.returncode}, wanted {expect}\n{output}"
    assert "Traceback" not in output, output
    return output


def test_the_app_keeps_every_file_private_under_a_lax_umask(lax_umask, tmp_path):
    from app import create_app

    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    archive = app.extensions["archive"]
    try:
        archive.init()
        archive.transfer.import_file(SYSTEM, EXAMPLE)
        archive.users.add(SYSTEM, "rita", "archivist", PASSWORD)
        archive.media.add(SYSTEM, "OH-2015-0001", photo(), "p.png")
        # The journals exist only while a connection is open: look while this one is.
        journals = [instance / "archive.db-wal", instance / "archive.db-shm"]
        assert all(p.exists() for p in journals), sorted(p.name for p in instance.iterdir())
        assert (instance / "secret_key").exists() and any((instance / "media").rglob("*.png"))
        assert loose(instance) == []
    finally:
        archive.close()


def test_the_command_line_keeps_every_file_private_under_a_lax_umask(tmp_path):
    instance = tmp_path / "instance"
    run(instance, "init")
    run(instance, "import", EXAMPLE)
    picture = tmp_path / "p.png"
    picture.write_bytes(photo())
    run(instance, "media", "add", "OH-2015-0001", picture)
    out = run(instance, "demo", "--no-sound")
    assert (instance / "demo-logins.txt").exists() and (instance / "secret_key").exists(), out
    assert loose(instance) == []
    run(instance, "check")


def test_check_reports_loose_modes_and_init_tightens_them(tmp_path):
    instance = tmp_path / "instance"
    run(instance, "init")
    run(instance, "demo", "--no-sound")
    # What an older version, a restore from backup or a careless copy leaves behind.
    for path in [instance, *instance.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert loose(instance)

    out = run(instance, "check", expect=1)
    for shown in (instance, instance / "archive.db", instance / "secret_key", instance / "demo-logins.txt",
                  instance / "indexes", instance / "media"):
        assert str(shown) in out, out

    run(instance, "init")
    assert loose(instance) == []
    assert "archive.db" not in run(instance, "check")


def test_check_looks_at_index_and_media_folders_outside_the_instance(tmp_path):
    instance, elsewhere = tmp_path / "instance", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (instance).mkdir(mode=0o700)
    (instance / "config.py").write_text(f"INDEX_DIR = {str(elsewhere / 'idx')!r}\n"
                                        f"MEDIA_DIR = {str(elsewhere / 'media')!r}\n")
    run(instance, "init")
    assert loose(elsewhere / "idx") == [] and loose(elsewhere / "media") == []
    (elsewhere / "idx").chmod(0o755)
    assert str(elsewhere / "idx") in run(instance, "check", expect=1)
