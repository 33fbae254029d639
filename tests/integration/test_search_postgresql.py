"""The PostgreSQL search engine: the index lives in the archive's database and commits with the records,
so that every server on that database (here: Archive objects with instance folders of their own) answers
as of the last commit, with no search state of its own."""
from __future__ import annotations

import shutil
import threading
import time

import psycopg
import pytest

from archive.errors import ArchiveError
from archive.identity import ANONYMOUS, SYSTEM
from archive.services import Archive
from tests.integration.test_search_language import document, ids, record

from ..conftest import TODAY


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request, postgres_url):
    """(Overrides tests/conftest.py's: PostgreSQL only.)"""
    if postgres_url is None:
        pytest.skip("PostgreSQL not reachable (set ARCHIVE_TEST_DATABASE_URL); CI runs these")
    return "postgresql"


@pytest.fixture
def servers(database_url, tmp_path):
    """Two servers on one database, each with an instance folder of its own."""
    made = [Archive(database_url, tmp_path / name / "indexes", tmp_path / name / "media", clock=lambda: TODAY,
                    search_engine="postgresql") for name in ("a", "b")]
    made[0].init()
    made[1].init()
    yield made
    for archive in made:
        archive.close()


def test_a_withdrawal_through_one_server_is_gone_from_the_next_search_on_another(servers):
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "We met near the clock tower at dawn."),
                                                record("T-FERRY", "The ferry crossed at dawn.")))
    assert ids(b, "clock") == ["T-CLOCK"]            # b never wrote it: it reads what a committed
    assert b.search.suggest(ANONYMOUS, "cloc") == ["clock"]
    a.consent.withdraw(SYSTEM, "T-CLOCK", "the narrator asked")
    assert ids(b, "clock") == [] and ids(b, "tower") == []
    assert ids(b, "dawn") == ["T-FERRY"]
    assert b.search.suggest(ANONYMOUS, "cloc") == []
    assert b.search.search(ANONYMOUS, "").facets["collection"] == [("alpha", 1)]
    for archive in (a, b):
        assert archive.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}


def test_index_rows_roll_back_with_the_records(servers, monkeypatch):
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "We met near the clock tower.")))
    written = []

    class Boom(Exception):
        pass

    def write_then_fail(session):
        write(session)
        written.append(a.indexes.dump("public"))   # (another connection: not committed, not seen)
        with session.connection().connection.driver_connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM search_public_testimony")
            written.append(cur.fetchone()[0])     # in the transaction: the withdrawal's rows are gone
        raise Boom()   # after the index rows were written in the transaction, before its commit

    write = a.index.write_in_transaction
    monkeypatch.setattr(a.index, "write_in_transaction", write_then_fail)
    with pytest.raises(Boom):
        a.consent.withdraw(SYSTEM, "T-CLOCK", "the narrator asked")
    assert b"clock" in written[0] and written[1] == 0
    monkeypatch.undo()
    assert ids(a, "clock") == ids(b, "clock") == ["T-CLOCK"]   # neither the record nor its rows changed
    assert a.indexes.pending() == []


