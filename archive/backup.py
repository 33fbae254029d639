"""Backups of a whole instance, and their restore into an empty one.

A backup is a folder: `backup.json` (what it is, whether it is encrypted and how the key is derived),
a manifest (every file with its SHA-256, the row count of every table, the schema revision) and the
files themselves: the database as the engine itself snapshots it (SQLite's `VACUUM INTO`, PostgreSQL's
`pg_dump` of an exported snapshot, so the media list read beside it is the same moment), then the media
originals and derivatives of the assets that snapshot holds. Search indexes are left out (a restore
rebuilds them from the database, the truth), and so is the secret key (it signs sessions; a backup
that carries it would let whoever holds the backup forge a sign-in to the running archive).

With a passphrase every file, the manifest included, is sealed with AES-256-GCM under a key derived
by scrypt, in 1 MiB chunks numbered and bound to the file's name, so a chunk cannot be dropped,
reordered, or moved to another file unnoticed; files get opaque names, so not even the media hashes
are readable.

A purge after a backup must not be undone by restoring it. Every purge and withdrawal is therefore
also appended to a *purge ledger*, a file kept apart from the database (`keep_ledger`), when its unit
of work flushes, before it commits: a ledger line whose commit then failed only re-applies what an
operator asked for, the safe direction. A restore reads the ledger and withdraws and purges again
everything it names, and refuses to run without one unless told there is none.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .errors import ConflictError, ValidationError
from .model import AuditEvent, Consent, Testimony

FORMAT = "testimony-archive-backup/1"
HEADER = "backup.json"
CHUNK = 1024 * 1024
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
_MAGIC = b"TAB1"
LEDGER_ACTIONS = {"testimony.purge": "purge", "consent.withdraw": "withdraw"}
RESTORED_REASON = "withdrawn after the backup this archive was restored from (purge ledger)"
_ORIGINAL = re.compile(r"media/originals/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}")
_DERIVATIVE = re.compile(r"media/derivatives/[a-z]+/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}/[a-z0-9][a-z0-9_.-]{0,60}")

log = logging.getLogger(__name__)


# -- the purge ledger --------------------------------------------------------------------------------

_LEDGERS: "weakref.WeakKeyDictionary[Engine, Path]" = weakref.WeakKeyDictionary()


def keep_ledger(archive, path: str | os.PathLike) -> Path:
    """Append this archive's purges and withdrawals to `path` from now on."""
    _LEDGERS[archive.db.engine] = Path(path)
    return Path(path)


def ledger_of(archive) -> Path | None:
    return _LEDGERS.get(archive.db.engine)


