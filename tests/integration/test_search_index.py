import threading
import uuid
import zlib

import apsw
import pytest
from whoosh import index as wix

from archive.search import AUDIENCES, ENGINES, SearchResult, open_indexes
from archive.search.whoosh import SearchIndexes
from archive.search.analysis import analyze_term, light_normalize
from archive.db import Database
from tests.conftest import _raw, _with_options

CANARY = "Zyxcanaryhaddad"
AR_CANARY = "الزيكسكناري"  # article + word, so stemmed and unstemmed forms differ


def make_docs(acc, segments, *, title=None, summary="", collection="oral", languages=("en",),
              places=("place:raqqa",), subjects=("defection",), year=2015, narrator="Abu Karim",
              place="Raqqa Al-Raqqa الرقة", lang="en"):
    base = {
        "testimony": acc, "narrator": narrator, "place": place,
        "subject": "; ".join(subjects), "collection": collection, "languages": list(languages),
        "places": list(places), "subjects": list(subjects), "year": year,
        "testimony_title": title or "Testimony " + acc,
    }
    docs = [dict(base, doc_id=acc + "#meta", kind="meta", seq=-1, transcript="", start=None,
                 end=None, title=title or "Testimony " + acc, summary=summary, text="", lang=lang)]
    for i, text in enumerate(segments):
        docs.append(dict(base, doc_id="%s#s%d" % (acc, i), kind="segment", seq=i, transcript="en",
                         start=i * 60.0, end=i * 60.0 + 59.5, title="Part %d" % i, summary="",
                         text=text, lang=lang))
    return docs


LOCAL_ENGINES = [e for e in ENGINES if e != "postgresql"]   # indexes in folders of the instance


