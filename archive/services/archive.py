"""Wiring: one Archive object holds the database, the search indexes, the clock and the services."""
from __future__ import annotations

import datetime as dt
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy.orm import Session

from .. import private_files
from .. import readonly
from .. import reserve
from ..db import Database, sqlite_path
from ..search import choose_engine, existing_engine, open_indexes


log = logging.getLogger(__name__)


class Archive:
    def __init__(self, database_url: str, index_dir: str | Path, media_dir: str | Path | None = None,
                 clock: Callable[[], dt.date] | None = None, search_engine: str | None = None,
                 reserve_mb: int | None = None, read_only: bool = False):
        """`search_engine`: "whoosh" or "sqlite" (see archive.search.ENGINES); None takes the
        ARCHIVE_SEARCH_ENGINE environment variable, which the app's SEARCH_ENGINE setting also reads,
        so scripts and tests made without the app use the same engine as the app beside them. With
        neither, the archive keeps the engine its indexes have, a new one the default (choose_engine)."""
        # Forced by the READ_ONLY setting, or found at start (archive/readonly.py).
        self.read_only = bool(read_only) or readonly.detect(sqlite_path(database_url), Path(index_dir))
        self.db = Database(database_url, read_only=self.read_only)
        # Disk kept back for withdrawals on a full disk (archive/reserve.py); the app's DISK_RESERVE_MB.
        self.reserve_bytes = int(reserve_mb if reserve_mb is not None
                                 else os.environ.get("ARCHIVE_DISK_RESERVE_MB") or 64) * 2 ** 20
        self.search_engine, self.search_engine_reason = choose_engine(
            index_dir, search_engine or os.environ.get("ARCHIVE_SEARCH_ENGINE"), database_url)
        if self.read_only:   # indexes of another engine cannot be rebuilt: read the ones there are
            self.search_engine = existing_engine(index_dir) or self.search_engine
        self.indexes = open_indexes(Path(index_dir), self.search_engine, database=self.db)
        self.indexes.read_only = self.read_only
        self.media_dir = Path(media_dir) if media_dir else None
        self._clock = clock or dt.date.today

        from .audit import AuditService
        from .bags import BagService
        from .consent import ConsentService
        from .dashboard import DashboardService
        from .exchange import ExchangeService
        from .exports import ExportService
        from .gate import PublicationGate
        from .history import HistoryService
        from .indexing import IndexService
        from .intake import IntakeService
        from .jobs import JobService
        from .media import MediaService
        from .oai import OaiService
        from .preview import PreviewService
        from .records import RecordService
        from .redactions import RedactionService
        from .search import SearchService
        from .segments import SegmentService
        from .sensitive import SensitiveTermService
        from .testimonies import TestimonyService
        from .transfer import TransferService
        from .users import UserService

        self.audit = AuditService(self)
        self.index = IndexService(self)
        self.gate = PublicationGate(self)
        self.testimonies = TestimonyService(self)
        self.redactions = RedactionService(self)
        self.consent = ConsentService(self)
        self.search = SearchService(self)
        self.transfer = TransferService(self)
        self.intake = IntakeService(self)
        self.users = UserService(self)
        self.media = MediaService(self)
        self.sensitive = SensitiveTermService(self)
        self.preview = PreviewService(self)
        self.dashboard = DashboardService(self)
        self.records = RecordService(self)
        self.history = HistoryService(self)
        self.segments = SegmentService(self)
        self.oai = OaiService(self)
        # Slow work off the request (services/jobs.py); the app configures its queue (JOB_QUEUE).
        self.jobs = JobService(self)
        self.bags = BagService(self)
        self.exports = ExportService(self)    # collections and the archive, exported by a job (issue 16)
        self.exchange = ExchangeService(self)   # OHMS, WebVTT and SRT of one testimony (issue 14)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A write: database changes and index updates together, under the archive's write lock.

        What only hides reaches the indexes before the commit; the rest after it (IndexService.sync),
        so an index never holds what the database did not accept. If anything fails after the indexes
        were updated, the touched testimonies are re-indexed from what the database actually holds.
        """
        after: list[Callable[[], None]] = []
        with self.indexes.writing():
            touched: set[str] = set()
            try:
                with self.db.session() as session:
                    session.info["touched"] = touched
                    yield session
                    # An engine in the database writes its rows here, in the records' transaction.
                    self.index.write_in_transaction(session)
                    # Its tables' dead rows (the words this change removed) are vacuumed by a job: a
                    # VACUUM reads each of a table's indexes whole, work that grows with the archive.
                    for audience in sorted(session.info.pop("search_vacuum", set())):
                        self.jobs.queue_job(session, "vacuum", testimony=None, target=audience, who="system")
                    session.commit()
                    after = session.info.pop("after_commit", [])
                    self.index.write_deferred(session)
                self.indexes.clear_pending(touched)
            except BaseException as exc:
                if touched and not self.indexes.in_database:   # (in the database: rolled back with it)
                    try:
                        self.index._resync(touched)  # the archive itself repairs after a rollback
                    except Exception:   # noqa: BLE001 - the pending marks stay: replayed later
                        log.exception("re-indexing after a failed write failed; it is retried at the next "
                                      "start or search")
                if isinstance(exc, Exception) and reserve.is_disk_full(exc):
                    raise reserve.full_disk_message() from None
                raise
        # What waits for the commit and needs no lock (the job queue: services/jobs.py), once it is let go.
        for hook in after:
            hook()

    def today(self) -> dt.date:
        return self._clock()

    def init(self, progress: Callable[[str, int], None] | None = None, take_over_index: bool = False) -> bool:
        """Create or upgrade the schema and the indexes; safe to run again. Indexes made anew (a new
        install, a lost index, one an older version or another engine wrote) are filled from the
        database, with `progress` as in IndexService.reindex. True if they were. Refuses a local index
        on a database whose index another instance keeps (IndexService.claim; `take_over_index`)."""
        if self.read_only:
            return readonly.start(self)
        self.db.migrate()
        self.index.claim(take_over=take_over_index)
        rebuilt = self.indexes.ensure()
        if rebuilt:
            from ..identity import SYSTEM
            self.index.reindex(SYSTEM, progress=progress)
        else:
            self.index.replay_pending()   # what a process killed mid-write left behind
        self.oai.backfill()   # published testimonies OAI-PMH does not know yet (an older archive, an embargo lifted)
        if self.reserve_bytes and not reserve.make(self.indexes.root, self.reserve_bytes):
            log.warning("not enough disk space for the archive's reserve of %d MB: a withdrawal on a full "
                        "disk could fail. Free space and run init again.", self.reserve_bytes // 2 ** 20)
        private_files.tighten(self.private_paths())  # what an older version or a restore left readable
        return rebuilt

    def private_paths(self) -> list[Path]:
        """Where this archive keeps its data on this machine, to be readable by its owner only."""
        return [*self.db.files(), self.indexes.root, *([self.media_dir] if self.media_dir else [])]

    def services(self) -> list:
        return [self.audit, self.index, self.testimonies, self.redactions, self.consent, self.search,
                self.transfer, self.users, self.media, self.intake, self.sensitive, self.preview,
                self.dashboard, self.records, self.history, self.segments, self.bags, self.oai,
                self.jobs, self.exchange]

    def close(self) -> None:
        self.db.dispose()
        self.jobs._close()