@event.listens_for(Session, "after_flush")
def _record_in_ledger(session: Session, _context) -> None:
    try:
        path = _LEDGERS.get(session.get_bind())
    except Exception:  # noqa: BLE001 - a session without one engine keeps no ledger
        return
    if path is None:
        return
    lines = [{"action": LEDGER_ACTIONS[e.action], "accession_id": e.target,
              "at": (e.at or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"), "by": e.actor}
             for e in session.new if isinstance(e, AuditEvent) and e.action in LEDGER_ACTIONS]
    if not lines:
        return
    # The tombstone's date is the archive's (its clock), which a restore gives back to it.
    dates = {t.accession_id: t.withdrawn_at for t in list(session.identity_map.values())
             if isinstance(t, Testimony) and t.withdrawn_at is not None}
    for line in lines:
        if line["accession_id"] in dates:
            line["withdrawn_at"] = dates[line["accession_id"]].isoformat()
    try:
        _append(path, lines)
    except OSError as exc:
        if any(line["action"] == "purge" for line in lines):
            # A purge the ledger does not know could come back with the next restore: refuse it.
            raise ValidationError(f"the purge ledger {path} cannot be written ({exc.strerror}); nothing was "
                                  "purged. Fix the ledger's folder and try again") from None
        # A withdrawal always goes through; only a restore of an older backup would miss it.
        log.error("withdrawal not written to the purge ledger %s: %s", path, exc)


def _append(path: Path, lines: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_ledgers(paths: Iterable[Path]) -> dict[str, dict]:
    """accession id -> {"purge": bool, "at": earliest entry, "withdrawn_at": the tombstone's date},
    over every ledger."""
    found: dict[str, dict] = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                accession, action, at = entry["accession_id"], entry["action"], entry["at"]
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash names nothing whole
            if not isinstance(accession, str) or action not in ("purge", "withdraw"):
                continue
            known = found.setdefault(accession, {"purge": False, "at": at, "withdrawn_at": None})
            known["purge"] |= action == "purge"
            known["at"] = min(known["at"], at)
            if isinstance(entry.get("withdrawn_at"), str):
                known["withdrawn_at"] = min(known["withdrawn_at"] or entry["withdrawn_at"], entry["withdrawn_at"])
    return found


# -- sealing -----------------------------------------------------------------------------------------

class _Sealer:
    def __init__(self, passphrase: str, kdf: dict):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        salt = base64.b64decode(kdf["salt"])
        key = Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(passphrase.encode("utf-8"))
        self.aead = AESGCM(key)

    @classmethod
    def new(cls, passphrase: str) -> tuple["_Sealer", dict]:
        kdf = {"name": "scrypt", "salt": base64.b64encode(os.urandom(16)).decode(), **SCRYPT}
        return cls(passphrase, kdf), kdf

    def seal(self, out, name: str, chunks: Iterable[bytes]) -> None:
        file_id = os.urandom(8)
        out.write(_MAGIC + file_id)
        buffer, n = bytearray(), 0
        for chunk in chunks:
            buffer += chunk
            while len(buffer) > CHUNK:
                self._emit(out, file_id, name, n, bytes(buffer[:CHUNK]), False)
                del buffer[:CHUNK]
                n += 1
        self._emit(out, file_id, name, n, bytes(buffer), True)

    def _emit(self, out, file_id: bytes, name: str, n: int, plain: bytes, final: bool) -> None:
        sealed = self.aead.encrypt(file_id + n.to_bytes(4, "big"), plain, _aad(name, n, final))
        out.write(len(sealed).to_bytes(4, "big") + bytes([final]) + sealed)

    def open(self, source, name: str) -> Iterator[bytes]:
        from cryptography.exceptions import InvalidTag

        head = source.read(12)
        if len(head) != 12 or head[:4] != _MAGIC:
            raise _Damaged()
        file_id, n = head[4:], 0
        while True:
            frame = source.read(5)
            if len(frame) != 5:
                raise _Damaged()   # cut short: its last chunk never came
            length, final = int.from_bytes(frame[:4], "big"), frame[4] == 1
            sealed = source.read(length)
            try:
                yield self.aead.decrypt(file_id + n.to_bytes(4, "big"), sealed, _aad(name, n, final))
            except InvalidTag:
                raise _Damaged() from None
            if final:
                if source.read(1):
                    raise _Damaged()
                return
            n += 1


def _aad(name: str, n: int, final: bool) -> bytes:
    return name.encode() + b"\0" + n.to_bytes(8, "big") + (b"\1" if final else b"\0")


class _Damaged(Exception):
    pass


# -- writing a backup --------------------------------------------------------------------------------

class _Writer:
    def __init__(self, root: Path, passphrase: str | None):
        self.root = root
        self.files: list[dict] = []
        self.sealer, self.kdf = _Sealer.new(passphrase) if passphrase else (None, None)

    def add(self, path: str, chunks: Iterable[bytes]) -> dict:
        stored = f"files/{len(self.files) + 1:06d}" if self.sealer else path
        target = self.root / stored
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size = hashlib.sha256(), 0

        def counted():
            nonlocal size
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                yield chunk

        with _private(target) as out:
            if self.sealer:
                self.sealer.seal(out, stored, counted())
            else:
                for chunk in counted():
                    out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        entry = {"path": path, "stored": stored, "sha256": digest.hexdigest(), "bytes": size}
        self.files.append(entry)
        return entry

    def finish(self, manifest: dict) -> None:
        manifest = {**manifest, "files": self.files}
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        header = {"format": FORMAT, "encrypted": bool(self.sealer), "created_at": manifest["created_at"]}
        if self.sealer:
            with _private(self.root / "manifest.sealed") as out:
                self.sealer.seal(out, "manifest.sealed", [data])
            header.update(manifest="manifest.sealed", kdf=self.kdf, cipher="AES-256-GCM, 1 MiB chunks")
        else:
            with _private(self.root / "manifest.json") as out:
                out.write(data)
            header["manifest"] = "manifest.json"
        header["not_included"] = manifest["not_included"]
        with _private(self.root / HEADER) as out:
            out.write((json.dumps(header, indent=1) + "\n").encode())
        for folder in {self.root, *(self.root / f["stored"] for f in self.files)}:
            _fsync_directory(folder if folder.is_dir() else folder.parent)


def _private(path: Path):
    """A new file (or one replaced whole) readable by its owner only, whatever the umask: backups and
    restored files hold legal names and every original."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


NOT_INCLUDED = {
    "secret key": "kept apart: it signs sessions, and a backup carrying it would let its holder forge sign-ins; "
                  "copy <instance>/secret_key (or SECRET_KEY) separately, or a new one is made (everyone signs in again)",
    "search indexes": "rebuilt from the database on restore",
    "purge ledger": "kept apart, so that a restore of this backup re-applies purges made after it",
}


def backup(archive, dest: str | os.PathLike, *, passphrase: str | None = None) -> dict:
    """Write a consistent backup of the live archive into the new folder `dest`."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConflictError(f"{dest} already exists: a backup never writes over another (choose a new folder)")
    if passphrase is not None and len(passphrase) < 8:
        raise ValidationError("a backup passphrase needs at least 8 characters")
    if archive.media_dir is None:
        raise ValidationError("this archive has no media store configured (MEDIA_DIR)")
    # Written beside its final name and renamed at the end: a folder named `dest` is always whole.
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o700)
    writer = _Writer(partial, passphrase)
    started = _now()
    try:
        engine = archive.db.engine.dialect.name
        if engine == "sqlite":
            snapshot = _snapshot_sqlite(archive, writer, partial)
        elif engine == "postgresql":
            snapshot = _snapshot_postgresql(archive, writer)
        else:
            raise ValidationError(f"backups of a {engine} database are not supported")
        gone = _copy_media(archive, writer, snapshot["assets"])
        manifest = {"format": FORMAT, "created_at": started, "engine": engine, "schema": snapshot.get("schema"),
                    "revision": snapshot["revision"], "rows": snapshot["rows"], "purged_while_copying": gone,
                    "not_included": NOT_INCLUDED}
        writer.finish(manifest)
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    from .identity import SYSTEM

    with archive.db.session() as session:
        archive.audit.record(session, SYSTEM, "archive.backup", "", dest=str(dest), files=len(writer.files),
                             encrypted=passphrase is not None)
    ledger = ledger_of(archive)
    if ledger is not None and not ledger.exists():
        # An instance that has been backed up has a ledger, even an empty one: a restore that finds
        # none knows the ledger was lost, not that there never were purges.
        _append(ledger, [])
    return {"dest": str(dest), "created_at": manifest["created_at"], "engine": engine, "rows": snapshot["rows"],
            "files": len(writer.files), "bytes": sum(f["bytes"] for f in writer.files),
            "encrypted": passphrase is not None, "not_included": NOT_INCLUDED}


def _snapshot_sqlite(archive, writer: _Writer, folder: Path) -> dict:
    import sqlite3

    fd, name = tempfile.mkstemp(dir=folder, prefix=".snapshot-")
    os.close(fd)
    os.unlink(name)     # VACUUM INTO wants to create the file itself
    copy = Path(name)
    try:
        with archive.db.engine.connect() as connection:
            connection.exec_driver_sql("VACUUM INTO ?", (str(copy),))
        db = sqlite3.connect(str(copy))
        try:
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            rows = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
            revision = _one(db.execute("SELECT version_num FROM alembic_version").fetchall()) \
                if "alembic_version" in tables else None
            assets = db.execute("SELECT key, sha256 FROM media_assets").fetchall() if "media_assets" in tables else []
        finally:
            db.close()
        writer.add("database.sqlite", _chunks(copy))
    finally:
        copy.unlink(missing_ok=True)
    return {"rows": rows, "revision": revision, "assets": assets}


def _one(rows) -> str | None:
    return rows[0][0] if rows else None


def _libpq(engine: Engine) -> tuple[str, dict]:
    """A libpq URL for the command-line tools (password in the environment, not in `ps`)."""
    url = engine.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run_tool(args: list[str], env: dict, stdin_chunks: Iterable[bytes] | None = None, stdout_writer=None):
    """Run pg_dump / pg_restore, streaming their data, with their complaint as the error's words."""
    if shutil.which(args[0]) is None:
        raise ValidationError(f"{args[0]} is not installed (Debian: postgresql-client; `make system-packages`)")
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
            args, env=env, stdin=subprocess.PIPE if stdin_chunks is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_writer else subprocess.DEVNULL, stderr=errors) as process:
        try:
            if stdout_writer:
                stdout_writer(iter(lambda: process.stdout.read(CHUNK), b""))
            if stdin_chunks is not None:
                try:
                    for chunk in stdin_chunks:
                        process.stdin.write(chunk)
                except BrokenPipeError:
                    pass   # the tool stopped early: its own message says why
                finally:
                    try:
                        process.stdin.close()
                    except BrokenPipeError:
                        pass
            status = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace").strip()
    if status != 0:
        raise ValidationError(f"{args[0]} failed (exit {status}): {said[-800:] or 'no message'}")


def _snapshot_postgresql(archive, writer: _Writer) -> dict:
    conninfo, env = _libpq(archive.db.engine)
    with archive.db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # pg_dump reads the very snapshot this transaction reads, so rows and media list agree.
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
            tables = list(connection.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                "AND table_type = 'BASE TABLE' ORDER BY table_name"), {"s": schema}).scalars())
            rows = {t: connection.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one() for t in tables}
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
                if "alembic_version" in tables else None
            assets = [tuple(r) for r in connection.exec_driver_sql("SELECT key, sha256 FROM media_assets")] \
                if "media_assets" in tables else []
            _run_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                       f"--schema={schema}", f"--dbname={conninfo}"], env,
                      stdout_writer=lambda chunks: writer.add("database.pgdump", chunks))
    return {"rows": rows, "revision": revision, "assets": assets, "schema": schema}


