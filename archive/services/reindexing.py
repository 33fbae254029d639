"""A full reindex on every core: worker processes read testimonies, make each audience's view and
analyse its documents, and the indexing process only inserts the rows they hand back.

Making views and analysing text is Python, which one process runs on one core at a time; inserting
is SQLite's C. Split this way a 2-core machine runs both at once. The workers read the database in
their own connections while the reindex holds the index write lock, which every write to the
database that changes what an index shows also holds, so they read what the reindex itself would.

Workers are spawned, not forked (the parent holds connections, locks and threads); like every use of
spawn, a script that reindexes must keep its top-level work under `if __name__ == "__main__":`.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator

from ..views import archive_wide_terms

CHUNK = 50  # testimonies a worker reads, views and prepares per task
MIN_TESTIMONIES = 400  # below this, starting the workers costs more than they save

_worker: dict = {}


def workers() -> int:
    """Processes preparing testimonies: one per core. The inserting process mostly waits in SQLite's C
    and shares the cores (at 1,000 testimonies on 2 cores: 82 s in one process, 73 s with one worker,
    55 s with two)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def usable(database_url: str, prepare, count: int) -> bool:
    """Worth it and possible: an engine that takes prepared rows, a database other processes can open."""
    in_memory = database_url.startswith("sqlite") and (
        database_url.rstrip("/").endswith("sqlite:") or ":memory:" in database_url or "mode=memory" in database_url)
    return prepare is not None and not in_memory and count >= MIN_TESTIMONIES


def _start(database_url: str, today: str, prepare: Callable) -> None:
    from ..db import Database
    _worker.update(db=Database(database_url), today=dt.date.fromisoformat(today), prepare=prepare)


def _prepare(ids: list[int]) -> list[tuple[str, dict]]:
    from .base import Service
    from .indexing import audience_documents
    prepare, today = _worker["prepare"], _worker["today"]
    out = []
    with _worker["db"].session() as session:
        authorities = Service.authorities(session)
        terms = archive_wide_terms(session)
        for testimony in Service.testimonies_by_id(session, ids):
            docs = audience_documents(testimony, today, authorities, terms)
            out.append((testimony.accession_id,
                        {name: prepare(testimony.accession_id, d) for name, d in docs.items()}))
    return out


def prepared_views(database_url: str, today: dt.date, ids: list[int], prepare: Callable,
                   processes: int | None = None) -> Iterator[tuple[str, dict]]:
    """(accession id, audience -> prepared rows) for the testimonies `ids` (in accession order), made
    by worker processes a few tasks ahead of the consumer, so memory holds a few chunks, not the archive."""
    processes = processes or workers()
    chunks = [ids[k:k + CHUNK] for k in range(0, len(ids), CHUNK)]
    # spawn, not fork: the parent holds database connections, locks and threads a fork would copy.
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(database_url, today.isoformat(), prepare))
    try:
        pending = deque(pool.submit(_prepare, chunk) for chunk in chunks[:processes * 3])
        following = iter(chunks[processes * 3:])
        while pending:
            done = pending.popleft().result()
            chunk = next(following, None)
            if chunk is not None:
                pending.append(pool.submit(_prepare, chunk))
            yield from done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