def test_a_new_archive_on_postgresql_gets_the_postgresql_engine(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("ARCHIVE_SEARCH_ENGINE", raising=False)
    archive = Archive(database_url, tmp_path / "indexes", tmp_path / "media", clock=lambda: TODAY)
    try:
        assert (archive.search_engine, archive.search_engine_reason) == (
            "postgresql", "the default for a new archive on PostgreSQL")
        archive.init()
        assert (tmp_path / "indexes" / "engine").read_text().strip() == "postgresql"
    finally:
        archive.close()


def test_a_second_instance_folder_with_a_local_index_is_refused_with_what_to_set(tmp_path):
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    first = Archive(url, tmp_path / "a" / "indexes", search_engine="sqlite", clock=lambda: TODAY)
    first.init()
    first.init()   # the same instance again: its own index
    first.close()
    second = Archive(url, tmp_path / "b" / "indexes", search_engine="sqlite", clock=lambda: TODAY)
    try:
        with pytest.raises(ArchiveError) as refused:
            second.init()
        message = str(refused.value)
        assert str(tmp_path / "a" / "indexes") in message and "SEARCH_ENGINE=postgresql" in message
        assert "--take-over-index" in message
        assert second.init(take_over_index=True) is not None   # the first folder gone for good: taken over
    finally:
        second.close()
    first = Archive(url, tmp_path / "a" / "indexes", search_engine="sqlite", clock=lambda: TODAY)
    try:
        with pytest.raises(ArchiveError):
            first.init()   # now the first is the other one
    finally:
        first.close()
    shutil.copytree(tmp_path / "b", tmp_path / "moved")   # the instance folder moved whole: still its own
    moved = Archive(url, tmp_path / "moved" / "indexes", search_engine="sqlite", clock=lambda: TODAY)
    try:
        assert moved.init() is False
    finally:
        moved.close()


@pytest.mark.postgres
def test_a_local_index_on_a_database_the_postgresql_engine_indexes_is_refused(servers, tmp_path):
    local = Archive(servers[0].db.url, tmp_path / "c" / "indexes", search_engine="sqlite", clock=lambda: TODAY)
    try:
        with pytest.raises(ArchiveError, match=r"the database itself \(SEARCH_ENGINE=postgresql\)"):
            local.init()
    finally:
        local.close()


def test_the_engine_refuses_a_sqlite_database(tmp_path):
    with pytest.raises(ValueError, match="PostgreSQL database"):
        Archive(f"sqlite:///{tmp_path / 'archive.db'}", tmp_path / "indexes", search_engine="postgresql")



def test_a_rebuild_keeps_what_another_server_committed_while_it_started(servers, monkeypatch):
    """A rebuild on one server while another writes: what the other commits as the rebuild starts (a new
    testimony, a withdrawal) is in the rebuilt tables, either read by the rebuild or written after it.
    The rebuild used to list the testimonies before locking the tables, and lost one published between."""
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "We met near the clock tower at dawn.")))
    listed, writes = a.index.all_testimony_ids, []

    def write():
        b.transfer.import_document(SYSTEM, document(record("T-FERRY", "The ferry crossed at dawn.")))
        b.consent.withdraw(SYSTEM, "T-CLOCK", "the narrator asked")

    def listed_while_another_server_writes(session, *args, **kwargs):
        ids = listed(session, *args, **kwargs)
        if not writes:
            writes.append(threading.Thread(target=write))
            writes[0].start()
            # Until the other server is done, or waits for a lock (the rebuild's, on its tables).
            with psycopg.connect(a.db.url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
                while writes[0].is_alive() and not conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()").fetchone()[0]:
                    time.sleep(0.02)
        return ids

    monkeypatch.setattr(a.index, "all_testimony_ids", listed_while_another_server_writes)
    a.index.reindex(SYSTEM)
    writes[0].join(timeout=60)
    assert ids(b, "dawn") == ids(a, "dawn") == ["T-FERRY"]
    assert a.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}


