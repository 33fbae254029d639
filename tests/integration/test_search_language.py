"""The search query language, languages, variants and sorting, through the search service, on SQLite
and PostgreSQL: each case builds the few testimonies it needs."""
from __future__ import annotations

import copy

import pytest

from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from tests.backends import engine_database  # noqa: E402

# SQLite here; PostgreSQL in make test's PostgreSQL pass, with its engine (tests/backends.py).
pytestmark = pytest.mark.parametrize("backend", engine_database(), indirect=True)

RESEARCHER = for_role("researcher", 1, "rita")
ARCHIVIST = for_role("archivist", 2, "ann")
CONSENT = {"status": "granted", "scope": "open", "date": "2016-01-01", "obtained_by": "A",
           "permissions": {"publish_transcript": True}}


def record(acc: str, text: str, *, date: str | None = "2015", lang: str = "en", role: str = "teacher",
              places=(), title: str | None = None, collection: str = "alpha", **extra) -> dict:
    item = {"id": acc, "collection": collection, "title": title or f"Testimony {acc}", "interview_date": date,
            "languages": [lang], "places": list(places), "subjects": [], "state": "published",
            "narrators": [{"id": "N-" + acc, "public_name": "Narrator " + acc[-1], "role": role}],
            "consent": copy.deepcopy(CONSENT),
            "transcripts": [{"id": lang, "language": lang, "kind": "original", "text": text,
                             "segments": [{"start": 0.0, "end": 60.0, "title": "Part one"}]}]}
    item.update(extra)
    return item


def document(*testimonies, authorities=(), sensitive_terms=()) -> dict:
    return parse_document({"format": "testimony-archive/1",
            "collections": [{"id": "alpha", "title": "Alpha"}, {"id": "beta", "title": "Beta"}],
            "authorities": list(authorities), "sensitive_terms": list(sensitive_terms),
            "testimonies": list(testimonies)})


def ids(archive, query, identity=ANONYMOUS, **kwargs) -> list[str]:
    result = archive.search.search(identity, query, **kwargs)
    assert result.error is None, result.error
    return [t.accession_id for t in result.testimonies]


@pytest.fixture
def dated(archive):
    archive.transfer.import_document(SYSTEM, document(
        record("T-2015", "The ferry left at night.", date="2015-06-02"),
        record("T-UNCERTAIN", "The ferry was late.", date="2015?", role="smuggler"),
        record("T-DECADE", "A ferry in the decade.", date="201X", collection="beta"),
        record("T-SPAN", "A ferry over two years.", date="2012/2013", role="aid worker"),
        record("T-1990", "The old ferry.", date="1990-05"),
        record("T-UNDATED", "A ferry without a date.", date=None)))
    return archive


def test_year_ranges_overlap_the_interview_date_with_uncertain_dates_widened(dated):
    assert set(ids(dated, "year:2015")) == {"T-2015", "T-UNCERTAIN", "T-DECADE"}
    # "2015?" may be a year out: it answers 2014 and 2016 too, a certain 2015 does not.
    assert set(ids(dated, "year:2016")) == {"T-UNCERTAIN", "T-DECADE"}
    assert set(ids(dated, "year:2012..2013")) == {"T-SPAN", "T-DECADE"}
    assert set(ids(dated, "year:..1999")) == {"T-1990"}
    assert set(ids(dated, "ferry year:2019..")) == {"T-DECADE"}
    assert set(ids(dated, "ferry -year:2010..2019")) == {"T-1990", "T-UNDATED"}


@pytest.mark.parametrize("query,message", [
    ("year:2016..2014", "ends before it starts"), ("year:abc", "Bad year"), ("year:", "needs a value"),
    ('"unclosed phrase', "Unbalanced quotation"), ("(ferry", "Unbalanced parentheses"),
    ("colour:red", "Unknown field"), ("NOT NOT ferry", "check its AND, OR, NOT"),
    ("ferry OR year:2015", "cannot be joined with OR"), ("collection:beta OR ferry", "cannot be joined with OR"),
])
def test_malformed_queries_get_a_message_not_an_error(dated, query, message):
    result = dated.search.search(ANONYMOUS, query)
    assert result.error and message in result.error and result.total == 0