def open_engine(request, tmp_path, engine):
    """The engine named, ensured; the PostgreSQL engine in a schema of its own, dropped afterwards."""
    database = None
    if engine == "postgresql":
        url = request.getfixturevalue("postgres_url")
        if url is None:
            pytest.skip("PostgreSQL not reachable (set ARCHIVE_TEST_DATABASE_URL); CI runs these")
        import psycopg
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_raw(url), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        database = Database(_with_options(url, f"-csearch_path%3D{schema}"))

        def drop():
            database.dispose()
            with psycopg.connect(_raw(url), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        request.addfinalizer(drop)
    indexes = open_indexes(tmp_path / "search", engine, database=database, writer_timeout=5)
    indexes.ensure()
    request.addfinalizer(indexes.close)
    return indexes


@pytest.fixture(params=[*LOCAL_ENGINES, pytest.param("postgresql", marks=pytest.mark.postgres)])
def idx(request, tmp_path):
    return open_engine(request, tmp_path, request.param)


@pytest.fixture(params=LOCAL_ENGINES)
def local_idx(request, tmp_path):
    """An engine whose indexes are folders (their layout, swaps and files are tested)."""
    return open_engine(request, tmp_path, request.param)


@pytest.fixture
def corpus(idx):
    idx.replace_testimony("public", "OH-2015-0001", make_docs(
        "OH-2015-0001",
        ["We left the city before dawn.", "At the checkpoint the soldiers stopped the bus.",
         "My brother smuggled medicine across the river.", "Later we reached the camp."],
        title="Leaving Raqqa", summary="A teacher describes escape", languages=("en", "ar"),
        subjects=("defection", "smuggling")))
    idx.replace_testimony("public", "OH-2016-0002", make_docs(
        "OH-2016-0002", ["The checkpoint was closed for three days.", "Medicine was scarce."],
        collection="women", places=("place:aleppo",), place="Aleppo Halab حلب",
        subjects=("medicine",), year=2016, narrator="Umm Salim"))
    idx.replace_testimony("public", "OH-2014-0003", make_docs(
        "OH-2014-0003", ["Nous avons quitté la ville en été."], languages=("fr",), lang="fr",
        year=2014, narrator="Pierre", place="Deir ez-Zor", places=("place:deir",),
        subjects=("displacement",), collection="women"))
    return idx


def ids(result):
    return [t.accession_id for t in result.testimonies]


# -- plain searching --------------------------------------------------------

def test_hits_grouped_with_snippets_and_timecodes(corpus):
    r = corpus.search("public", "checkpoint")
    assert isinstance(r, SearchResult) and r.error is None
    assert r.total == 2 and sorted(ids(r)) == ["OH-2015-0001", "OH-2016-0002"]
    t = next(t for t in r.testimonies if t.accession_id == "OH-2015-0001")
    assert t.title == "Leaving Raqqa"
    hit = t.hits[0]
    assert hit.doc_id == "OH-2015-0001#s1" and hit.kind == "segment" and hit.seq == 1
    assert (hit.start, hit.end, hit.transcript) == (60.0, 119.5, "en")
    assert "<mark>checkpoint</mark>" in hit.snippet_html
    assert t.score > 0 and all(h.score > 0 for h in t.hits)
    if corpus.engine == "whoosh":  # Whoosh ranks a testimony by its best document
        assert t.score == max(h.score for h in t.hits)


def test_at_most_three_hits_per_testimony_best_first(corpus):
    r = corpus.search("public", "raqqa")  # place field is on every doc
    t = next(t for t in r.testimonies if t.accession_id == "OH-2015-0001")
    assert len(t.hits) == 3
    assert [h.score for h in t.hits] == sorted((h.score for h in t.hits), reverse=True)
    assert t.hits[0].kind == "meta"  # title boost: "Leaving Raqqa"


def test_testimonies_ordered_by_best_score(corpus):
    r = corpus.search("public", "medicine")
    assert r.total == 2
    scores = [t.score for t in r.testimonies]
    assert scores == sorted(scores, reverse=True)


def test_query_syntax(corpus):
    assert ids(corpus.search("public", '"stopped the bus"')) == ["OH-2015-0001"]
    assert ids(corpus.search("public", '"bus the stopped"')) == []
    # boolean operators apply per indexed document (segment), not per testimony
    assert ids(corpus.search("public", "checkpoint NOT closed")) == ["OH-2015-0001"]
    assert corpus.search("public", "dawn OR scarce").total == 2
    assert corpus.search("public", "dawn AND scarce").total == 0
    assert corpus.search("public", "check*").total == 2
    assert corpus.search("public", "CHECK*").total == 2
    assert ids(corpus.search("public", "narrator:salim")) == ["OH-2016-0002"]
    assert ids(corpus.search("public", "title:leaving")) == ["OH-2015-0001"]
    assert ids(corpus.search("public", "lang:fr")) == ["OH-2014-0003"]
    assert ids(corpus.search("public", "subject:smuggling")) == ["OH-2015-0001"]
    assert ids(corpus.search("public", "place:halab")) == ["OH-2016-0002"]


def test_multilingual_matching(corpus):
    for q in ("الرقة", "رقة", "الرقه", "Al-Raqqa", "RAQQA"):
        assert "OH-2015-0001" in ids(corpus.search("public", q)), q
    assert ids(corpus.search("public", "ete")) == ["OH-2014-0003"]
    assert ids(corpus.search("public", "quitte")) == ["OH-2014-0003"]
    assert ids(corpus.search("public", "smuggle")) == ["OH-2015-0001"]


def test_empty_query_lists_everything_by_id(corpus):
    r = corpus.search("public", "  ")
    assert r.error is None and r.total == 3
    assert ids(r) == ["OH-2014-0003", "OH-2015-0001", "OH-2016-0002"]
    assert all(t.hits for t in r.testimonies)


def test_facets_count_testimonies(corpus):
    r = corpus.search("public", "")
    f = r.facets
    assert set(f) == {"collection", "language", "place", "subject", "role", "decade", "year", "audio"}
    assert dict(f["collection"]) == {"oral": 1, "women": 2}
    assert f["collection"][0] == ("women", 2)
    assert dict(f["language"]) == {"en": 2, "ar": 1, "fr": 1}
    assert dict(f["year"]) == {"2014": 1, "2015": 1, "2016": 1}
    assert dict(corpus.search("public", "medicine").facets["subject"]) == {
        "defection": 1, "smuggling": 1, "medicine": 1}


def test_filters(corpus):
    s = corpus.search
    assert ids(s("public", "", {"collection": ["women"]})) == ["OH-2014-0003", "OH-2016-0002"]
    assert ids(s("public", "", {"language": ["ar"]})) == ["OH-2015-0001"]
    assert ids(s("public", "", {"language": ["ar", "fr"]})) == ["OH-2014-0003", "OH-2015-0001"]
    assert ids(s("public", "", {"place": ["place:aleppo"]})) == ["OH-2016-0002"]
    assert ids(s("public", "", {"subject": ["smuggling"]})) == ["OH-2015-0001"]
    assert ids(s("public", "", {"year": ["2016"]})) == ["OH-2016-0002"]
    assert ids(s("public", "", {"year": ["2014..2015"]})) == ["OH-2014-0003", "OH-2015-0001"]
    assert ids(s("public", "", {"year": ["..2014", "2016.."]})) == ["OH-2014-0003", "OH-2016-0002"]
    assert ids(s("public", "", {"collection": ["women"], "year": ["2016"]})) == ["OH-2016-0002"]
    assert ids(s("public", "checkpoint", {"collection": ["women"]})) == ["OH-2016-0002"]
    assert s("public", "", {"collection": []}).total == 3
    r = s("public", "checkpoint", {"collection": ["women"]})
    assert dict(r.facets["collection"]) == {"women": 1}


@pytest.mark.parametrize("filters", [{"year": ["20x5"]}, {"year": ["2014 2015"]}, {"colour": ["red"]}])
def test_bad_filters_give_error(corpus, filters):
    r = corpus.search("public", "", filters)
    assert r.error and r.total == 0 and r.testimonies == []


def test_pagination(idx):
    for n in range(7):
        acc = "OH-2000-%04d" % n
        idx.replace_testimony("public", acc, make_docs(acc, ["common word %d" % n]))
    pages = [idx.search("public", "common", page=p, pagesize=3) for p in (1, 2, 3, 4)]
    assert [len(p.testimonies) for p in pages] == [3, 3, 1, 0]
    assert all(p.total == 7 for p in pages)
    seen = [a for p in pages for a in ids(p)]
    assert sorted(seen) == ["OH-2000-%04d" % n for n in range(7)]
    assert pages[1].page == 2 and pages[1].pagesize == 3


@pytest.mark.parametrize("q", ['"unclosed phrase', "(dawn OR", "dawn)", "title:", "AND OR NOT",
                               "[2014 TO", "*", "year:[a TO b]", "^^^", "lang:"])
def test_malformed_query_does_not_raise(corpus, q):
    r = corpus.search("public", q)
    assert isinstance(r, SearchResult)
    if r.error:
        assert r.testimonies == [] and r.total == 0


def test_malformed_query_reports_error(corpus):
    for q in ('"unclosed phrase', "(dawn OR", "dawn)"):
        r = corpus.search("public", q)
        assert r.error and r.testimonies == [] and r.total == 0


def test_snippets_escape_html(idx):
    idx.replace_testimony("public", "OH-1", make_docs(
        "OH-1", ['He wrote <script>alert("x")</script> & fled', "<b>bold</b> plain"],
        summary="<img src=x onerror=alert(1)> summary"))
    r = idx.search("public", "fled")
    snip = r.testimonies[0].hits[0].snippet_html
    assert "<mark>fled</mark>" in snip
    assert "<script>" not in snip and "&lt;script&gt;" in snip and "&amp;" in snip
    r = idx.search("public", "script")
    for hit in r.testimonies[0].hits:
        assert "<script" not in hit.snippet_html
    for t in idx.search("public", "").testimonies:
        for hit in t.hits:
            assert "<img" not in hit.snippet_html and "<b>" not in hit.snippet_html
            stripped = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
            assert "<" not in stripped


def test_suggest_and_did_you_mean(corpus):
    assert "checkpoint" in corpus.suggest("public", "check")
    assert corpus.suggest("public", "CHE")[:1] == ["checkpoint"]
    assert corpus.suggest("public", "the check") == ["the checkpoint"]
    assert len(corpus.suggest("public", "t", limit=2)) == 2
    assert corpus.suggest("public", "qqqq") == []
    assert corpus.did_you_mean("public", "chekpoint") == "checkpoint"
    assert corpus.did_you_mean("public", "medicine chekpoint") == "medicine checkpoint"
    assert corpus.did_you_mean("public", "checkpoint") is None
    assert corpus.did_you_mean("public", "xqzvwk") is None
    r = corpus.search("public", "chekpoint")
    assert r.total == 0 and r.suggestion == "checkpoint"
    assert corpus.search("public", "checkpoint").suggestion is None


def test_audiences_are_isolated(idx):
    idx.replace_testimony("staff", "OH-1", make_docs("OH-1", ["secretword appears"]))
    assert idx.search("staff", "secretword").total == 1
    for aud in ("public", "researcher"):
        assert idx.search(aud, "secretword").total == 0
        assert idx.suggest(aud, "secr") == []
        assert idx.did_you_mean(aud, "secretwrd") is None
    assert idx.testimony_ids("staff") == {"OH-1"} and idx.testimony_ids("public") == set()


def test_replace_validates_documents(idx):
    with pytest.raises(ValueError):
        idx.replace_testimony("public", "OH-1", make_docs("OH-2", ["x"]))
    with pytest.raises(ValueError):
        idx.replace_testimony("nobody", "OH-1", [])
    assert idx.testimony_ids("public") == set()


# -- physical absence of removed words ---------------------------------------

def inflate_everywhere(data):
    """Whoosh zlib-compresses stored fields, so a plain byte scan would miss
    them: also inflate every plausible zlib stream in the file."""
    out = []
    for i in range(len(data) - 2):
        if data[i] & 0x0F == 8 and (data[i] * 256 + data[i + 1]) % 31 == 0:
            try:
                out.append(zlib.decompressobj().decompress(data[i:]))
            except zlib.error:
                pass
    return out


def all_index_bytes(path):
    files = [p.read_bytes() for p in path.rglob("*") if p.is_file()]
    return b"\0".join(files + [b for f in files for b in inflate_everywhere(f)])


def forms(word):
    out = {word, word.lower(), word.upper(), light_normalize(word), analyze_term(word)}
    return {f.encode("utf-8") for f in out}


def lexicon_and_stored(path, idx=None):
    if idx is not None and idx.in_database:   # the engine's own tables: every word and every stored row
        audience = path.name
        with idx.db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            terms = [w for (w,) in raw.execute(f"SELECT word FROM search_{audience}_word")]
            stored = [repr(r) for name in ("doc", "testimony") for r in raw.execute(f"SELECT * FROM search_{audience}_{name}")]
        return terms, stored
    if (path / "index.sqlite").exists():
        conn = apsw.Connection(str(path / "index.sqlite"))
        terms = [t for (t,) in conn.execute("SELECT term FROM whole_terms UNION SELECT word FROM spell")]
        stored = [repr(row) for row in conn.execute("SELECT * FROM spelling")]
        stored += [repr(row) for row in conn.execute("SELECT * FROM doc")]
        stored += [repr(row) for row in conn.execute("SELECT * FROM testimony")]
        conn.close()
        return terms, stored
    ix = wix.open_dir(str(path))
    with ix.searcher() as s:
        reader = s.reader()
        terms = [t.decode("utf-8", "replace") for name in ix.schema.names()
                 if ix.schema[name].indexed for t in reader.lexicon(name)]
        stored = [repr(f) for f in reader.all_stored_fields()]
    ix.close()
    return terms, stored


def assert_absent(idx, audience, word):
    path = idx.index_dirs()[audience]
    low, stem = light_normalize(word), analyze_term(word)
    assert idx.search(audience, word).total == 0
    assert idx.search(audience, word[:4] + "*").total == 0
    assert idx.search(audience, "text:" + word).total == 0
    assert idx.suggest(audience, word[:3]) == []
    assert idx.suggest(audience, word[:3].upper()) == []
    for typo in (word[:-1], word + "x", word[:4] + word[5:]):
        proposal = idx.did_you_mean(audience, typo) or ""
        assert low not in proposal.lower() and stem not in proposal
    terms, stored = lexicon_and_stored(path, idx)
    assert not [t for t in terms if low in t or stem in t]
    assert not [s for s in stored if word in s or low in s.lower()]
    if idx.in_database:
        return   # (what PostgreSQL's files may still hold after VACUUM: README, "Running on several machines")
    data = all_index_bytes(path)
    for f in forms(word):
        assert f not in data, f


def assert_present(idx, audience, word):
    # guards against the absence checks passing vacuously (e.g. compression)
    path = idx.index_dirs()[audience]
    assert idx.search(audience, word).total == 1
    assert idx.search(audience, word[:4] + "*").total == 1
    assert idx.suggest(audience, word[:3])
    if idx.in_database:
        terms, stored = lexicon_and_stored(path, idx)
        assert any(word in s for s in stored) and any(analyze_term(word) in t for t in terms)
        return
    data = all_index_bytes(path)
    for f in (word, light_normalize(word), analyze_term(word)):
        assert f.encode("utf-8") in data, f


@pytest.mark.parametrize("word", [CANARY, AR_CANARY])
def test_replace_purges_removed_word_physically(idx, word):
    other = make_docs("OH-9", ["unrelated neighbour text"])
    idx.replace_testimony("public", "OH-9", other)
    idx.replace_testimony("public", "OH-1", make_docs(
        "OH-1", ["We met %s at the border." % word, "nothing here"], summary="About %s" % word,
        title="Story of %s" % word))
    assert_present(idx, "public", word)
    idx.replace_testimony("public", "OH-1", make_docs(
        "OH-1", ["We met [redacted] at the border.", "nothing here"], summary="About [redacted]"))
    assert_absent(idx, "public", word)
    assert idx.search("public", "border").total == 1
    assert idx.testimony_ids("public") == {"OH-1", "OH-9"}


@pytest.mark.parametrize("word", [CANARY, AR_CANARY])
def test_remove_testimony_purges_every_audience(idx, word):
    for aud in AUDIENCES:
        idx.replace_testimony(aud, "OH-1", make_docs("OH-1", ["%s was there" % word]))
        idx.replace_testimony(aud, "OH-2", make_docs("OH-2", ["someone else"]))
        assert_present(idx, aud, word)
    idx.remove_testimony("OH-1")
    for aud in AUDIENCES:
        assert_absent(idx, aud, word)
        assert idx.testimony_ids(aud) == {"OH-2"}


def test_unpurged_replace_still_hides_word_from_every_api(idx):
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", [CANARY + " text"]))
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["clean text"]), purge=False)
    assert idx.search("public", CANARY).total == 0
    assert idx.search("public", "zyx*").total == 0
    assert idx.suggest("public", "zyx") == []
    assert idx.did_you_mean("public", CANARY[:-1]) is None
    # the next purging write clears what the unpurged one left behind
    idx.replace_testimony("public", "OH-2", make_docs("OH-2", ["other"]))
    assert_absent(idx, "public", CANARY)


