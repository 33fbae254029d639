"""Wiring: one Archive object holds the database, the search indexes, the clock and the services."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from ..db import Database
from ..search import SearchIndexes


class Archive:
    def __init__(self, database_url: str, index_dir: str | Path, media_dir: str | Path | None = None,
                 clock: Callable[[], dt.date] | None = None):
        self.db = Database(database_url)
        self.indexes = SearchIndexes(Path(index_dir))
        self.media_dir = Path(media_dir) if media_dir else None
        self._clock = clock or dt.date.today

        from .audit import AuditService
        from .consent import ConsentService
        from .indexing import IndexService
        from .redactions import RedactionService
        from .search import SearchService
        from .testimonies import TestimonyService
        from .transfer import TransferService
        from .users import UserService

        self.audit = AuditService(self)
        self.index = IndexService(self)
        self.testimonies = TestimonyService(self)
        self.redactions = RedactionService(self)
        self.consent = ConsentService(self)
        self.search = SearchService(self)
        self.transfer = TransferService(self)
        self.users = UserService(self)

    def today(self) -> dt.date:
        return self._clock()

    def init(self) -> None:
        """Create or upgrade the schema and the indexes; safe to run again."""
        self.db.migrate()
        self.indexes.ensure()

    def services(self) -> list:
        return [self.audit, self.index, self.testimonies, self.redactions, self.consent, self.search,
                self.transfer, self.users]

    def close(self) -> None:
        self.db.dispose()
