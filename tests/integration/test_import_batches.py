"""Issue 15, finding 2: an import holds the archive's write lock one batch at a time, so a withdrawal
started during a long import waits for one batch at most, and goes through; when a write cannot get
the lock, it says so in plain words."""
from __future__ import annotations

import threading

import pytest

from archive.errors import ArchiveError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.search.locks import IndexLockTimeout
from archive.services import transfer
from tests import killing

ARCHIVIST = for_role("archivist", username="archivist")


def test_a_withdrawal_during_a_long_import_goes_through_before_the_import_ends(archive, monkeypatch):
    archive.transfer.import_document(SYSTEM, parse_document(killing.many(1, prefix="OLD"), "old.json"))
    first_batch_in = threading.Event()
    may_go_on = threading.Event()
    real_batch = transfer.TransferService._import_batch
    calls = []

    def gated_batch(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:          # between batches, where the import holds no lock
            first_batch_in.set()
            assert may_go_on.wait(60)
        return real_batch(self, *args, **kwargs)
    monkeypatch.setattr(transfer.TransferService, "_import_batch", gated_batch)
    failures = []

    def run_import():
        try:
            archive.transfer.import_document(SYSTEM, parse_document(killing.many(3 * transfer.IMPORT_BATCH,
                                                                                   prefix="NEW"), "new.json"))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert first_batch_in.wait(60)
        # One batch is in; the rest are still to come. The withdrawal takes the lock between them.
        archive.consent.withdraw(ARCHIVIST, "OLD-0000", reason="asked during an import")
        assert importer.is_alive()
        assert archive.search.search(ANONYMOUS, "smuggling", pagesize=100).total == transfer.IMPORT_BATCH
    finally:
        may_go_on.set()
        importer.join(120)
    assert failures == []
    found = {h.accession_id for h in archive.search.search(ANONYMOUS, "smuggling", pagesize=100).testimonies}
    assert "OLD-0000" not in found and len(found) == 3 * transfer.IMPORT_BATCH


def test_a_write_that_cannot_get_the_lock_says_so_in_plain_words(archive, monkeypatch):
    archive.transfer.import_file(SYSTEM, killing.EXAMPLE)
    archive.indexes.writer_timeout = 0.05
    holder = threading.Event()
    release = threading.Event()

    def hold():
        with archive.indexes.writing():
            holder.set()
            release.wait(10)
    thread = threading.Thread(target=hold)
    thread.start()
    holder.wait(10)
    try:
        with pytest.raises(IndexLockTimeout) as info:
            archive.consent.withdraw(ARCHIVIST, "OH-2015-0001", reason="busy")
        assert isinstance(info.value, ArchiveError)
        assert "busy with another change" in str(info.value) and "nothing was written" in str(info.value)
    finally:
        release.set()
        thread.join()
    assert archive.testimonies.get(ANONYMOUS, "OH-2015-0001")   # nothing was written


def test_an_import_that_stopped_is_finished_with_resume(archive):
    data = killing.many(2 * transfer.IMPORT_BATCH + 3, prefix="RES")
    first = {**data, "testimonies": data["testimonies"][:transfer.IMPORT_BATCH]}
    archive.transfer.import_document(SYSTEM, parse_document(first, "part.json"))
    with pytest.raises(ArchiveError, match="--resume"):
        archive.transfer.import_document(SYSTEM, parse_document(data, "all.json"))
    result = archive.transfer.import_document(SYSTEM, parse_document(data, "all.json"), resume=True)
    assert len(result["skipped"]) == transfer.IMPORT_BATCH
    assert len(result["testimonies"]) == transfer.IMPORT_BATCH + 3
    assert archive.search.search(ANONYMOUS, "smuggling", pagesize=100).total == 2 * transfer.IMPORT_BATCH + 3