def test_a_withdrawal_does_not_wait_for_another_servers_import_of_the_same_words(servers, monkeypatch):
    """Every testimony holds "the": a writer's word counts and generations are written last in its
    transaction, so a withdrawal through another server does not wait while an import is still writing
    its batch."""
    from archive.search.postgresql import tables
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "We met at the clock at dawn.")))
    paused, release, importer = threading.Event(), threading.Event(), []
    write = tables.write

    def write_slowly(cur, audience, accession, *args):
        # (the last testimony of the last audience: the others' rows are written by then)
        if threading.current_thread() in importer and accession == "T-2" and audience == "staff":
            paused.set()
            release.wait(60)
        return write(cur, audience, accession, *args)

    monkeypatch.setattr(tables, "write", write_slowly)
    importer.append(threading.Thread(target=b.transfer.import_document, args=(SYSTEM, document(
        record("T-1", "The ferry crossed at dawn."), record("T-2", "The boat crossed at dawn.")))))
    importer[0].start()
    try:
        assert paused.wait(30)
        withdrawal = threading.Thread(target=a.consent.withdraw, args=(SYSTEM, "T-CLOCK", "the narrator asked"))
        withdrawal.start()
        withdrawal.join(15)
        assert not withdrawal.is_alive(), "the withdrawal waited for the import's transaction"
    finally:
        release.set()
        importer[0].join(60)
    assert ids(b, "dawn") == ids(a, "dawn") == ["T-1", "T-2"] and ids(a, "clock") == []
    with a.db.engine.connect() as conn:
        counted = conn.exec_driver_sql("SELECT field, word, docs FROM search_public_word ORDER BY 1, 2").all()
    a.index.reindex(SYSTEM)
    with a.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT field, word, docs FROM search_public_word ORDER BY 1, 2").all() == counted
    assert ("text", "dawn", 2) in counted and not any(w == "clock" for _, w, _ in counted)


# -- the testimony-level layout: postings for finding, counting and ranking -------------------------
def test_and_finds_a_testimony_whose_words_are_in_different_documents(servers):
    """As on the SQLite engine, a query's words are looked for in the whole testimony (here the title is
    the meta document's, the ferry the transcript segment's); the page shows the segments with either."""
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "The ferry crossed at dawn.", title="The clock tower"),
                                                record("T-NIGHT", "The ferry crossed at night.")))
    assert ids(b, "clock AND ferry") == ["T-CLOCK"]
    assert ids(b, "ferry -clock") == ["T-NIGHT"]
    assert ids(b, '"ferry crossed"') == ["T-CLOCK", "T-NIGHT"]
    assert ids(b, '"crossed ferry"') == []   # a phrase is verified on the segments' positions
    # A very common word and the next are a lexeme of their own (tables.COMMON): found as one word.
    assert ids(b, '"at dawn"') == ["T-CLOCK"] and ids(b, '"the ferry crossed at"') == ["T-CLOCK", "T-NIGHT"]
    assert ids(b, '"dawn at"') == [] and ids(b, '"at ferry"') == []
    found = b.search.search(ANONYMOUS, "clock AND dawn")
    assert found.total == 1 and found.testimonies[0].hits


def _sqlite_twin(tmp_path, doc):
    twin = Archive(f"sqlite:///{tmp_path / 'twin.db'}", tmp_path / "twin" / "indexes", tmp_path / "twin" / "media",
                   clock=lambda: TODAY, search_engine="sqlite")
    twin.init()
    twin.transfer.import_document(SYSTEM, doc)
    return twin


def test_counts_facets_and_order_are_the_sqlite_engines(servers, tmp_path):
    def corpus():
        return document(
            record("T-2015", "The ferry left at night. My family waited at the border.", date="2015-06-02",
                   places=["Beirut"]),
            record("T-UNCERTAIN", "The ferry was late, the border closed.", date="2015?", role="smuggler"),
            record("T-DECADE", "A ferry in the decade, a ferry again.", date="201X", collection="beta"),
            record("T-SPAN", "Over two years the family crossed.", date="2012/2013", role="aid worker",
                   title="Ferry crossings"),
            record("T-FR", "La famille a traversé la frontière de nuit.", lang="fr", date="1990-05"),
            record("T-UNDATED", "A border without a date.", date=None, collection="beta"))
    a = servers[0]
    a.transfer.import_document(SYSTEM, corpus())
    twin = _sqlite_twin(tmp_path, corpus())
    try:
        for query, filters in [("ferry", None), ("ferry AND border", None), ("family OR border", None),
                               ('"the border"', None), ("fer*", None), ("border NOT ferry", None),
                               ("", {"collection": ["beta"]}), ("ferry", {"collection": ["alpha"]}),
                               ("year:2015", None), ("role:smuggler border", None), ("title:ferry OR night", None), ("famille", None)]:
            mine, theirs = (x.search.search(ANONYMOUS, query, filters=filters) for x in (a, twin))
            assert mine.error is None and theirs.error is None, query
            assert mine.total == theirs.total, query
            assert mine.facets == theirs.facets, query
            assert {t.accession_id for t in mine.testimonies} == {t.accession_id for t in theirs.testimonies}, query
        # Ranked alike: the testimony saying "ferry" most, and in its title, first.
        assert ids(a, "ferry")[:2] == ids(twin, "ferry")[:2]
    finally:
        twin.close()


