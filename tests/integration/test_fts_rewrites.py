"""The SQLite engine rewrites a testimony row by row: only what changed is purged and written again,
and what the file holds afterwards is exactly what a fresh file holding the same testimonies holds."""
import random
from collections import Counter

import pytest

from archive.search.documents import testimony_fields as fields_of
from archive.search.sqlite import store
from tests.integration.test_search_index import make_docs

WORDS = ("border crossing family soldiers checkpoint river night smugglers bus village"
         " market Raqqa Jarabulus الرقة الحدود frontière famille").split()


def fields(acc, segments, **kw):
    return fields_of(make_docs(acc, segments, **kw), acc, spelling=False)


def contents(conn):
    """Every table, with testimonies named by accession id rather than by their number in this file."""
    name = dict(conn.execute("SELECT num, accession FROM testimony"))

    def rows(sql, key):
        return sorted((name[key(r[0])], *r[1:]) for r in conn.execute(sql))
    by_doc = lambda rowid: rowid >> store.DOC_BITS  # noqa: E731
    return {
        "testimony": rows("SELECT num, title, year, year_from, year_to, facets, fingerprint, ndocs FROM testimony",
                          int),
        "doc": rows("SELECT rowid, rowid & 65535, %s FROM doc" % store._DOC_COLUMNS, by_doc),
        "seg": rows("SELECT rowid, rowid & 65535, %s FROM seg" % ", ".join(store.COLUMNS), by_doc),
        "whole": rows("SELECT rowid, * FROM whole", int),
        "spelling": rows("SELECT num, words FROM spelling", int),
        "spell": sorted(conn.execute("SELECT word, docs FROM spell")),
    }


@pytest.fixture
def conn(tmp_path):
    store.create(tmp_path / "a.sqlite")
    conn = store.connect(tmp_path / "a.sqlite")
    yield conn
    conn.close()


def fresh(tmp_path, testimonies, built=False):
    """What a new file holds after writing these testimonies one by one (built: as a rebuild's writer
    does, with the word counts gathered and written at the end)."""
    path = tmp_path / ("fresh-%d.sqlite" % len(list(tmp_path.iterdir())))
    store.create(path)
    conn = store.connect(path)
    with conn:
        tally = Counter()
        for acc, f in testimonies.items():
            if built:
                store.put(conn, acc, store.prepare(f), None, tally)
            else:
                store.write(conn, acc, f)
        store.write_tally(conn, tally)
    out = contents(conn)
    conn.close()
    return out


def traced(conn):
    """The statements the connection runs, with their bindings."""
    seen = []

    def trace(cursor, sql, bindings):
        seen.append((sql, tuple(bindings or ())))
        return True
    conn.exec_trace = trace
    return seen


def test_a_changed_segment_is_the_only_segment_rewritten(conn, tmp_path):
    before = ["We crossed the river at night.", "The smugglers took us to Jarabulus.", "My family waited."]
    after = ["We crossed the river at night.", "The smugglers took us to a village.", "My family waited."]
    with conn:
        store.write(conn, "OH-1", fields("OH-1", before))
        store.write(conn, "OH-2", fields("OH-2", ["Jarabulus market at dawn."]))
    num = next(conn.execute("SELECT num FROM testimony WHERE accession = 'OH-1'"))[0]
    seen = traced(conn)
    with conn:
        assert store.write(conn, "OH-1", fields("OH-1", after))
    conn.exec_trace = None
    deleted = {table: [b[0] for s, b in seen if s.startswith("DELETE FROM %s WHERE rowid" % table)]
               for table in ("seg", "doc", "whole")}
    # document 0 is the testimony's meta row; the second segment is document 2
    assert deleted == {"seg": [(num << store.DOC_BITS) + 2], "doc": [(num << store.DOC_BITS) + 2],
                       "whole": [num]}
    assert contents(conn) == fresh(tmp_path, {"OH-2": fields("OH-2", ["Jarabulus market at dawn."]),
                                              "OH-1": fields("OH-1", after)})
    # "jarabulus" is still held by OH-2, "village" is new
    assert dict(conn.execute("SELECT word, docs FROM spell WHERE word IN ('jarabulus', 'village')")) == \
        {"jarabulus": 1, "village": 1}


