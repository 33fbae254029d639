"""Import and export in the JSON format, on SQLite and PostgreSQL: the README's outcome, all-or-nothing
imports (database rows and index documents), and exports that round-trip or leak nothing."""
from __future__ import annotations

import copy
import json
import uuid

import pytest
from sqlalchemy import func, select

from archive.audience import INDEXED_AUDIENCES
from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.model import Base
from archive.services import Archive
from tests.conftest import DEMO, EXAMPLE, TODAY, _raw, _with_options

RESEARCHER = for_role("researcher", 1, "rita")
ARCHIVIST = for_role("archivist", 2, "ann")
WITHHELD = ("Khaled", "Haddad", "Suluk", "Gaziantep", "EXAMPLE-LEGAL-NAME-1")


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def counts(archive) -> dict[str, int]:
    """Rows in every table of the schema (audit events and revisions included)."""
    with archive.db.session() as session:
        return {name: session.scalar(select(func.count()).select_from(table))
                for name, table in Base.metadata.tables.items()}


def indexed(archive) -> dict[str, set[str]]:
    return {a.index_name: archive.indexes.testimony_ids(a.index_name) for a in INDEXED_AUDIENCES}


def found(archive, identity, query) -> list[str]:
    result = archive.search.search(identity, query)
    assert result.error is None, result.error
    return [t.accession_id for t in result.testimonies]