def test_role_collection_and_negation(dated):
    assert ids(dated, "role:smuggler") == ["T-UNCERTAIN"]
    assert ids(dated, 'role:"aid worker"') == ["T-SPAN"]
    assert ids(dated, "collection:beta") == ["T-DECADE"]
    assert set(ids(dated, "ferry -collection:alpha")) == {"T-DECADE"}
    assert set(ids(dated, "ferry -night -late -decade -years -old")) == {"T-UNDATED"}
    assert set(ids(dated, "ferry NOT night")) == set(ids(dated, "ferry -night")) != set()
    # the operators written beside a filter word apply to it, and no bare AND or NOT is left as a word
    assert set(ids(dated, "ferry NOT collection:alpha")) == {"T-DECADE"}
    assert set(ids(dated, "ferry NOT year:2010..2019")) == {"T-1990", "T-UNDATED"}
    assert set(ids(dated, "ferry AND year:2015")) == set(ids(dated, "year:2015 AND ferry")) \
        == {"T-2015", "T-UNCERTAIN", "T-DECADE"}
    assert set(ids(dated, "NOT collection:alpha NOT decade")) == set()
    assert set(ids(dated, "NOT role:teacher")) == {"T-UNCERTAIN", "T-SPAN"}
    assert set(ids(dated, "(year:2015)")) == set(ids(dated, "year:2015")) == {"T-2015", "T-UNCERTAIN", "T-DECADE"}


def test_sorting_by_date_and_accession_and_role_and_decade_facets(dated):
    by_date = ids(dated, "ferry", sort="date")
    assert by_date[:3] == ["T-1990", "T-DECADE", "T-SPAN"] and by_date[-1] == "T-UNDATED"  # 201X sorts as 2010
    assert ids(dated, "ferry", sort="-date")[0] in {"T-2015", "T-UNCERTAIN", "T-DECADE"}
    assert ids(dated, "ferry", sort="accession") == sorted(ids(dated, "ferry"))
    result = dated.search.search(ANONYMOUS, "ferry")
    assert dict(result.facets["decade"]) == {"2010": 4, "1990": 1}
    assert dict(result.facets["role"]) == {"teacher": 4, "smuggler": 1, "aid worker": 1}
    assert set(ids(dated, "ferry", filters={"decade": ["1990"]})) == {"T-1990"}
    assert set(ids(dated, "ferry", filters={"role": ["smuggler", "aid worker"]})) == {"T-UNCERTAIN", "T-SPAN"}
    assert dated.search.search(ANONYMOUS, "ferry", sort="sideways").error.startswith("Unknown sort")


def test_pages_and_export_collect_every_result(dated):
    first = dated.search.search(ANONYMOUS, "ferry", pagesize=4)
    second = dated.search.search(ANONYMOUS, "ferry", page=2, pagesize=4)
    assert first.total == 6 and first.pages == 2 and len(first.testimonies) == 4 and len(second.testimonies) == 2
    assert {t.accession_id for t in first.testimonies + second.testimonies} == set(ids(dated, "ferry"))
    assert len(dated.search.search_all(ANONYMOUS, "ferry", limit=5).testimonies) == 5


def test_french_and_arabic_forms_find_each_other(archive):
    archive.transfer.import_document(SYSTEM, document(
        record("T-FR", "Nous avons passé les frontières la nuit, après la libération.", lang="fr"),
        record("T-AR", "وصل المعلمون إلى المدرسة بالسيارة", lang="ar"),
        record("T-EN", "The teachers crossed the borders.")))
    assert ids(archive, "frontière") == ["T-FR"]
    assert ids(archive, "libérations") == ["T-FR"]
    assert ids(archive, "lang:fr") == ["T-FR"]
    for form in ("المعلمين", "معلمون", "والمعلمون", "مدرسة", "المدرسه", "سيارة"):
        assert ids(archive, form) == ["T-AR"], form
    assert ids(archive, "border") == ["T-EN"]


RAQQA = {"id": "place:raqqa", "type": "place", "label": "Raqqa",
         "variants": ["Al-Raqqah", "ar-Raqqa", "الرقة", "Ruqqa"]}


def test_authority_variants_find_every_spelling(archive):
    archive.transfer.import_document(SYSTEM, document(
        record("T-LATIN", "We lived in Al-Raqqah until 2014."),
        record("T-ARABIC", "عشنا في الرقة حتى عام ٢٠١٤", lang="ar"),
        record("T-TAGGED", "We lived by the river.", places=["place:raqqa"]),
        record("T-OTHER", "We lived in Aleppo."), authorities=[RAQQA]))
    expected = {"T-LATIN", "T-ARABIC", "T-TAGGED"}
    for query in ("رقة", "الرقة", "Raqqa", "Al-Raqqah", "ar-Raqqa", "بالرقة"):
        assert set(ids(archive, query)) == expected, query
    result = archive.search.search(ANONYMOUS, "Raqqa")
    assert any("الرقة" in group for group in result.expanded)