def test_a_word_no_testimony_holds_leaves_the_word_list_and_the_file(conn, tmp_path):
    with conn:
        store.write(conn, "OH-1", fields("OH-1", ["Zyxcanary spoke at the border."]))
        store.write(conn, "OH-2", fields("OH-2", ["Zyxcanary again, at the border."]))
    assert dict(conn.execute("SELECT word, docs FROM spell WHERE word = 'zyxcanary'")) == {"zyxcanary": 2}
    with conn:
        store.write(conn, "OH-1", [])
    assert dict(conn.execute("SELECT word, docs FROM spell WHERE word = 'zyxcanary'")) == {"zyxcanary": 1}
    with conn:
        store.write(conn, "OH-2", fields("OH-2", ["[redacted] again, at the border."]))
    assert list(conn.execute("SELECT * FROM spell WHERE word = 'zyxcanary'")) == []
    assert b"zyxcanary" not in (tmp_path / "a.sqlite").read_bytes().lower()


def test_any_sequence_of_rewrites_leaves_what_a_fresh_file_holds(conn, tmp_path):
    rng = random.Random(7)
    held = {}
    for step in range(60):
        acc = "OH-%d" % rng.randrange(6)
        if held.get(acc) and rng.random() < 0.2:
            held.pop(acc)
            f = []
        else:
            segments = [" ".join(rng.choices(WORDS, k=rng.randrange(1, 8))) for _ in range(rng.randrange(0, 5))]
            f = held[acc] = fields(acc, segments, year=rng.choice([2014, 2015]),
                                   places=rng.sample(["place:raqqa", "place:jarabulus"], rng.randrange(0, 3)),
                                   narrator=rng.choice(["Abu Karim", "Umm Ali"]))
        with conn:
            store.write(conn, acc, f)
        if step % 10 == 9:
            assert contents(conn) == fresh(tmp_path, held), "after step %d" % step
    assert contents(conn) == fresh(tmp_path, held) == fresh(tmp_path, held, built=True)


def test_a_wildcard_expands_per_column_as_a_query_of_each_column_would(tmp_path, monkeypatch):
    """Reader._expand reads the vocabulary once for every column (and caches it for the generation):
    each column still gets its own first terms of the range, in order, up to the limit."""
    from archive.search import open_indexes
    from archive.search.sqlite import reading
    monkeypatch.setattr(reading, "_EXPANSION", 5)
    indexes = open_indexes(tmp_path / "ix", "sqlite")
    indexes.ensure()
    rng = random.Random(3)
    for n in range(12):
        acc = "OH-%d" % n
        indexes.replace_testimony("public", acc, make_docs(
            acc, [" ".join(rng.choices(WORDS, k=6)) for _ in range(3)], title=" ".join(rng.choices(WORDS, k=3))))
    with indexes._reader("public") as reader:
        for glob, low, high in ((None, "", ""), (None, "b", "c"), ("*r*", "", ""), ("f*", "f", "g"), (None, "zz", "")):
            for column in store.TEXT_COLUMNS:
                sql, args = "SELECT term FROM whole_terms WHERE col = ?", [column]
                for clause, value in (("term >= ?", low), ("term < ?", high), ("term GLOB ?", glob)):
                    if value:
                        sql, args = sql + " AND " + clause, args + [value]
                expected = [t for (t,) in reader.conn.execute(sql + " LIMIT 5", args)]
                assert reader._expand(column, glob, low, high) == expected, (column, glob, low, high)
        assert reader._expand("text", None, "b", "c")  # not vacuous
    indexes.close()