def _copy_media(archive, writer: _Writer, assets: list[tuple[str, str]]) -> list[str]:
    """Copy the originals and derivatives of the snapshot's assets; the SHA-256 of each original is
    checked as it is read. An original gone since the snapshot was purged meanwhile (the ledger says
    so, and a restore purges it again); any other missing or changed original stops the backup."""
    from .media import MediaStore
    from .model import MediaAsset

    store = MediaStore(archive.media_dir)
    gone = []
    for sha256 in sorted({sha for _, sha in assets}):
        path = store.path(sha256)
        if not path.is_file():
            with archive.db.session() as session:
                still = session.scalar(select(MediaAsset.id).where(MediaAsset.sha256 == sha256).limit(1))
            if still is None:
                gone.append(sha256)
                continue
            raise ValidationError(f"the original {sha256} is missing from the media store; run "
                                  "`python -m app fixity` and repair the store before backing up")
        entry = writer.add(f"media/originals/{sha256[:2]}/{sha256[2:4]}/{sha256}", _chunks(path))
        if entry["sha256"] != sha256:
            raise ValidationError(f"the original {sha256} no longer matches its SHA-256; run "
                                  "`python -m app fixity` before backing up")
    derivatives = store.root / "derivatives"
    for key, _ in sorted(assets):
        for audience_dir in sorted(derivatives.glob("*")) if derivatives.is_dir() else []:
            folder = audience_dir / key[:2] / key[2:4] / key
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if path.is_file() and not path.name.startswith("."):  # not a write cut short
                    writer.add(f"media/derivatives/{audience_dir.name}/{key[:2]}/{key[2:4]}/{key}/{path.name}",
                               _chunks(path))
    return gone


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- reading a backup --------------------------------------------------------------------------------