@pytest.fixture
def other_archive(backend, tmp_path, postgres_url):
    """A second, empty archive on the same kind of database (a fresh schema on PostgreSQL)."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'other.db'}"
    else:
        import psycopg
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = _with_options(postgres_url, f"-csearch_path%3D{schema}")
    archive = Archive(url, tmp_path / "other-indexes", tmp_path / "other-media", clock=lambda: TODAY)
    archive.init()
    yield archive
    archive.close()
    if schema:
        import psycopg
        with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# -- the README's outcome --------------------------------------------------------------------------

def test_importing_the_example_reports_what_it_wrote(archive):
    result = archive.transfer.import_file(SYSTEM, EXAMPLE)
    assert result == {"testimonies": ["OH-2015-0001", "OH-2015-0002"], "skipped": [], "collections": 1, "authorities": 3}
    rows = counts(archive)
    assert rows["testimonies"] == 2 and rows["narrators"] == 2 and rows["redactions"] == 4
    assert rows["segments"] == 3 and rows["authorities"] == 3 and rows["revisions"] == 2
    events = archive.audit.events(SYSTEM)
    assert sorted(e["target"] for e in events if e["action"] == "testimony.import") == \
        ["OH-2015-0001", "OH-2015-0002"]


@pytest.mark.parametrize("query", ["Raqqa", "الرقة", "Al-Raqqah"])
def test_the_public_finds_oh_0001_by_raqqa_in_any_spelling(example_archive, query):
    assert found(example_archive, ANONYMOUS, query) == ["OH-2015-0001"]


@pytest.mark.parametrize("word", WITHHELD)
def test_the_public_finds_nothing_that_is_withheld(example_archive, word):
    result = example_archive.search.search(ANONYMOUS, word)
    assert result.total == 0 and result.testimonies == []
    assert all(word.lower() not in s.lower() for s in example_archive.search.suggest(ANONYMOUS, word[:3]))
    assert word.lower() not in (result.suggestion or "").lower()


@pytest.mark.parametrize("word", ["Khaled", "Haddad", "Gaziantep", "EXAMPLE-LEGAL-NAME-1"])
def test_researchers_find_nothing_withheld_from_them(example_archive, word):
    assert example_archive.search.search(RESEARCHER, word).total == 0


def test_a_researcher_finds_suluk_and_staff_find_the_names(example_archive):
    assert found(example_archive, RESEARCHER, "Suluk") == ["OH-2015-0001"]
    assert found(example_archive, ARCHIVIST, "Khaled") == ["OH-2015-0001"]
    assert found(example_archive, ARCHIVIST, "Suluk") == ["OH-2015-0001"]


def test_oh_0002_is_found_by_nobody_below_archivist(example_archive):
    for query in ("promotion", "جرابلس", "Jarabulus", "Abu Bakr", ""):
        assert "OH-2015-0002" not in found(example_archive, ANONYMOUS, query), query
        assert "OH-2015-0002" not in found(example_archive, RESEARCHER, query), query
    assert "OH-2015-0002" in found(example_archive, ARCHIVIST, "promotion")
    assert indexed(example_archive) == {"public": {"OH-2015-0001"}, "researcher": {"OH-2015-0001"},
                                        "staff": {"OH-2015-0001", "OH-2015-0002"}}


# -- all or nothing ---------------------------------------------------------------------------------

def test_a_file_whose_second_testimony_is_invalid_writes_nothing(archive, tmp_path):
    before, index_before = counts(archive), indexed(archive)
    data = example()
    data["testimonies"][1]["interview_date"] = "June 2015"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        archive.transfer.import_file(SYSTEM, path)
    assert info.value.record == "OH-2015-0002" and info.value.field == "interview_date"
    assert counts(archive) == before
    assert indexed(archive) == index_before


def test_a_second_testimony_refused_while_writing_leaves_nothing(demo_archive, tmp_path):
    """The first testimony is already in the session when the second is refused by the database check."""
    before, index_before = counts(demo_archive), indexed(demo_archive)
    data = example()
    data["testimonies"][1]["collection"] = "no-such-collection"
    path = tmp_path / "second-bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConflictError) as info:
        demo_archive.transfer.import_file(SYSTEM, path)
    assert (info.value.file, info.value.record, info.value.field) == (str(path), "OH-2015-0002", "collection")
    assert counts(demo_archive) == before
    assert indexed(demo_archive) == index_before
    for identity in (ANONYMOUS, RESEARCHER, ARCHIVIST):
        assert "OH-2015-0001" not in found(demo_archive, identity, "Raqqa")
    with pytest.raises(NotFound):
        demo_archive.testimonies.get(ARCHIVIST, "OH-2015-0001")
    # and the same file, once corrected, imports
    data["testimonies"][1]["collection"] = "leaving-raqqa"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert demo_archive.transfer.import_file(SYSTEM, path)["testimonies"] == ["OH-2015-0001", "OH-2015-0002"]


def _many(n: int) -> dict:
    """n published, open copies of OH-2015-0001 under new ids, in a new collection."""
    data = example()
    template = data["testimonies"][0]
    data["collections"] = [{"id": "second-batch", "title": "Second batch"}]
    data["authorities"] = [{"id": "place:new", "type": "place", "label": "Newplace", "variants": []},
                           {"id": "place:raqqa", "type": "place", "label": "Raqqa",
                            "variants": ["Raqqa-variant-added-by-a-failed-import"]}]
    data["sensitive_terms"] = [{"term": "Archive-wide term", "variants": []}]
    data["testimonies"] = []
    for i in range(n):
        item = copy.deepcopy(template)
        item["id"] = f"NEW-{i:04d}"
        item["collection"] = "second-batch"
        item["narrators"][0]["id"] = f"N-NEW-{i}"
        data["testimonies"].append(item)
    return data


def test_a_failure_after_several_testimonies_were_indexed_leaves_nothing(archive):
    """Six good testimonies (more than one index batch), then one naming an unknown collection."""
    before, index_before = counts(archive), indexed(archive)
    data = _many(7)
    data["testimonies"][6]["collection"] = "no-such-collection"
    document = parse_document(data, "seven.json")
    with pytest.raises(ConflictError) as info:
        archive.transfer.import_document(SYSTEM, document)
    assert info.value.record == "NEW-0006" and info.value.field == "collection"
    assert counts(archive) == before
    assert indexed(archive) == index_before
    for identity in (ANONYMOUS, RESEARCHER, ARCHIVIST):
        assert found(archive, identity, "Raqqa") == []
    assert archive.index.check(SYSTEM) == {a.index_name: {"missing": [], "unexpected": []}
                                           for a in INDEXED_AUDIENCES}


def test_a_duplicate_of_an_existing_accession_fails_the_whole_file(example_archive, tmp_path):
    before, index_before = counts(example_archive), indexed(example_archive)
    assert before["audit_events"] > 0 and before["revisions"] == 2
    data = _many(5)
    dup = copy.deepcopy(example()["testimonies"][0])     # OH-2015-0001 again, last in the file
    dup["collection"] = "second-batch"
    data["testimonies"].append(dup)
    path = tmp_path / "again.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConflictError) as info:
        example_archive.transfer.import_file(SYSTEM, path)
    message = str(info.value)
    assert str(path) in message and "OH-2015-0001" in message and "field id" in message
    assert counts(example_archive) == before
    assert indexed(example_archive) == index_before
    assert found(example_archive, ANONYMOUS, "Raqqa") == ["OH-2015-0001"]
    with example_archive.db.session() as session:
        raqqa = example_archive.transfer.authorities(session)["place:raqqa"]
        assert "Raqqa-variant-added-by-a-failed-import" not in raqqa.variants


def test_importing_the_same_file_twice_is_refused_and_changes_nothing(example_archive):
    before = counts(example_archive)
    with pytest.raises(ConflictError) as info:
        example_archive.transfer.import_file(SYSTEM, EXAMPLE)
    assert info.value.record == "OH-2015-0001" and info.value.field == "id"
    assert counts(example_archive) == before


def test_only_staff_may_import(archive):
    for identity in (ANONYMOUS, RESEARCHER):
        with pytest.raises(PermissionDenied):
            archive.transfer.import_file(identity, EXAMPLE)
    assert counts(archive)["testimonies"] == 0


# -- export ------------------------------------------------------------------------------------------

def test_the_staff_export_round_trips(archive, other_archive, tmp_path):
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    first = archive.transfer.export(SYSTEM, "admin")
    assert len(first["testimonies"]) == 13
    path = tmp_path / "full.json"
    path.write_text(json.dumps(first, ensure_ascii=False, indent=1), encoding="utf-8")
    other_archive.transfer.import_file(SYSTEM, path)
    second = other_archive.transfer.export(SYSTEM, "admin")
    assert second == first
    # and the copy behaves like the original
    assert found(other_archive, ANONYMOUS, "Raqqa") == found(archive, ANONYMOUS, "Raqqa")
    assert indexed(other_archive) == indexed(archive)
    full = json.dumps(first, ensure_ascii=False)
    assert "EXAMPLE-LEGAL-NAME-1" in full and "Khaled Haddad" in full


def test_the_staff_export_keeps_the_example_as_it_was(example_archive):
    exported = {t["id"]: t for t in example_archive.transfer.export(SYSTEM, "admin")["testimonies"]}
    original = {t["id"]: t for t in example()["testimonies"]}
    for accession, item in original.items():
        out = exported[accession]
        for key in ("title", "summary", "interview_date", "interview_place", "languages", "state"):
            assert out[key] == item[key], (accession, key)
        assert [t["text"] for t in out["transcripts"]] == [t["text"] for t in item["transcripts"]]
        assert [(r["id"], r.get("start"), r.get("end"), r.get("text"), r.get("field"))
                for r in out["redactions"]] == \
            [(r["id"], r.get("start"), r.get("end"), r.get("text"), r.get("field")) for r in item["redactions"]]


def test_the_public_export_leaks_nothing_and_is_valid(archive):
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    exported = archive.transfer.export(ANONYMOUS, "public")
    assert exported == archive.transfer.export(SYSTEM, "public")
    text = json.dumps(exported, ensure_ascii=False)
    demo_legal_names = [n["legal_name"] for t in json.loads(DEMO.read_text("utf-8"))["testimonies"]
                        for n in t["narrators"] if n.get("legal_name")]
    assert len(demo_legal_names) == 10
    for word in ("Khaled", "Haddad", "Suluk", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1", "legal_name",
                 "contact", "risk_notes", *demo_legal_names, "redactions", "sensitive_terms", "obtained_by",
                 "سامر"):
        assert word not in text, word
    # (the demo mentions Gaziantep openly; the example's interview place must not)
    oh_0001 = next(t for t in exported["testimonies"] if t["id"] == "OH-2015-0001")
    assert "Gaziantep" not in json.dumps(oh_0001, ensure_ascii=False)
    assert "[name withheld]" in text and "[place withheld]" in text and "[undisclosed location]" in text
    ids = [t["id"] for t in exported["testimonies"]]
    assert "OH-2015-0001" in ids
    for hidden in ("OH-2015-0002", "DEMO-2015-0003", "DEMO-2015-0004", "DEMO-2017-0005",
                   "DEMO-2017-0009", "DEMO-2017-0011"):
        assert hidden not in ids
    parsed = parse_document(copy.deepcopy(exported), "public.json")
    assert [t["id"] for t in parsed["testimonies"]] == ids
    assert [a["id"] for a in exported["authorities"]]
    # places in the export are only those its testimonies use
    used = {p for t in exported["testimonies"] for p in t["places"]}
    assert {a["id"] for a in exported["authorities"]} <= used


def test_the_public_export_reimports_to_the_same_public_view(example_archive, other_archive, tmp_path):
    exported = example_archive.transfer.export(ANONYMOUS, "public")
    path = tmp_path / "public.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    other_archive.transfer.import_file(SYSTEM, path)
    assert other_archive.transfer.export(ANONYMOUS, "public") == exported
    view = other_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert view["interview_place"] == "[undisclosed location]"
    assert found(other_archive, ANONYMOUS, "Raqqa") == ["OH-2015-0001"]
    assert other_archive.search.search(SYSTEM, "Khaled").total == 0   # never there to begin with


def test_the_researcher_export(archive):
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    public = {t["id"] for t in archive.transfer.export(SYSTEM, "public")["testimonies"]}
    exported = archive.transfer.export(RESEARCHER, "researcher")
    ids = {t["id"] for t in exported["testimonies"]}
    assert public < ids
    assert "DEMO-2015-0003" in ids - public                  # scope: researchers
    for hidden in ("OH-2015-0002", "DEMO-2015-0004", "DEMO-2017-0005", "DEMO-2017-0009", "DEMO-2017-0011"):
        assert hidden not in ids
    text = json.dumps(exported, ensure_ascii=False)
    assert "the farm near Suluk" in text
    for word in ("Khaled", "Haddad", "EXAMPLE-LEGAL-NAME-1", "legal_name", "redactions"):
        assert word not in text, word
    oh_0001 = next(t for t in exported["testimonies"] if t["id"] == "OH-2015-0001")
    assert "Gaziantep" not in json.dumps(oh_0001, ensure_ascii=False)
    parse_document(copy.deepcopy(exported), "researcher.json")


def test_nobody_exports_above_their_own_audience(example_archive):
    with pytest.raises(PermissionDenied):
        example_archive.transfer.export(ANONYMOUS, "researcher")
    with pytest.raises(PermissionDenied):
        example_archive.transfer.export(RESEARCHER, "archivist")
    with pytest.raises(PermissionDenied):
        example_archive.transfer.export(ARCHIVIST, "admin")
    assert example_archive.transfer.export(RESEARCHER)["audience"] == "researcher"


def test_archive_wide_sensitive_terms_survive_the_staff_export(archive, other_archive, tmp_path):
    data = example()
    data["sensitive_terms"] = [{"term": "Samer al-Ali", "variants": ["سامر العلي"], "category": "person"}]
    archive.transfer.import_document(SYSTEM, parse_document(data, "terms.json"))
    first = archive.transfer.export(SYSTEM, "admin")
    # a file without audiences gives every term to archivists, and the export says so
    assert first["sensitive_terms"] == [{**s, "visible_to": "archivist"} for s in data["sensitive_terms"]]
    path = tmp_path / "full.json"
    path.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    other_archive.transfer.import_file(SYSTEM, path)
    assert other_archive.transfer.export(SYSTEM, "admin") == first
    # below staff, the list of what to protect is itself withheld
    for audience in ("public", "researcher"):
        assert "Samer" not in json.dumps(archive.transfer.export(SYSTEM, audience), ensure_ascii=False)
