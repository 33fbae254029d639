"""Issue 15, finding 4: a read-only instance (a mirror on read-only media, a disk that turned read-only)
keeps serving readers and says that edits are off, on both search engines.

The instance is set up on a small tmpfs, then the tmpfs is remounted read-only (root, as here and in
CI; chmod does not stop root). Where mounting is not allowed, the READ_ONLY setting forces the mode on
an ordinary folder, so the test still runs."""
from __future__ import annotations

import gc
import io
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from archive.identity import SYSTEM, for_role
from archive.model import User
from tests.audio_samples import sine_wav
from tests.conftest import EXAMPLE, PASSWORD, ROOT, TODAY, csrf_from

MESSAGE = "This archive is read-only: edits are off"
ARCHIVIST = for_role("archivist", username="archivist")


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


def _make_app(instance, engine, **extra):
    from app import create_app
    # (JOB_QUEUE immediate: the recording's versions are made before the disk turns read-only.)
    return create_app({"INSTANCE_PATH": str(instance), "SEARCH_ENGINE": engine, "TESTING": True,
                       "SESSION_COOKIE_SECURE": False, "TODAY": TODAY.isoformat(), "JOB_QUEUE": "immediate",
                       **extra})


@pytest.fixture(params=["whoosh", "sqlite"])
def read_only_instance(request, tmp_path):
    """(instance folder, engine, extra settings, the archivist's user id): an archive with the example
    collection and an archivist, then made read-only."""
    engine = request.param
    mount = tmp_path / "media"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    try:
        instance = mount / "instance"
        app = _make_app(instance, engine)
        archive = app.extensions["archive"]
        archive.init()
        archive.transfer.import_file(SYSTEM, EXAMPLE)
        archive.users.add(SYSTEM, "archivist", "archivist", PASSWORD)
        photo = archive.media.add(SYSTEM, "OH-2015-0001", _jpeg(), "street.jpg")["id"]
        recording = archive.media.add(SYSTEM, "OH-2015-0001", sine_wav(3), "interview.wav", kind="audio")["id"]
        with archive.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.username == "archivist"))
        archive.close()
        archive.indexes.close()
        extra = {}
        if mounted:
            gc.collect()   # a Whoosh reader of a merged-away segment, still open, keeps the mount busy
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        else:
            extra = {"READ_ONLY": True}
        yield instance, engine, extra, user_id, (photo, recording)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def test_readers_are_served_and_edits_refused(read_only_instance):
    instance, engine, extra, user_id, (photo, recording) = read_only_instance
    app = _make_app(instance, engine, **extra)
    try:
        assert app.extensions["archive"].read_only
        client = app.test_client()
        home = client.get("/")
        assert home.status_code == 200
        assert MESSAGE not in home.get_data(as_text=True)   # the public needs no notice
        found = client.get("/search?q=Raqqa")
        assert found.status_code == 200 and "OH-2015-0001" in found.get_data(as_text=True)
        page = client.get("/testimonies/OH-2015-0001")
        assert page.status_code == 200 and "OH-2015-0001" in page.get_data(as_text=True)
        assert client.get("/testimonies/OH-2015-0001/cite").status_code == 200
        assert client.get(f"/media/{photo}/thumb.png").status_code == 200
        assert client.get(f"/media/{recording}/audio").status_code == 404   # consent: no audio published
        api = client.get("/api/v1/search?q=Raqqa")
        assert api.status_code == 200 and api.get_json()["total"] >= 1
        assert client.get("/api/v1/testimonies/OH-2015-0001").get_json()["accession_id"] == "OH-2015-0001"

        # Sign-in would be audited, and the audit log cannot be written: refused, with the reason.
        token = csrf_from(client, "/signin")
        refused = client.post("/signin", data={"username": "archivist", "password": PASSWORD,
                                               "csrf_token": token})
        assert refused.status_code == 503 and MESSAGE in refused.get_data(as_text=True)

        # A session from before the disk turned read-only: staff see the notice, and edits are off.
        with client.session_transaction() as session:
            session["user_id"] = user_id
        staff_page = client.get("/staff/")
        assert staff_page.status_code == 200 and MESSAGE in staff_page.get_data(as_text=True)
        heard = client.get(f"/media/{recording}/audio")
        heard.close()   # a file response: its file is let go here
        assert heard.status_code == 200
        token = csrf_from(client, "/staff/")
        post = client.post("/staff/testimonies/OH-2015-0001/state",
                           data={"state": "draft", "csrf_token": token})
        assert post.status_code == 503 and MESSAGE in post.get_data(as_text=True)
        assert MESSAGE in client.get("/").get_data(as_text=True)
    finally:
        app.extensions["archive"].close()


