"""Engine and sessions: SQLite by default (WAL, durable, secure delete), PostgreSQL by URL."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from . import private_files, readonly

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    _shared_pragmas(cursor)
    cursor.close()


def _read_only_pragmas(dbapi_connection, _record) -> None:
    # No journal_mode: setting it writes the file's header. query_only makes any write that slips past
    # the services' refusal fail in SQLite too, before it touches the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    _shared_pragmas(cursor)
    cursor.close()


def _shared_pragmas(cursor) -> None:
    cursor.execute("PRAGMA synchronous=FULL")
    # Deleted content (a purged testimony, a withdrawn name) is overwritten, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for another database or one in memory)."""
    name = engine.url.database if engine.dialect.name == "sqlite" else None
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def sqlite_path(url: str) -> Path | None:
    """The database file a SQLite URL names (None for another database or one in memory)."""
    parsed = make_url(url)
    name = parsed.database if parsed.get_backend_name() == "sqlite" else None
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def make_engine(url: str, read_only: bool = False) -> Engine:
    """`read_only`: open the SQLite file for reading only (see archive/readonly.py), and write nothing
    to it or beside it."""
    if url.startswith("sqlite") and read_only:
        path = sqlite_path(url)
        engine = create_engine(readonly.sqlite_url(path) if path else url,
                               connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _read_only_pragmas)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        path = sqlite_file(engine)
        if path is not None:
            @event.listens_for(engine, "do_connect")
            def _private(*_):  # before SQLite creates the file with the umask's mode
                if path.parent.is_dir():
                    private_files.create_file(path)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _refuse_writes(session: Session, _context, _instances) -> None:
    # Net changes only: a reader may set an attribute of a loaded record to what it already held.
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise readonly.ReadOnly()


class Database:
    def __init__(self, url: str, read_only: bool = False):
        self.url = url
        self.read_only = read_only
        self.engine = make_engine(url, read_only)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if read_only:
            # Every write of every service (an audit event of a sign-in or of a restricted read too)
            # ends in a flush: refused here with the plain message, whatever the database.
            event.listen(self._sessions, "before_flush", _refuse_writes)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def schema_revision(self) -> tuple[str | None, str]:
        """The schema's Alembic revision and the newest this code knows, read without writing."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision(), head

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def files(self) -> list[Path]:
        """The files holding this database on this machine: SQLite's file and its journals."""
        path = sqlite_path(self.url)   # the engine's own URL may be a read-only file: URI
        if path is None:
            return []
        return [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]

    def dispose(self) -> None:
        self.engine.dispose()