def test_commits_visible_to_next_search(idx):
    for n in range(3):
        idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["version%d" % n]))
        assert idx.search("public", "version%d" % n).total == 1
        assert idx.search("public", "version%d" % (n - 1)).total == 0


def test_concurrent_writers(idx):
    errors = []

    def write(n):
        try:
            acc = "OH-%d" % n
            idx.replace_testimony("public", acc, make_docs(acc, ["parallel %d" % n]))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert idx.testimony_ids("public") == {"OH-%d" % n for n in range(8)}


# -- rebuild ------------------------------------------------------------------

def test_rebuild_swaps_in_new_index(idx, tmp_path):
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", [CANARY + " old"]))
    idx.replace_testimony("staff", "OH-5", make_docs("OH-5", ["staff only"]))
    seen = []
    idx.rebuild({"public": iter(make_docs("OH-2", ["fresh", "content"]) + make_docs("OH-3", ["x"]))},
                progress=lambda aud, n: seen.append((aud, n)))
    assert seen[-1] == ("public", 5)
    assert idx.testimony_ids("public") == {"OH-2", "OH-3"}
    assert idx.testimony_ids("staff") == {"OH-5"}  # untouched audience
    assert_absent(idx, "public", CANARY)
    leftovers = [p.name for p in idx.root.iterdir() if p.is_dir()]
    assert sorted(leftovers) == ([] if idx.in_database else sorted(AUDIENCES))
    idx.replace_testimony("public", "OH-2", [])  # still writable after swap
    assert idx.testimony_ids("public") == {"OH-3"}