class _Reader:
    def __init__(self, src: Path, passphrase: str | None):
        self.src = src
        try:
            header = json.loads((src / HEADER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ValidationError(f"{src} is not a backup of this archive (no readable {HEADER})") from None
        if header.get("format") != FORMAT:
            raise ValidationError(f"{src} holds a backup in format {header.get('format')!r}; this version "
                                  f"reads {FORMAT}")
        self.sealer = None
        if header.get("encrypted"):
            if not passphrase:
                raise ValidationError("this backup is encrypted: give its passphrase (a prompt, or "
                                      "ARCHIVE_BACKUP_PASSPHRASE)")
            self.sealer = _Sealer(passphrase, header["kdf"])
            try:
                with open(src / "manifest.sealed", "rb") as f:
                    data = b"".join(self.sealer.open(f, "manifest.sealed"))
            except _Damaged:
                raise ValidationError("wrong passphrase for this backup (or its manifest is damaged)") from None
            except OSError as exc:
                raise ValidationError(f"cannot read the backup's manifest: {exc.strerror}") from None
        else:
            try:
                data = (src / "manifest.json").read_bytes()
            except OSError as exc:
                raise ValidationError(f"cannot read the backup's manifest: {exc.strerror}") from None
        try:
            self.manifest = json.loads(data)
        except ValueError:
            raise ValidationError("the backup's manifest is damaged") from None
        for entry in self.manifest["files"]:
            path, stored = entry["path"], entry["stored"]
            # Names become paths: a manifest must not write or read outside its folders.
            if not (path in ("database.sqlite", "database.pgdump") or _ORIGINAL.fullmatch(path)
                    or _DERIVATIVE.fullmatch(path)) or not (stored == path or re.fullmatch(r"files/\d{6}", stored)):
                raise ValidationError(f"the backup's manifest names an unexpected file {path!r}")

    def chunks(self, entry: dict) -> Iterator[bytes]:
        """The file's bytes as they were backed up; ValidationError if they are not."""
        digest, size = hashlib.sha256(), 0
        try:
            with open(self.src / entry["stored"], "rb") as f:
                source = self.sealer.open(f, entry["stored"]) if self.sealer else iter(lambda: f.read(CHUNK), b"")
                for chunk in source:
                    digest.update(chunk)
                    size += len(chunk)
                    yield chunk
        except _Damaged:
            raise self._damaged(entry) from None
        except OSError as exc:
            raise ValidationError(f"the backup is damaged: {entry['path']} cannot be read ({exc.strerror}); "
                                  "nothing was restored") from None
        if digest.hexdigest() != entry["sha256"] or size != entry["bytes"]:
            raise self._damaged(entry)

    @staticmethod
    def _damaged(entry: dict) -> ValidationError:
        return ValidationError(f"the backup is damaged: {entry['path']} does not match its SHA-256 in the "
                               "manifest")

    def verify(self) -> None:
        for entry in self.manifest["files"]:
            for _ in self.chunks(entry):
                pass


def is_encrypted(src: str | os.PathLike) -> bool:
    try:
        return bool(json.loads((Path(src) / HEADER).read_text(encoding="utf-8")).get("encrypted"))
    except (OSError, ValueError, AttributeError):
        return False     # the restore itself says what is wrong with it


def read_manifest(src: str | os.PathLike, passphrase: str | None = None) -> dict:
    return _Reader(Path(src), passphrase).manifest


# -- restoring ---------------------------------------------------------------------------------------

def restore(archive, src: str | os.PathLike, *, passphrase: str | None = None,
            ledgers: list[str | os.PathLike] | None = None) -> dict:
    """Restore a backup into this archive, which must be empty; then rebuild the indexes and
    withdraw and purge again whatever the purge ledgers name.

    `ledgers`: the purge ledgers to honour; None means the one `keep_ledger` gave this archive. Each
    must exist: a restore that cannot see the purges made since the backup refuses, unless it is
    told explicitly (an empty list) that there is no ledger."""
    from .identity import SYSTEM

    reader = _Reader(Path(src), passphrase)
    manifest = reader.manifest
    if ledgers is None:
        own = ledger_of(archive)
        ledgers = [own] if own is not None else []
        if own is None:
            raise ValidationError("no purge ledger is configured: a purge made after this backup would come "
                                  "back. Name the ledger, or say explicitly that there is none")
    ledgers = [Path(p) for p in ledgers]
    for path in ledgers:
        if not path.is_file():
            raise ValidationError(f"the purge ledger {path} does not exist: a purge made after this backup "
                                  "would come back. Give a copy of the ledger with --purges FILE, or "
                                  "--no-purge-ledger if no testimony was ever purged or withdrawn after the "
                                  "backup was made")
    purges = read_ledgers(ledgers)
    engine = archive.db.engine.dialect.name
    if manifest["engine"] != engine:
        raise ValidationError(f"this is a backup of a {manifest['engine']} archive; this instance uses "
                              f"{engine}: restore it into a {manifest['engine']} instance (then export and "
                              "import to move engines)")
    _check_revision(archive, manifest.get("revision"))
    _require_empty(archive)
    reader.verify()   # every byte checked before the first is written

    database = next(e for e in manifest["files"] if e["path"].startswith("database."))
    if engine == "sqlite":
        _restore_sqlite(archive, reader, database)
    else:
        _restore_postgresql(archive, reader, database, manifest.get("schema"))
    archive.db.engine.dispose()
    _restore_media(archive, reader)
    if not archive.init(take_over_index=True):   # restored here: this instance keeps its index now
        archive.index.reindex(SYSTEM)
    done = _reapply(archive, purges)
    with archive.unit_of_work() as session:
        archive.audit.record(session, SYSTEM, "archive.restore", "", backup=manifest["created_at"],
                             purged=done["purges"], withdrawn=done["withdrawals"])
    return {"created_at": manifest["created_at"], "rows": manifest["rows"], "files": len(manifest["files"]),
            **done}


def _check_revision(archive, revision: str | None) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    from alembic.config import Config

    from .db import MIGRATIONS

    if revision is None:
        return
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        ScriptDirectory.from_config(cfg).get_revision(revision)
    except CommandError:
        raise ValidationError(f"this backup was made by a newer version of the archive (schema revision "
                              f"{revision}): restore it with that version or a later one") from None


def _require_empty(archive) -> None:
    from sqlalchemy import inspect

    held = []
    with archive.db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            # (and who keeps the search index, and the postgresql engine's tables: derived, rebuilt on restore)
            if table in ("alembic_version", "search_index_owner", "search_state") or table.startswith("search_"):
                continue
            quoted = connection.dialect.identifier_preparer.quote(table)
            # `init` of an empty instance logs its index build: that alone holds nothing to lose.
            where = " WHERE action <> 'index.rebuild'" if table == "audit_events" else ""
            if connection.exec_driver_sql(f"SELECT 1 FROM {quoted}{where} LIMIT 1").first() is not None:
                held.append(table)
    media = archive.media_dir
    if media is not None and media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        held.append(f"media files in {media}")
    if held:
        raise ConflictError("this instance is not empty (it holds " + ", ".join(held[:6])
                            + (", ..." if len(held) > 6 else "") + "): a restore never merges into or "
                            "overwrites an archive. Restore into a new instance (empty database, media "
                            "and index folders)")


def _restore_sqlite(archive, reader: _Reader, entry: dict) -> None:
    path = Path(archive.db.engine.url.database)
    archive.db.engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(path.name + ".restoring")
    with _private(temp) as out:
        for chunk in reader.chunks(entry):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    for suffix in ("-wal", "-shm", ""):     # an empty database (checked) made by `init`
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(temp, path)
    _fsync_directory(path.parent)


def _restore_postgresql(archive, reader: _Reader, entry: dict, schema: str | None) -> None:
    conninfo, env = _libpq(archive.db.engine)
    with archive.db.engine.begin() as connection:
        target = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        source = schema or target
        if source != target and connection.execute(text(
                "SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": source}).first():
            raise ValidationError(f"this backup holds schema {source!r}, which exists beside this instance's "
                                  f"{target!r}: restore into {source!r} or drop it")
        # The tables an `init` of the empty instance made (all checked empty) give way to the backup's.
        for name in connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": target}).scalars():
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{target}"."{name}" CASCADE')
        for signature in connection.execute(text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = :s"), {"s": target}).scalars():
            connection.exec_driver_sql(f'DROP FUNCTION IF EXISTS {signature} CASCADE')
        if source != target:
            # pg_dump names its schema in every statement: the target takes that name while loading.
            connection.exec_driver_sql(f'ALTER SCHEMA "{target}" RENAME TO "{source}"')
    try:
        _run_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                   f"--schema={source}", f"--dbname={conninfo}"],
                  env, stdin_chunks=reader.chunks(entry))
    finally:
        if source != target:
            with archive.db.engine.begin() as connection:
                connection.exec_driver_sql(f'ALTER SCHEMA "{source}" RENAME TO "{target}"')


def _restore_media(archive, reader: _Reader) -> None:
    root = Path(archive.media_dir)
    for entry in reader.manifest["files"]:
        if not entry["path"].startswith("media/"):
            continue
        target = root / entry["path"].removeprefix("media/")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = target.with_name(".tmp-restoring-" + target.name)
        with _private(temp) as out:
            for chunk in reader.chunks(entry):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o400)     # as the media store writes them: read-only, owner only
        os.replace(temp, target)
        _fsync_directory(target.parent)