def test_snippets_mark_the_words_the_sqlite_engine_marks(servers, tmp_path):
    """This engine marks a snippet's words at the positions its tsvector holds, without analysing the
    text again: the same words as the SQLite engine's analysis marks."""
    def corpus():
        return document(
            record("T-CROSS", "We crossed the river; crossing it <again> & again, the crossings never ended. "
                              "Crossed, CROSSED, cross-roads at the river's mouth."),
            record("T-FR", "Nous avons traversé la frontière. La frontière était fermée, les frontières aussi.",
                   lang="fr"),
            record("T-LONG", " ".join(["filler"] * 120 + ["the", "river", "again"] + ["filler"] * 60 + ["river"])))
    a = servers[0]
    a.transfer.import_document(SYSTEM, corpus())
    twin = _sqlite_twin(tmp_path, corpus())
    try:
        compared = 0
        for query in ("crossed", "river", "cross*", "frontière", '"the river"', "river AND again", "again"):
            mine, theirs = (x.search.search(ANONYMOUS, query) for x in (a, twin))
            snippets = [{h.doc_id: h.snippet_html for t in r.testimonies for h in t.hits} for r in (mine, theirs)]
            shared = snippets[0].keys() & snippets[1].keys()
            assert shared, query
            for doc_id in shared:
                assert snippets[0][doc_id] == snippets[1][doc_id], (query, doc_id)
                compared += "<mark>" in snippets[0][doc_id]
        assert compared >= 7
    finally:
        twin.close()


def test_an_older_table_layout_is_rebuilt_on_start(servers, tmp_path):
    a = servers[0]
    a.transfer.import_document(SYSTEM, document(record("T-OLD", "The ferry at dawn.")))
    with a.db.engine.begin() as conn:   # as layout 1 left it: no postings, no comment
        conn.exec_driver_sql("DROP TABLE search_public_post")
        conn.exec_driver_sql("COMMENT ON TABLE search_public_testimony IS NULL")
    again = Archive(a.db.url, tmp_path / "c" / "indexes", tmp_path / "c" / "media", clock=lambda: TODAY,
                    search_engine="postgresql")
    try:
        assert again.init() is True
        assert ids(again, "ferry") == ids(a, "ferry") == ["T-OLD"]
        assert again.init() is False
    finally:
        again.close()


def test_a_rebuild_writes_what_the_writes_wrote(servers):
    """Word counts and postings kept up testimony by testimony (a withdrawal taking some away) equal a
    rebuild's from the records; pairs are postings, never counted words."""
    a = servers[0]
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "The ferry crossed at dawn.", title="The clock"),
                                                record("T-NIGHT", "The ferry crossed at night."),
                                                record("T-GONE", "The ferry sank at dawn, the clock stopped.")))
    a.consent.withdraw(SYSTEM, "T-GONE", "the narrator asked")

    def rows():
        with a.db.engine.connect() as conn:
            words = conn.exec_driver_sql("SELECT field, word, docs FROM search_public_word ORDER BY 1, 2").all()
            post = conn.exec_driver_sql("SELECT lexeme, accession, tf FROM search_public_post JOIN "
                                        "search_public_testimony USING (num) ORDER BY 1, 2").all()
        return words, post

    written = rows()
    assert ("text~", "the ferri", 1) not in written[0] and ("text~:the ferri", "T-NIGHT", 1) in written[1]
    assert not any("sank" in w for _, w, _ in written[0])
    a.index.reindex(SYSTEM)
    assert rows() == written