def test_failed_rebuild_leaves_old_index_intact(idx):
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["survivor words"]))

    def boom(audience, n):
        if n == 3:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        idx.rebuild({"public": make_docs("OH-2", ["a", "b", "c", "d"])}, progress=boom)
    assert idx.search("public", "survivor").total == 1
    assert idx.testimony_ids("public") == {"OH-1"}
    assert sorted(p.name for p in idx.root.iterdir() if p.is_dir()) == ([] if idx.in_database else sorted(AUDIENCES))
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["after failure"]))
    assert idx.search("public", "after").total == 1


def test_crash_between_renames_is_recovered(local_idx):
    idx = local_idx
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["kept"]))
    live = idx.index_dirs()["public"]
    live.rename(idx.root / ".public.old-deadbeef")  # as if killed mid-swap
    (idx.root / ".public.build-cafe").mkdir()
    idx.ensure()
    assert idx.search("public", "kept").total == 1
    assert sorted(p.name for p in idx.root.iterdir() if p.is_dir()) == sorted(AUDIENCES)


def test_purge_rewrites_only_segments_with_deletions(tmp_path):
    idx = SearchIndexes(tmp_path / "s", segment_docs=6)
    idx.ensure()
    docs = [d for n in range(6) for d in make_docs("OH-%d" % n, ["plain %d" % n, "more"])]
    docs[4]["text"] = CANARY + " hidden"  # OH-1 segment 0, in the first 6-doc segment
    idx.rebuild({"public": docs})
    path = idx.index_dirs()["public"]

    def segments():
        ix = wix.open_dir(str(path))
        counts = sorted(s.doc_count_all() for s in ix._segments())
        ix.close()
        return counts

    assert segments() == [6, 6, 6]
    assert_present(idx, "public", CANARY)
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["plain 1", "more"]))
    assert_absent(idx, "public", CANARY)
    assert len(segments()) >= 2  # the untouched segments were left alone
    idx.remove_testimony("OH-0")  # empties what is left of a segment
    assert idx.testimony_ids("public") == {"OH-%d" % n for n in range(1, 6)}
    assert idx.search("public", "plain").total == 5
    assert_absent(idx, "public", CANARY)