def _reapply(archive, purges: dict[str, dict]) -> dict:
    """Withdraw and purge again what the ledgers name and the restored database has not yet withdrawn
    or purged: the tombstone wins over the backup."""
    from .identity import SYSTEM
    from .services.records import is_purged

    withdrawn, purged = [], []
    for accession, entry in sorted(purges.items()):
        with archive.db.session() as session:
            testimony = session.scalar(select(Testimony).where(Testimony.accession_id == accession))
            if testimony is None or is_purged(testimony):
                continue    # made after the backup, or purged before it
            state = testimony.state
        if state != "withdrawn":
            archive.consent.withdraw(SYSTEM, accession, RESTORED_REASON)
            _date_withdrawal(archive, accession, entry["withdrawn_at"] or entry["at"])
            withdrawn.append(accession)
        if entry["purge"]:
            archive.consent.purge(SYSTEM, accession, accession)
            purged.append(accession)
    return {"purges": purged, "withdrawals": withdrawn}


def _date_withdrawal(archive, accession: str, at: str) -> None:
    """The tombstone keeps the day the narrator withdrew, not the day of the restore."""
    try:
        day = dt.datetime.fromisoformat(at).date()
    except ValueError:
        return
    with archive.db.session() as session:
        testimony = session.scalar(select(Testimony).where(Testimony.accession_id == accession))
        testimony.withdrawn_at = day
        consent = session.scalar(select(Consent).where(Consent.testimony_id == testimony.id))
        if consent is not None:
            consent.withdrawn_date = day