def test_variants_never_expand_into_a_sensitive_or_redacted_name_below_archivist(archive):
    secret_village = {"id": "place:village", "type": "place", "label": "Northfield",
                      "variants": ["Zorvakhan", "Qaryat Sirr"]}
    text = "Interviewer: Where?\nA: We hid in the hills, in Qaryat Sirr, near Northfield.\n"
    start = text.index("Qaryat Sirr")
    archive.transfer.import_document(SYSTEM, document(
        record("T-HIDE", text, places=["place:village"],
                  redactions=[{"id": "R-1", "transcript": "en", "start": start, "end": start + len("Qaryat Sirr"),
                               "text": "Qaryat Sirr", "category": "place", "reason": "hiding place",
                               "visible_to": "archivist", "replacement": "[place withheld]", "state": "approved"}],
                  sensitive_terms=[{"term": "Zorvakhan", "variants": [], "category": "place"}]),
        record("T-PLAIN", "Northfield had a market."),
        authorities=[secret_village]))
    for identity in (ANONYMOUS, RESEARCHER):
        result = archive.search.search(identity, "Northfield")
        names = {n for group in result.expanded for n in group}
        assert not names & {"Zorvakhan", "Qaryat Sirr"}
        assert ids(archive, "Qaryat Sirr", identity) == []
        view = archive.testimonies.get(identity, "T-HIDE")
        assert view["places"][0]["variants"] == [] and view["places"][0]["label"] == "Northfield"
    # Zorvakhan is a registered sensitive term (a testimony showing it unredacted could not be published):
    # the name is never offered from the authority record, and a search for it never widens to Northfield.
    assert ids(archive, "Zorvakhan") == []
    assert archive.search.search(ANONYMOUS, "Zorvakhan").expanded == []
    staff_view = archive.testimonies.get(ARCHIVIST, "T-HIDE")
    assert staff_view["places"][0]["variants"] == ["Zorvakhan", "Qaryat Sirr"]


def test_the_recording_facet_counts_only_recordings_the_audience_may_hear(archive):
    from tests.audio_samples import sine_wav
    heard = copy.deepcopy(CONSENT)
    heard["permissions"]["publish_audio"] = True
    archive.transfer.import_document(SYSTEM, document(
        record("T-HEARD", "The ferry horn.", consent=heard),
        record("T-KEPT", "The ferry bell."),
        record("T-TEXT", "The ferry rope.")))
    for accession in ("T-HEARD", "T-KEPT"):     # T-KEPT's consent does not permit publishing audio
        archive.media.add(SYSTEM, accession, sine_wav(2), "voice.wav", kind="audio")
    result = archive.search.search(ANONYMOUS, "ferry")
    assert dict(result.facets["audio"]) == {"yes": 1, "no": 2}
    assert ids(archive, "ferry", filters={"audio": ["yes"]}) == ["T-HEARD"]
    assert dict(archive.search.search(ARCHIVIST, "ferry").facets["audio"]) == {"yes": 2, "no": 1}


def test_init_rebuilds_an_index_an_older_version_wrote(archive):
    import shutil

    from whoosh import index as wix
    from whoosh.fields import Schema

    from archive.search.whoosh import SearchIndexes
    from archive.search.schema import make_schema
    archive.transfer.import_document(SYSTEM, document(record("T-OLD", "The ferry at dawn.")))
    path = archive.indexes.index_dirs()["public"]
    if archive.indexes.in_database:   # the PostgreSQL engine: a table of it lost, or not yet made
        with archive.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE search_public_doc")
        archive.init()
        assert ids(archive, "ferry") == ["T-OLD"]
        return
    if not isinstance(archive.indexes, SearchIndexes):  # the SQLite engine: its file says its layout
        import apsw

        from archive.search.sqlite import store
        archive.indexes.close()
        conn = apsw.Connection(str(path / store.FILE))
        conn.execute("DELETE FROM testimony; PRAGMA user_version = 0")
        conn.close()
        assert ids(archive, "ferry") == []
        archive.init()
        assert store.schema_version(path / store.FILE) == store.SCHEMA_VERSION
        assert ids(archive, "ferry") == ["T-OLD"]
        return
    old = make_schema()
    shutil.rmtree(path)
    path.mkdir()
    wix.create_in(str(path), Schema(**{name: old[name] for name in old.names() if name != "has_audio"}))
    assert ids(archive, "ferry") == []
    archive.init()
    assert sorted(wix.open_dir(str(path)).schema.names()) == sorted(make_schema().names())
    assert ids(archive, "ferry") == ["T-OLD"]


def test_a_name_registered_as_sensitive_after_a_search_stops_expanding_at_once(archive):
    person = {"id": "person:guide", "type": "person", "label": "The Ferryman", "variants": ["Abu Nahr"]}
    archive.transfer.import_document(SYSTEM, document(
        record("T-GUIDE", "We met The Ferryman at the river."), authorities=[person]))
    assert ids(archive, "Abu Nahr") == ["T-GUIDE"]           # the variant leads to the label's testimony
    archive.sensitive.add(SYSTEM, "Abu Nahr", category="person")
    result = archive.search.search(ANONYMOUS, "Abu Nahr")
    assert result.expanded == [] and result.total == 0
