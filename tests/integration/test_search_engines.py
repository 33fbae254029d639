"""Choosing the search engine: an archive that changes engines rebuilds its indexes from the database,
and leaves nothing of the other engine's files behind (they may hold words purged since)."""
from __future__ import annotations

import pytest

from archive.identity import ANONYMOUS, SYSTEM
from archive.search import ENGINES, open_indexes
from archive.services import Archive
from tests.integration.test_search_language import document, record

from ..conftest import TODAY


def _open(database_url, tmp_path, engine) -> Archive:
    archive = Archive(database_url, tmp_path / "indexes", tmp_path / "media", clock=lambda: TODAY,
                      search_engine=engine)
    archive.init()
    return archive


@pytest.mark.parametrize("first, second", [("whoosh", "sqlite"), ("sqlite", "whoosh")])
def test_changing_engines_rebuilds_the_indexes_from_the_database(database_url, tmp_path, first, second):
    archive = _open(database_url, tmp_path, first)
    archive.transfer.import_document(SYSTEM, document(record("T-FERRY", "The ferry crossed at dawn.")))
    before = {p.name for p in (tmp_path / "indexes" / "public").iterdir()}
    archive.close()

    archive = _open(database_url, tmp_path, second)
    try:
        after = {p.name for p in (tmp_path / "indexes" / "public").iterdir()}
        assert not before & after  # none of the first engine's files is left
        assert [t.accession_id for t in archive.search.search(ANONYMOUS, "ferry").testimonies] == ["T-FERRY"]
        assert archive.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}
    finally:
        archive.close()


def test_an_unknown_engine_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown search engine 'elastic'"):
        open_indexes(tmp_path, "elastic")
    assert ENGINES == ("whoosh", "sqlite", "postgresql")


def test_compacting_keeps_every_testimony_and_later_purges(tmp_path):
    from tests.integration.test_search_index import assert_absent, make_docs
    indexes = open_indexes(tmp_path / "s", "sqlite")
    indexes.ensure()
    for n in range(12):
        indexes.replace_testimony("public", f"OH-{n}", make_docs(f"OH-{n}", [f"word{n} shared text"]))
    indexes.replace_testimony("public", "OH-C", make_docs("OH-C", ["Zyxcanaryhaddad was there"]))
    indexes.compact()
    assert indexes.search("public", "shared").total == 12
    indexes.replace_testimony("public", "OH-C", make_docs("OH-C", ["[withheld] was there"]))
    assert_absent(indexes, "public", "Zyxcanaryhaddad")
    indexes.close()


def test_a_failure_in_the_sqlite_writer_thread_fails_the_rebuild_and_keeps_the_old_index(tmp_path, monkeypatch):
    from archive.search.sqlite import store
    from tests.integration.test_search_index import make_docs
    indexes = open_indexes(tmp_path / "s", "sqlite")
    indexes.ensure()
    indexes.replace_testimony("public", "OH-1", make_docs("OH-1", ["survivor words"]))
    real = store.put

    def failing(conn, accession, *rest):
        if accession == "OH-3":
            raise OSError("disk full")
        return real(conn, accession, *rest)

    monkeypatch.setattr(store, "put", failing)
    docs = [d for n in range(2, 40) for d in make_docs(f"OH-{n}", [f"text {n}"])]
    with pytest.raises(OSError, match="disk full"):
        indexes.rebuild({"public": docs, "researcher": docs})
    monkeypatch.setattr(store, "put", real)
    assert indexes.testimony_ids("public") == {"OH-1"}
    assert sorted(p.name for p in indexes.root.iterdir() if p.is_dir()) == ["public", "researcher", "staff"]
    indexes.close()