def _cli(instance, engine, extra, *args):
    env = {**os.environ, "ARCHIVE_INSTANCE_PATH": str(instance), "ARCHIVE_SEARCH_ENGINE": engine}
    if extra.get("READ_ONLY"):
        env["ARCHIVE_READ_ONLY"] = "true"
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_reports_read_only_without_a_traceback(read_only_instance):
    instance, engine, extra, _, _ = read_only_instance
    done = _cli(instance, engine, extra, "check")
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output
    assert "Traceback" not in output
    assert "read-only" in output
    assert "Database and indexes agree" in output
    withdraw = _cli(instance, engine, extra, "consent", "withdraw", "OH-2015-0001", "--reason", "x")
    assert withdraw.returncode == 1 and "Traceback" not in withdraw.stderr
    assert MESSAGE in withdraw.stderr
    init = _cli(instance, engine, extra, "init")
    assert init.returncode == 1 and "Traceback" not in init.stderr and MESSAGE in init.stderr


def test_a_withdrawal_left_in_the_write_ahead_log_is_honoured(tmp_path):
    """A disk that turned read-only under a live process keeps its last commits in SQLite's -wal file:
    the read-only instance must read them (immutable=1 would not), or a withdrawal could come back."""
    mount = tmp_path / "media"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        instance = mount / "instance"
        app = _make_app(instance, "whoosh")
        app.extensions["archive"].init()
        app.extensions["archive"].transfer.import_file(SYSTEM, EXAMPLE)
        app.extensions["archive"].close()
        pid = os.fork()
        if pid == 0:   # a server killed after its last commit: nothing checkpoints the -wal file
            try:
                child = _make_app(instance, "whoosh").extensions["archive"]
                child.consent.withdraw(ARCHIVIST, "OH-2015-0001", reason="narrator's request")
            finally:
                os.kill(os.getpid(), signal.SIGKILL)
        os.waitpid(pid, 0)
        assert (instance / "archive.db-wal").exists()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        app = _make_app(instance, "whoosh")
        try:
            client = app.test_client()
            gone = client.get("/testimonies/OH-2015-0001")
            # The tombstone, from the commit only the -wal file holds: not the testimony.
            assert gone.status_code == 410 and "Raqqa" not in gone.get_data(as_text=True)
            assert client.get("/api/v1/search?q=Raqqa").get_json()["total"] == 0
        finally:
            app.extensions["archive"].close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_forced_read_only_builds_nothing_and_refuses_a_schema_it_cannot_read(tmp_path):
    """READ_ONLY on a writable disk: a recording's missing derivative is not built (404, as for a
    recording that cannot be heard), and a database of another schema is refused in one line."""
    instance = tmp_path / "instance"
    app = _make_app(instance, "sqlite")
    archive = app.extensions["archive"]
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    recording = archive.media.add(SYSTEM, "OH-2015-0001", sine_wav(3), "interview.wav", kind="audio")["id"]
    archive.users.add(SYSTEM, "archivist", "archivist", PASSWORD)
    with archive.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.username == "archivist"))
    archive.close()
    derivatives = instance / "media" / "derivatives" / "archivist"
    for built in [p for p in derivatives.rglob("*") if p.is_file()]:
        built.unlink()

    app = _make_app(instance, "sqlite", READ_ONLY=True)
    try:
        client = app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = user_id
        assert client.get(f"/media/{recording}/audio").status_code == 404
        assert not [p for p in derivatives.rglob("*") if p.is_file()]
    finally:
        app.extensions["archive"].close()

    import sqlite3
    with sqlite3.connect(instance / "archive.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'an-older-one'")
    done = _cli(instance, "sqlite", {"READ_ONLY": True}, "check")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot upgrade it" in done.stderr and "an-older-one" in done.stderr