def test_the_dead_rows_of_a_withdrawal_are_vacuumed_by_a_job_not_in_the_request(servers, tmp_path, monkeypatch):
    """A VACUUM reads each of a table's indexes whole (its cost grows with the archive: 9 s once at
    5,350 testimonies), so the write that deleted rows queues it; the job removes them."""
    from sqlalchemy import select

    from archive.model import Job
    from archive.services.jobs import configure
    a, _ = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "We met near the clock tower."),
                                                record("T-FERRY", "The ferry crossed at dawn.")))
    configure(a, "", tmp_path / "a")      # a queue that a worker would take from: nothing runs in the request
    (tmp_path / "a").mkdir(exist_ok=True)
    vacuumed = []
    vacuum = a.indexes.vacuum
    monkeypatch.setattr(a.indexes, "vacuum", lambda audiences: (vacuumed.append(sorted(audiences)), vacuum(audiences)))

    a.consent.withdraw(SYSTEM, "T-CLOCK", "the narrator asked")
    assert vacuumed == []
    with a.db.session() as session:
        jobs = {j.target: (j.id, j.state) for j in session.scalars(select(Job).where(Job.kind == "vacuum"))}
    # (Staff still find a withdrawn testimony: their rows were not rewritten.)
    assert sorted(jobs) == ["public", "researcher"] and {s for _, s in jobs.values()} == {"queued"}

    a.consent.withdraw(SYSTEM, "T-FERRY", "the narrator asked")   # the jobs still waiting cover this one too
    with a.db.session() as session:
        assert len(session.scalars(select(Job).where(Job.kind == "vacuum")).all()) == 2

    done = a.jobs.run(SYSTEM, jobs["public"][0])
    assert done["state"] == "finished" and done["title"] == "Search tables vacuumed"
    assert vacuumed == [["public"]]
    assert ids(a, "clock") == ids(a, "ferry") == []


def test_phrase_checks_are_kept_for_one_generation_only(servers):
    """A phrase's checks are kept for the searches after (a ticked facet's second search, a place's other
    names), and let go by the next write, which moves the audience's generation on."""
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-CLOCK", "We met near the clock tower.")))
    assert ids(b, '"clock tower"') == ["T-CLOCK"]
    generation = b.indexes.version("public")[1]
    held = b.indexes.verified("public", generation)
    assert any(checked == {"T-CLOCK": True} for checked in held._held.values())
    a.transfer.import_document(SYSTEM, document(record("T-TOWER", "The tower clock had stopped.")))
    assert ids(b, '"clock tower"') == ["T-CLOCK"] and ids(b, '"tower clock"') == ["T-TOWER"]
    assert b.indexes.verified("public", generation + 1) is not held
    assert b.indexes.verified("public", b.indexes.version("public")[1])._held != held._held


def test_the_whole_list_and_its_counts_are_made_once_a_generation(servers):
    """Every testimony's order and facet counts (home, the API's list) are kept with the generation's
    snapshot: the next write through any server makes them anew."""
    a, b = servers
    a.transfer.import_document(SYSTEM, document(record("T-1", "The ferry at dawn."),
                                                record("T-2", "The clock at dawn.", collection="beta")))
    first = b.indexes.browse("public", page=1, pagesize=1)
    assert first.total == 2 and [t.accession_id for t in first.testimonies] == ["T-1"]
    assert b.indexes.browse("public", page=2, pagesize=1).testimonies[0].accession_id == "T-2"
    assert dict(first.facets["collection"]) == {"alpha": 1, "beta": 1}
    a.transfer.import_document(SYSTEM, document(record("T-0", "The boat at night.", collection="beta")))
    again = b.indexes.browse("public", page=1, pagesize=1)
    assert again.total == 3 and again.testimonies[0].accession_id == "T-0"
    assert dict(again.facets["collection"]) == {"alpha": 1, "beta": 2}
    a.consent.withdraw(SYSTEM, "T-1", "the narrator asked")
    assert dict(b.indexes.browse("public").facets["collection"]) == {"beta": 2}