@pytest.mark.parametrize("first, second", [("whoosh", "sqlite"), ("sqlite", "whoosh")])
def test_a_process_on_another_engine_refuses_to_write_into_the_index_until_init(tmp_path, first, second):
    from archive.search.layout import ForeignIndex
    from tests.integration.test_search_index import make_docs
    open_indexes(tmp_path, first).ensure()
    other = open_indexes(tmp_path, second)
    with pytest.raises(ForeignIndex, match="python -m app init"):
        other.replace_testimony("public", "OH-1", make_docs("OH-1", ["words"]))
    assert other.ensure() is True  # init: rebuilt with the configured engine
    other.replace_testimony("public", "OH-1", make_docs("OH-1", ["words"]))
    assert other.search("public", "words").total == 1
    other.close()


def test_the_snapshot_after_a_write_reads_only_what_changed_and_equals_a_full_read(tmp_path, monkeypatch):
    """A search after a redaction re-reads only the testimonies written since its snapshot; what it
    then holds (titles, years, facets) is what a full read gives, for changed, removed, new testimonies."""
    from archive.search.sqlite import reading
    from tests.integration.test_search_index import make_docs
    indexes = open_indexes(tmp_path / "s", "sqlite")
    indexes.ensure()
    for n, year in enumerate((1990, 2001, 2015)):
        indexes.replace_testimony("public", f"OH-{n}", make_docs(f"OH-{n}", ["ferry crossing"], year=year,
                                                                 subjects=(f"subject-{n}",)))
    assert indexes.search("public", "ferry").facets["subject"] == [("subject-0", 1), ("subject-1", 1),
                                                                    ("subject-2", 1)]
    reads = []
    monkeypatch.setattr(reading.Snapshot, "_add", lambda self, row, add=reading.Snapshot._add:
                        (reads.append(row[1]), add(self, row)))
    indexes.replace_testimony("public", "OH-1", make_docs("OH-1", ["ferry crossing"], year=1970,
                                                          subjects=("smuggling",), title="Renamed"))
    indexes.remove_testimony("OH-0")
    indexes.replace_testimony("public", "OH-9", make_docs("OH-9", ["ferry"], year=2020, subjects=("exile",)))
    result = indexes.search("public", "ferry", sort="date")
    assert sorted(reads) == ["OH-1", "OH-9"]  # OH-2 is unchanged and was not read again
    assert [(t.accession_id, t.title) for t in result.testimonies] == [
        ("OH-1", "Renamed"), ("OH-2", "Testimony OH-2"), ("OH-9", "Testimony OH-9")]
    assert dict(result.facets["subject"]) == {"smuggling": 1, "subject-2": 1, "exile": 1}
    assert indexes.search("public", "ferry", filters={"year": ["1990"]}).total == 0
    assert indexes.search("public", "ferry", filters={"year": ["1970"]}).total == 1
    with indexes._reader("public") as reader:
        incremental = reader.snap
        full = reading.snapshot(reader.conn)
    assert incremental == full
    indexes.close()


def test_a_write_to_every_audience_runs_them_all_and_then_reports_a_failure(tmp_path, monkeypatch):
    """The SQLite engine writes the audiences' files at once; one audience failing neither stops the
    others' writes nor goes unreported (the unit of work then re-syncs from the database)."""
    from tests.integration.test_search_index import make_docs
    indexes = open_indexes(tmp_path / "s", "sqlite")
    indexes.ensure()
    real = type(indexes).replace_testimonies
    threads = set()

    def replace(self, audience, batch, purge=True):
        import threading
        threads.add(threading.current_thread().name)
        if audience == "researcher":
            raise OSError("disk full")
        return real(self, audience, batch, purge)

    monkeypatch.setattr(type(indexes), "replace_testimonies", replace)
    docs = make_docs("OH-1", ["ferry crossing"])
    with pytest.raises(OSError, match="disk full"):
        indexes.replace_in_audiences({"public": {"OH-1": docs}, "researcher": {"OH-1": docs},
                                      "staff": {"OH-1": docs}})
    assert all(name.startswith("index-write") for name in threads) and len(threads) >= 1
    assert indexes.testimony_ids("public") == indexes.testimony_ids("staff") == {"OH-1"}
    assert indexes.testimony_ids("researcher") == set()
    indexes.close()
