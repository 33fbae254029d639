"""A large reindex on the SQLite engine prepares testimonies in worker processes: the indexes it
builds hold exactly what the single-process reindex builds, row for row, on both databases."""
from __future__ import annotations

import pytest

from archive.identity import ANONYMOUS, SYSTEM
from archive.search.sqlite import store
from archive.services import Archive, reindexing

from ..conftest import DEMO, EXAMPLE, TODAY


def _contents(archive: Archive) -> dict:
    out = {}
    for audience, path in archive.indexes.index_dirs().items():
        conn = store.connect(path / store.FILE)
        try:
            out[audience] = {
                table: list(conn.execute(sql)) for table, sql in (
                    ("testimony", "SELECT num, accession, title, year, year_from, year_to, facets, fingerprint, ndocs"
                                  " FROM testimony ORDER BY num"),
                    ("doc", "SELECT * FROM doc ORDER BY rowid"),
                    ("seg", "SELECT rowid, * FROM seg ORDER BY rowid"),
                    ("whole", "SELECT rowid, * FROM whole ORDER BY rowid"),
                    ("spell", "SELECT * FROM spell ORDER BY word"),
                    ("spelling", "SELECT * FROM spelling ORDER BY num"))}
        finally:
            conn.close()
    return out


@pytest.fixture
def sqlite_engine_archive(database_url, tmp_path):
    archive = Archive(database_url, tmp_path / "indexes", tmp_path / "media", clock=lambda: TODAY,
                      search_engine="sqlite")
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    yield archive
    archive.close()


def test_a_parallel_reindex_builds_the_same_indexes_as_one_process(sqlite_engine_archive, monkeypatch):
    archive = sqlite_engine_archive
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    counts = archive.index.reindex(SYSTEM)  # 13 testimonies: one process
    alone = _contents(archive)

    used = []
    monkeypatch.setattr(reindexing, "MIN_TESTIMONIES", 1)
    monkeypatch.setattr(reindexing, "CHUNK", 3)  # several tasks, handed back in order
    real = reindexing.prepared_views
    monkeypatch.setattr(reindexing, "prepared_views", lambda *a, **k: used.append(a) or real(*a, **k))
    assert archive.index.reindex(SYSTEM) == counts
    assert len(used) == 1  # the worker processes made this one
    assert _contents(archive) == alone
    assert archive.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}
    assert [t.accession_id for t in archive.search.search(ANONYMOUS, "Raqqa").testimonies]


def test_a_failing_worker_fails_the_reindex_and_keeps_the_old_index(sqlite_engine_archive, tmp_path, monkeypatch):
    archive = sqlite_engine_archive
    before = _contents(archive)
    monkeypatch.setattr(reindexing, "MIN_TESTIMONIES", 1)
    # The workers are spawned processes: the failure happens there and reaches the reindex.
    monkeypatch.setattr(archive.indexes, "prepare", _broken_prepare)
    with pytest.raises(RuntimeError, match="prepare failed for OH-"):
        archive.index.reindex(SYSTEM)
    assert _contents(archive) == before
    assert not [p for p in (tmp_path / "indexes").iterdir() if ".build-" in p.name]


def test_in_memory_databases_and_small_archives_stay_in_one_process():
    assert not reindexing.usable("sqlite://", store.Prepared, 10_000)
    assert not reindexing.usable("sqlite:///:memory:", store.Prepared, 10_000)
    assert not reindexing.usable("sqlite:////tmp/a.db", None, 10_000)  # Whoosh takes documents only
    assert not reindexing.usable("sqlite:////tmp/a.db", store.Prepared, reindexing.MIN_TESTIMONIES - 1)
    assert reindexing.usable("sqlite:////tmp/a.db", store.Prepared, reindexing.MIN_TESTIMONIES)
    assert reindexing.usable("postgresql+psycopg://u@h/db", store.Prepared, reindexing.MIN_TESTIMONIES)


def _broken_prepare(accession, docs):
    raise RuntimeError("prepare failed for %s" % accession)
