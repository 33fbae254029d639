"""Backup and restore on SQLite and PostgreSQL: a snapshot taken while the archive is live, the
instance lost, then restored into an empty instance with its users, audit log, revisions, media and
image redactions; a purge made after the backup stays a purge; an encrypted or damaged backup."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import sys
import urllib.parse

import pytest
from PIL import Image
from sqlalchemy import func, select

from archive import backup
from archive.errors import ArchiveError
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive import model
from archive.model import AuditEvent, ImageRedaction, MediaAsset, Revision, User
from archive.services import Archive
from tests.conftest import EXAMPLE, PASSWORD, ROOT, TODAY

ANN = for_role("archivist", 1, "ann")
BOB = for_role("archivist", 2, "bob")
ADMIN = for_role("admin", 4, "ada")
OH1 = "OH-2015-0001"
OH2 = "OH-2015-0002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def photo(colour=(90, 110, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "PNG")
    return buffer.getvalue()


def populate(archive: Archive) -> None:
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.users.add(SYSTEM, "rita", "researcher", PASSWORD)
    archive.users.add(SYSTEM, "ann", "archivist", PASSWORD)
    asset = archive.media.add(ANN, OH1, photo(), "at home.png", caption="At home")
    box = archive.media.add_redaction(ANN, asset["id"], box=[10, 10, 60, 60], category="person", reason="a face")
    archive.media.approve_redaction(BOB, asset["id"], box["key"])
    archive.media.add(ANN, OH2, photo((200, 10, 10)), "letter.png")
    archive.media.add(ANN, OH2, PDF, "form.pdf", kind="consent-form")


def counts(archive: Archive) -> dict:
    with archive.db.session() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (User, AuditEvent, Revision, MediaAsset, ImageRedaction, model.Testimony)}


def audit_rows(archive: Archive) -> list:
    with archive.db.session() as session:
        return [(e.id, e.actor, e.action, e.target) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def files(archive: Archive) -> dict:
    """Every file of the media store (originals and derivatives) with the SHA-256 of its bytes."""
    root = archive.media_dir
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def wipe(archive: Archive) -> None:
    """The instance is lost: its database, media store and indexes."""
    url = archive.db.url
    archive.close()
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        import psycopg
        schema = search_path(url)
        raw = url.split("?")[0].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
    shutil.rmtree(archive.media_dir, ignore_errors=True)
    shutil.rmtree(archive.indexes.root, ignore_errors=True)


def search_path(url: str) -> str:
    options = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["options"][0]
    return options.split("search_path=", 1)[1]


def reopen(archive: Archive, today=TODAY) -> Archive:
    """An empty instance at the same places, as an operator has after re-provisioning the machine."""
    return Archive(archive.db.url, archive.indexes.root, archive.media_dir, clock=lambda: today)


@pytest.fixture
def ledger(tmp_path, archive):
    path = tmp_path / "kept-apart" / "purges.jsonl"
    backup.keep_ledger(archive, path)
    return path


def test_a_lost_instance_comes_back_whole(archive, ledger, tmp_path):
    populate(archive)
    before, events, media = counts(archive), audit_rows(archive), files(archive)
    report = backup.backup(archive, tmp_path / "backup")
    assert report["rows"]["users"] == 2 and report["rows"]["image_redactions"] == 1
    manifest = backup.read_manifest(tmp_path / "backup")
    originals = {f["sha256"] for f in manifest["files"] if f["path"].startswith("media/originals/")}
    with archive.db.session() as session:
        assert originals == set(session.scalars(select(MediaAsset.sha256)))

    wipe(archive)
    restored = reopen(archive)
    try:
        result = backup.restore(restored, tmp_path / "backup", ledgers=[ledger])
        assert result["purges"] == []
        after = counts(restored)
        # the restore adds its own entries to the audit log, after every restored one
        assert {**after, "audit_events": before["audit_events"]} == before
        restored_events = audit_rows(restored)
        assert restored_events[:len(events)] == events
        assert "archive.restore" in [action for _, _, action, _ in restored_events[len(events):]]
        assert files(restored) == media
        # a backup and a restored store hold every original: readable by their owner only
        for path in [*(tmp_path / "backup").rglob("*"), *restored.media_dir.rglob("*")]:
            assert path.stat().st_mode & 0o077 == 0 or path.is_dir(), path
        assert restored.users.authenticate(SYSTEM, "rita", PASSWORD).audience.label == "researcher"
        assert restored.users.authenticate(SYSTEM, "ann", "wrong") is None
        with restored.db.session() as session:
            box = session.scalar(select(ImageRedaction))
            assert (box.box, box.state, box.approved_by) == ((10, 10, 60, 60), "approved", BOB.describe())
        assert all(not (r["missing"] or r["unexpected"]) for r in restored.index.check(SYSTEM).values())
        assert restored.media.fixity(SYSTEM)["ok"]
        assert restored.search.search(SYSTEM, "canadian").testimonies
        # the archive keeps working: a new write gets a fresh id after the restored ones
        restored.users.add(SYSTEM, "newcomer", "researcher", PASSWORD)
    finally:
        restored.close()


def test_a_restore_refuses_an_instance_that_holds_anything(archive, ledger, tmp_path):
    populate(archive)
    backup.backup(archive, tmp_path / "backup")
    with pytest.raises(ArchiveError, match="already exists"):
        backup.backup(archive, tmp_path / "backup")
    before = counts(archive)
    with pytest.raises(ArchiveError, match="not empty"):
        backup.restore(archive, tmp_path / "backup", ledgers=[ledger])
    assert counts(archive) == before


def test_a_purge_after_the_backup_stays_a_purge(archive, ledger, tmp_path):
    populate(archive)
    backup.backup(archive, tmp_path / "backup")
    with archive.db.session() as session:
        purged_files = set(session.scalars(select(MediaAsset.sha256).join(model.Testimony)
                                           .where(model.Testimony.accession_id == OH2)))
    archive.consent.withdraw(SYSTEM, OH2, "the narrator asked")
    archive.consent.purge(ADMIN, OH2, OH2)
    archive.consent.withdraw(SYSTEM, OH1, "the narrator asked too")     # withdrawn, not purged
    assert ledger.is_file()

    wipe(archive)
    restored = reopen(archive, TODAY + dt.timedelta(days=30))   # restored a month later
    restored.init()
    try:
        with pytest.raises(ArchiveError, match="purge"):     # no ledger at all: refused, not ignored
            backup.restore(restored, tmp_path / "backup", ledgers=[tmp_path / "nowhere.jsonl"])
        result = backup.restore(restored, tmp_path / "backup", ledgers=[ledger])
        assert (result["purges"], result["withdrawals"]) == ([OH2], [OH1, OH2])
        assert not restored.search.search(ANONYMOUS, "canadian").testimonies
        with restored.db.session() as session:
            testimony = session.scalar(select(model.Testimony).where(model.Testimony.accession_id == OH2))
            assert (testimony.state, testimony.title, testimony.media) == ("withdrawn", "", [])
            withdrawn = session.scalar(select(model.Testimony).where(model.Testimony.accession_id == OH1))
            assert (withdrawn.state, withdrawn.withdrawn_at, withdrawn.consent.withdrawn_date) == \
                ("withdrawn", TODAY, TODAY)
            assert withdrawn.title         # withdrawn is not purged: the archive keeps its content
            assert session.scalar(select(func.count()).select_from(Revision)
                                  .where(Revision.accession_id == OH2)) == 0
        assert not any(sha in path for path in files(restored) for sha in purged_files)
        assert all(not (r["missing"] or r["unexpected"]) for r in restored.index.check(SYSTEM).values())
        assert restored.media.fixity(SYSTEM)["ok"]
    finally:
        restored.close()


def test_a_purge_while_the_backup_copies_the_media_is_honoured(archive, ledger, tmp_path, monkeypatch):
    """The database snapshot still holds the testimony; its files are gone by the time they are copied."""
    populate(archive)
    name = "_snapshot_sqlite" if archive.db.engine.dialect.name == "sqlite" else "_snapshot_postgresql"
    snapshot = getattr(backup, name)

    def then_purge(*args):
        taken = snapshot(*args)
        archive.consent.withdraw(SYSTEM, OH2, "the narrator asked")
        archive.consent.purge(ADMIN, OH2, OH2)
        return taken

    monkeypatch.setattr(backup, name, then_purge)
    backup.backup(archive, tmp_path / "backup")
    assert len(backup.read_manifest(tmp_path / "backup")["purged_while_copying"]) == 2
    wipe(archive)
    restored = reopen(archive)
    try:
        assert backup.restore(restored, tmp_path / "backup", ledgers=[ledger])["purges"] == [OH2]
        assert restored.media.fixity(SYSTEM)["ok"]
        assert all(not (r["missing"] or r["unexpected"]) for r in restored.index.check(SYSTEM).values())
    finally:
        restored.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)   # encryption: the same code on both
def test_an_encrypted_backup_reveals_nothing_and_needs_its_passphrase(backend, archive, ledger, tmp_path):
    populate(archive)
    backup.backup(archive, tmp_path / "backup", passphrase="a long passphrase")
    stored = b"".join(p.read_bytes() for p in (tmp_path / "backup").rglob("*") if p.is_file())
    for secret in (b"EXAMPLE-LEGAL-NAME-1", b"SQLite format 3", b"\x89PNG", b"%PDF", b"rita"):
        assert secret not in stored
    with archive.db.session() as session:
        for sha in session.scalars(select(MediaAsset.sha256)):
            assert sha.encode() not in stored
    wipe(archive)
    restored = reopen(archive)
    restored.init()     # an empty instance an operator has already initialised takes a restore too
    try:
        with pytest.raises(ArchiveError, match="passphrase"):
            backup.restore(restored, tmp_path / "backup", ledgers=[ledger])
        with pytest.raises(ArchiveError, match="passphrase"):
            backup.restore(restored, tmp_path / "backup", ledgers=[ledger], passphrase="wrong")
        assert counts(restored)["testimonies"] == 0
        backup.restore(restored, tmp_path / "backup", ledgers=[ledger], passphrase="a long passphrase")
        assert counts(restored)["users"] == 2 and restored.media.fixity(SYSTEM)["ok"]
    finally:
        restored.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)   # the checks run before either engine
def test_a_damaged_backup_is_refused_before_anything_is_written(backend, archive, ledger, tmp_path):
    populate(archive)
    backup.backup(archive, tmp_path / "backup")
    original = next((tmp_path / "backup" / "media" / "originals").rglob("*"))
    while original.is_dir():
        original = next(original.iterdir())
    original.chmod(0o600)
    original.write_bytes(original.read_bytes()[:-1] + b"!")
    wipe(archive)
    restored = reopen(archive)
    try:
        with pytest.raises(ArchiveError, match=original.name):
            backup.restore(restored, tmp_path / "backup", ledgers=[ledger])
        manifest = tmp_path / "backup" / "manifest.json"
        manifest.write_text(manifest.read_text().replace('"revision": "', '"revision": "9999-from-the-future-'))
        with pytest.raises(ArchiveError, match="newer version"):
            backup.restore(restored, tmp_path / "backup", ledgers=[ledger])
        assert not restored.media_dir.exists() or not any(restored.media_dir.rglob("*.png"))
    finally:
        restored.close()


# -- the two commands, as an operator runs them ------------------------------------------------------

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = VENV_PYTHON if VENV_PYTHON.exists() else sys.executable


def run(instance, *args, expect=0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_") or k == "ARCHIVE_SEARCH_ENGINE"}
    env.update(ARCHIVE_INSTANCE_PATH=str(instance), COLUMNS="1000", NO_COLOR="1")
    done = subprocess.run([str(PYTHON), "-m", "app", *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert done.returncode == expect, f"{args}: exit {done.returncode}, wanted {expect}\n{output}"
    assert "Traceback" not in output, output
    return output


def test_the_backup_and_restore_commands(tmp_path):
    live, spare = tmp_path / "live", tmp_path / "spare"
    run(live, "import", EXAMPLE)
    out = run(live, "backup", tmp_path / "backup")
    assert "secret key" in out.lower()
    key = (live / "secret_key").read_text().strip().encode()
    assert not any(key in p.read_bytes() for p in (tmp_path / "backup").rglob("*") if p.is_file())
    assert "not empty" in run(live, "restore", tmp_path / "backup", expect=1)
    assert "ARCHIVE_BACKUP_PASSPHRASE" in run(live, "backup", tmp_path / "sealed", "--encrypt", expect=1)
    out = run(spare, "restore", tmp_path / "backup", expect=1)       # no purge ledger where it is kept
    assert "--no-purge-ledger" in out
    shutil.copy(live / "purges.jsonl", tmp_path / "purges-copy.jsonl")
    run(spare, "restore", tmp_path / "backup", "--purges", tmp_path / "purges-copy.jsonl")
    run(spare, "check")
    run(spare, "fixity")


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_postgresql_backup_restores_into_another_database(backend, archive, ledger, tmp_path, postgres_url):
    import uuid

    import psycopg

    populate(archive)
    before = counts(archive)
    backup.backup(archive, tmp_path / "backup")
    database = f"t_{uuid.uuid4().hex[:12]}"
    raw = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    other = Archive(url, tmp_path / "other" / "indexes", tmp_path / "other" / "media", clock=lambda: TODAY)
    try:
        backup.restore(other, tmp_path / "backup", ledgers=[ledger])
        assert {**counts(other), "audit_events": 0} == {**before, "audit_events": 0}
        with other.db.engine.connect() as connection:    # the tables are in the database's own schema
            assert connection.exec_driver_sql("SELECT current_schema()").scalar_one() == "public"
            assert connection.exec_driver_sql("SELECT count(*) FROM public.users").scalar_one() == 2
        assert other.media.fixity(SYSTEM)["ok"]
        assert all(not (r["missing"] or r["unexpected"]) for r in other.index.check(SYSTEM).values())
    finally:
        other.close()
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
