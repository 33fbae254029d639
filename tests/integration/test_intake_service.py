"""IntakeService on SQLite and PostgreSQL, with the real files in ../shared/realdata read in place:
OHMS files become draft testimonies, transcripts join testimonies, CSV rows create and update, and
a malformed copy of any of them leaves no row, no index document and no revision."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.audience import Audience
from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.identity import ANONYMOUS, SYSTEM, Identity
from archive import model
from archive.services.intake import kind_of

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
SCIHIST = REALDATA / "scihist_digicoll"
DUARTE = SCIHIST / "ohms_xml" / "legacy" / "duarte_OH0344.xml"
HANFORD = SCIHIST / "ohms_xml" / "legacy" / "hanford_OH0139.xml"
VTT_OHMS = SCIHIST / "ohms_xml" / "chappelear-ohmsvtt-example.xml"
SAMPLE_OHMS = SCIHIST / "ohms_xml" / "small-sample-vtt-ohms.xml"
EMPTY_OHMS = SCIHIST / "ohms_xml" / "empty_ohms.xml"
ALYEA = SCIHIST / "ohms_xml" / "legacy" / "alyea_OH0010.xml"
TEXT = SCIHIST / "plain_text_transcript" / "isaacs_j2ntg1k_sample_with_timecodes.txt"
BALTIMORE = SCIHIST / "plain_text_transcript" / "baltimore_sample.txt"
DOCX = SCIHIST / "oh_docx" / "sample-oh-timecode-need-sequencing.docx"
SIMPLE_VTT = SCIHIST / "webvtt" / "simple.vtt"
SRT = REALDATA / "ada_zangemann_srt" / "en.srt"
ARABIC_VTT = REALDATA / "elephantsdream_vtt" / "captions.ar.vtt"
ARCHIVIST = Identity(Audience.ARCHIVIST, username="archivist")


def counts(archive) -> dict:
    """Everything an import could leave behind: rows, revisions, index documents."""
    with archive.db.session() as session:
        rows = {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                for table in (model.Testimony, model.Transcript, model.Segment, model.Revision)}
        rows["audit"] = session.scalar(select(func.count()).select_from(model.AuditEvent)
                                       .where(model.AuditEvent.action != "testimony.view_original"))
    rows["indexed"] = {name: sorted(archive.indexes.testimony_ids(name))
                       for name in ("public", "researcher", "staff")}
    return rows


def test_real_files_are_told_apart_by_their_content():
    assert kind_of(DUARTE.read_bytes(), "x.txt") == "ohms"
    assert kind_of(TEXT.read_bytes(), "x.xml") == "text"
    assert kind_of(DOCX.read_bytes(), "x") == "docx"
    assert kind_of(SRT.read_bytes(), "x") == "srt"
    assert kind_of(ARABIC_VTT.read_bytes(), "x") == "webvtt"
    assert kind_of(b'\xef\xbb\xbf{"format": "testimony-archive/1"}', "x") == "json"
    assert kind_of(b"\xef\xbb\xbfAccession_ID,title\r\nA,B\r\n", "x") == "csv"
    with pytest.raises(ValidationError, match="empty"):
        kind_of(b"", "x.csv")


def test_an_ohms_file_becomes_a_draft_with_its_metadata_segments_and_transcript(archive):
    data = DUARTE.read_bytes()
    preview = archive.intake.preview(ARCHIVIST, data, "duarte_OH0344.xml")
    assert counts(archive)["testimonies"] == 0          # the preview wrote nothing
    assert preview["action"] == "create" and preview["accession_id"] == "OH0344" and not preview["problems"]
    assert [s["title"] for s in preview["segments"]][:2] == ["Early childhood and Duarte family history",
                                                              "Growing up with Gordon Moore"]
    assert preview["segments"][1]["start"] == 212.0 and preview["segments"][1]["excerpt"].startswith("BROCK:")

    accession = archive.intake.import_ohms(ARCHIVIST, data, "duarte_OH0344.xml")
    assert accession == "OH0344"
    view = archive.testimonies.get(SYSTEM, accession)
    assert view["state"] == "draft" and view["collection"]["id"] == "imports"
    assert view["consent"]["status"] == "pending" and view["consent"]["scope"] == "archive"
    assert view["title"] == "Oral history interview with Ronald Duarte"
    assert view["interview_date"] == "2006-06-13" and view["languages"] == ["en"]
    assert view["interviewers"] == ["David C. Brock"] and view["duration"] == 1686.0
    assert view["subjects"] == ["Intel Corporation", "Semiconductor industry"]
    assert "Moore, Gordon E., 1929-" in view["keywords"]      # a heading with commas: a keyword
    # The interviewee's name is restricted and watched for, never made the public name.
    assert view["narrators"] == [{"key": "OH0344-N1", "public_name": "Narrator of OH0344",
                                  "legal_name": "Ronald Duarte"}]
    assert view["sensitive_terms"] == [{"term": "Ronald Duarte", "variants": [], "category": "person"}]
    [transcript] = view["transcripts"]
    assert transcript["key"] == "en" and transcript["language"] == "en"
    segments = transcript["segments"]
    assert len(segments) == 7 and segments[0]["start"] == 0.0 and segments[-1]["end"] == 1686.0
    assert segments[0]["title"] == "Early childhood and Duarte family history"
    assert "Pescadero" in segments[0]["synopsis"] and "whaling" in segments[0]["keywords"]
    assert "".join(p["text"] for s in segments for p in s["pieces"]).startswith("BROCK: This is an oral history")

    assert archive.audit.revisions(SYSTEM, accession)[0]["summary"] == "imported from duarte_OH0344.xml (OHMS)"
    [event] = [e for e in archive.audit.events(SYSTEM, target=accession) if e["action"] == "testimony.import"]
    assert event["actor"] == "archivist" and event["detail"]["format"] == "ohms"
    indexed = counts(archive)["indexed"]
    assert indexed == {"public": [], "researcher": [], "staff": ["OH0344"]}
    hits = archive.search.search(SYSTEM, "Pescadero")
    assert hits.total == 1


def test_an_imported_draft_stays_hidden_from_the_public_and_researchers(archive):
    accession = archive.intake.import_ohms(ARCHIVIST, DUARTE.read_bytes(), "duarte.xml")
    for identity in (ANONYMOUS, Identity(Audience.RESEARCHER, username="r")):
        with pytest.raises(NotFound):
            archive.testimonies.get(identity, accession)
        assert archive.search.search(identity, "Pescadero").total == 0
        assert archive.testimonies.list(identity) == []


def test_v6_ohms_and_files_without_accession_or_transcript(archive):
    # v6 (<vtt_transcript>), no language in the file: the preview offers the one its text shows, for the
    # archivist to confirm; imported without it, it is stored as undetermined.
    preview = archive.intake.preview(ARCHIVIST, VTT_OHMS.read_bytes(), "chappelear.xml")
    assert preview["detected_language"] == "en" and preview["language"] == "en"
    assert archive.intake.import_ohms(ARCHIVIST, VTT_OHMS.read_bytes(), "chappelear.xml") == "OH1153"
    view = archive.testimonies.get(SYSTEM, "OH1153")
    assert view["languages"] == [] and view["transcripts"][0]["language"] == "und"
    assert len(view["transcripts"][0]["segments"]) == 7
    # With the language given, it is set.
    assert archive.intake.import_ohms(ARCHIVIST, HANFORD.read_bytes(), "hanford.xml", language="en") == "OH0139"
    assert archive.testimonies.get(SYSTEM, "OH0139")["languages"] == ["en"]
    # No <accession>: the OHMS record id, said in a warning.
    preview = archive.intake.preview(ARCHIVIST, SAMPLE_OHMS.read_bytes(), "sample.xml")
    assert preview["accession_id"] == "36809" and any("record id" in w for w in preview["warnings"])
    # No transcript at all: a metadata-only draft, no transcript row.
    assert archive.intake.import_ohms(ARCHIVIST, EMPTY_OHMS.read_bytes(), "empty.xml") == "OH0010"
    assert archive.testimonies.get(SYSTEM, "OH0010")["transcripts"] == []


def test_a_duplicate_accession_is_a_clear_conflict_and_changes_nothing(archive):
    archive.intake.import_ohms(ARCHIVIST, EMPTY_OHMS.read_bytes(), "empty_ohms.xml")
    before = counts(archive)
    # alyea_OH0010.xml carries the same accession id as empty_ohms.xml
    preview = archive.intake.preview(ARCHIVIST, ALYEA.read_bytes(), "alyea_OH0010.xml")
    assert preview["problems"] and "OH0010 already exists" in preview["problems"][0]
    with pytest.raises(ConflictError) as caught:
        archive.intake.import_ohms(ARCHIVIST, ALYEA.read_bytes(), "alyea_OH0010.xml")
    assert caught.value.file == "alyea_OH0010.xml" and caught.value.record == "OH0010"
    assert "already exists" in caught.value.message
    assert counts(archive) == before


def test_a_named_collection_must_exist(archive):
    with pytest.raises(ValidationError, match="no collection 'nosuch'"):
        archive.intake.import_ohms(ARCHIVIST, DUARTE.read_bytes(), "duarte.xml", collection="nosuch")
    assert counts(archive)["testimonies"] == 0


def _truncated(data: bytes) -> bytes:
    return data[:len(data) // 2]


MALFORMED = {
    "truncated OHMS": (DUARTE, _truncated, "not well-formed XML"),
    "OHMS with an entity": (DUARTE, lambda d: d.replace(b"<ROOT", b'<!DOCTYPE r [<!ENTITY x "y">]>\n<ROOT', 1),
                            "entities"),
    "OHMS with a bad index time": (DUARTE, lambda d: d.replace(b"<time>212</time>", b"<time>soon</time>", 1),
                                   "index point time 'soon'"),
    "latin-1 OHMS": (DUARTE, lambda d: d.replace("’".encode(), b"\x92", 1), "not valid UTF-8"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_ohms_copy_leaves_nothing(archive, case):
    path, damage, message = MALFORMED[case]
    data = damage(path.read_bytes())
    assert data != path.read_bytes()
    before = counts(archive)
    with pytest.raises(ValidationError, match=message) as caught:
        archive.intake.import_ohms(ARCHIVIST, data, path.name)
    assert caught.value.file == path.name
    with pytest.raises(ValidationError, match=message):
        archive.intake.preview(ARCHIVIST, data, path.name)
    assert counts(archive) == before


@pytest.fixture
def draft(archive):
    """A draft testimony made from an OHMS file, with an English transcript "en"."""
    return archive.intake.import_ohms(ARCHIVIST, DUARTE.read_bytes(), "duarte.xml")


@pytest.mark.parametrize("path, fmt, language, key", [
    (TEXT, "text", None, "en"), (DOCX, "docx", None, "docx"), (SIMPLE_VTT, "webvtt", None, "vtt"),
    (SRT, "srt", "en", "srt"), (ARABIC_VTT, "webvtt", "ar", None), (SAMPLE_OHMS, "ohms", "en", "ohms"),
])
def test_each_transcript_format_goes_into_a_testimony(archive, draft, path, fmt, language, key):
    data = path.read_bytes()
    replace = key == "en"            # the text file replaces the OHMS transcript "en"
    preview = archive.intake.preview(ARCHIVIST, data, path.name, language, into=draft, key=key, replace=replace)
    assert preview["format"] == fmt and not preview["problems"]
    assert preview["action"] == ("replace" if replace else "add")
    saved = archive.intake.add_transcript(ARCHIVIST, draft, data, path.name, language=language, key=key,
                                          replace=replace)
    assert saved == (key or language)
    view = archive.testimonies.get(SYSTEM, draft)
    transcript = next(t for t in view["transcripts"] if t["key"] == saved)
    assert transcript["language"] == (language or "en")
    assert len(transcript["segments"]) == len(preview["segments"]) > 0
    assert [s["start"] for s in transcript["segments"]] == [s["start"] for s in preview["segments"]]
    if language == "ar":
        assert "ar" in view["languages"]
    summary = archive.audit.revisions(SYSTEM, draft)[0]["summary"]
    assert summary == f"transcript {saved} {'replaced' if replace else 'added'} from {path.name}"
    action = "transcript.replace" if replace else "transcript.add"
    assert any(e["action"] == action for e in archive.audit.events(SYSTEM, target=draft))
    # The staff index holds the new words.
    word = {"text": "Isaacs", "docx": "Caruso", "webvtt": "Hildy" if language is None else "الشمال",
            "srt": "Zangemann", "ohms": "museum"}[fmt]
    assert archive.search.search(SYSTEM, word).total >= 1, word


def test_a_transcript_is_replaced_only_when_asked_and_never_under_redactions(archive, draft):
    data = BALTIMORE.read_bytes()
    before = counts(archive)
    with pytest.raises(ConflictError, match="already has a transcript 'en'"):
        archive.intake.add_transcript(ARCHIVIST, draft, data, "baltimore.txt")
    assert counts(archive) == before
    archive.redactions.add(ARCHIVIST, draft, category="person", replacement="[name withheld]",
                           transcript="en", start=0, end=5, text="BROCK")
    before = counts(archive)
    preview = archive.intake.preview(ARCHIVIST, data, "baltimore.txt", into=draft, replace=True)
    assert "redactions (R-1)" in preview["problems"][0]
    with pytest.raises(ConflictError) as caught:
        archive.intake.add_transcript(ARCHIVIST, draft, data, "baltimore.txt", replace=True)
    assert "redactions (R-1)" in caught.value.message and "wrong words" in caught.value.message
    assert counts(archive) == before
    assert archive.testimonies.get(SYSTEM, draft)["transcripts"][0]["segments"][0]["title"] == \
        "Early childhood and Duarte family history"


def test_a_published_testimony_takes_no_unreviewed_transcript(example_archive):
    before = counts(example_archive)
    with pytest.raises(ConflictError, match="published"):
        example_archive.intake.add_transcript(ARCHIVIST, "OH-2015-0001", TEXT.read_bytes(), "t.txt", key="new")
    with pytest.raises(NotFound):
        example_archive.intake.add_transcript(ARCHIVIST, "NOPE", TEXT.read_bytes(), "t.txt")
    assert counts(example_archive) == before


def test_a_transcript_without_a_language_needs_one(archive):
    report = archive.intake.import_csv(ARCHIVIST, b"accession_id,title\nNOLANG,No language\n", "m.csv")
    assert report["created"] == 1
    with pytest.raises(ValidationError, match="does not say its language") as caught:
        archive.intake.add_transcript(ARCHIVIST, "NOLANG", SIMPLE_VTT.read_bytes(), "simple.vtt")
    assert caught.value.field == "language"
    with pytest.raises(ValidationError, match="not a language code"):
        archive.intake.add_transcript(ARCHIVIST, "NOLANG", SIMPLE_VTT.read_bytes(), "simple.vtt", language="english")


@pytest.mark.parametrize("path, damage, message", [
    (SIMPLE_VTT, lambda d: d.replace(b"-->", b"->", 1), "line"),
    (SRT, lambda d: d.replace(b"00:00:00,960 -->", b"00:00:00,960 --> 00:99", 1), "line"),
    (DOCX, _truncated, "DOCX"),
    (TEXT, lambda d: b"\x89PNG\r\n\x1a\n" + d, "PNG"),
    (TEXT, lambda d: d.replace(b"e", b"\xe9", 1), "not valid UTF-8"),
])
def test_a_malformed_transcript_copy_leaves_nothing(archive, draft, path, damage, message):
    data = damage(path.read_bytes())
    before = counts(archive)
    with pytest.raises(ValidationError, match=message) as caught:
        archive.intake.add_transcript(ARCHIVIST, draft, data, path.name, language="en", key="new")
    assert caught.value.file == path.name
    assert counts(archive) == before


def test_a_failure_after_the_index_was_written_leaves_no_index_document(archive, monkeypatch):
    """The unit of work: if anything fails after the indexes took the new testimony, they are put
    back to what the database holds, and the database keeps nothing."""
    before = counts(archive)
    monkeypatch.setattr(archive.index, "sync", _sync_then_fail(archive.index.sync))
    with pytest.raises(RuntimeError, match="disk full"):
        archive.intake.import_ohms(ARCHIVIST, DUARTE.read_bytes(), "duarte.xml")
    assert counts(archive) == before


def _sync_then_fail(sync):
    def run(session, *testimonies, **kwargs):
        sync(session, *testimonies, **kwargs)
        raise RuntimeError("disk full")
    return run


CSV = """accession_id,collection,title,summary,interview_date,interview_place,languages,subjects,keywords,places,interviewers,narrator_public_name,narrator_role
CSV-1,,First testimony,About a crossing,2015?,Gaziantep,en;ar,Exile;Border,smuggling,,Rania Haddad,Abu Sami,smuggler
CSV-2,,,no title for a new one,,,,,,,,,
CSV-3,,Third,,June 2015,,,,,,,,
CSV-4,,Fourth,,2016,,english,,,,,,
CSV-5,nosuch,Fifth,,2016,,,,,,,,
OH-2015-0001,,A new title for the example,,,,,,,,,,
"CSV-6",,"A title, with a comma
and a line break",,2014/2015,,fr,,,,,,
CSV-1,,Again,,,,,,,,,,
"""


def test_csv_rows_are_each_all_or_nothing_with_line_numbers(example_archive):
    archive = example_archive
    data = CSV.encode()
    before = counts(archive)
    dry = archive.intake.import_csv(ARCHIVIST, data, "metadata.csv", dry_run=True)
    assert counts(archive) == before                                   # a dry run writes nothing
    statuses = [(r["line"], r["accession_id"], r["status"]) for r in dry["rows"]]
    assert statuses == [(2, "CSV-1", "would create"), (3, "CSV-2", "error"), (4, "CSV-3", "error"),
                        (5, "CSV-4", "error"), (6, "CSV-5", "error"), (7, "OH-2015-0001", "would update"),
                        (8, "CSV-6", "would create"), (10, "CSV-1", "error")]
    errors = {r["line"]: (r["field"], r["error"]) for r in dry["rows"] if r["status"] == "error"}
    assert errors[3] == ("title", "is required for a new testimony")
    assert errors[4][0] == "interview_date" and "not an EDTF date" in errors[4][1]
    assert errors[5] == ("languages", "'english' is not a language code (e.g. en, ar, fr)")
    assert errors[6][0] == "collection" and "no collection 'nosuch'" in errors[6][1]
    assert errors[10] == ("accession_id", "CSV-1 already appears on line 2 of this file")
    assert "metadata.csv, record line 4, field interview_date" in \
        next(r["message"] for r in dry["rows"] if r["line"] == 4)
    update = next(r for r in dry["rows"] if r["line"] == 7)
    assert update["changes"] == [{"field": "title", "before": "Driving defectors to the border",
                                  "after": "A new title for the example"}]
    assert "published" in update["notes"][0]
    assert "skipped" in dry["note"] and "other rows are imported" in dry["note"]

    report = archive.intake.import_csv(ARCHIVIST, data, "metadata.csv")
    assert (report["created"], report["updated"], report["unchanged"], report["failed"]) == (2, 1, 0, 5)
    assert [r["status"] for r in report["rows"]] == ["created", "error", "error", "error", "error", "updated",
                                                     "created", "error"]
    first = archive.testimonies.get(SYSTEM, "CSV-1")
    assert first["state"] == "draft" and first["consent"]["status"] == "pending"
    assert first["collection"]["id"] == "imports" and first["interview_date"] == "2015?"
    assert first["languages"] == ["en", "ar"] and first["subjects"] == ["Exile", "Border"]
    assert first["interviewers"] == ["Rania Haddad"] and first["interview_place"] == "Gaziantep"
    assert [(n["key"], n["public_name"], n["role"]) for n in first["narrators"]] == [("CSV-1-N1", "Abu Sami", "smuggler")]
    assert archive.testimonies.get(SYSTEM, "CSV-6")["title"] == "A title, with a comma\nand a line break"
    assert archive.testimonies.get(SYSTEM, "OH-2015-0001")["title"] == "A new title for the example"
    # Refused rows left nothing; written ones have their revision, audit event and index documents.
    for missing in ("CSV-2", "CSV-3", "CSV-4", "CSV-5"):
        with pytest.raises(NotFound):
            archive.testimonies.get(SYSTEM, missing)
    after = counts(archive)
    assert after["testimonies"] == before["testimonies"] + 2
    assert after["indexed"]["staff"] == sorted(before["indexed"]["staff"] + ["CSV-1", "CSV-6"])
    assert after["indexed"]["public"] == before["indexed"]["public"]
    assert archive.audit.revisions(SYSTEM, "CSV-1")[0]["summary"] == "created from metadata.csv line 2"
    assert archive.audit.revisions(SYSTEM, "OH-2015-0001")[0]["summary"] == "updated from metadata.csv line 7"
    # The public sees the new title of the published example at once (its index was rewritten).
    assert archive.search.search(ANONYMOUS, "title:example").total == 1

    again = archive.intake.import_csv(ARCHIVIST, data, "metadata.csv")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


@pytest.mark.parametrize("data, message", [
    (b"title,summary\nA,B\n", "no accession_id column"),
    (b"accession_id,titel\nA,B\n", "unknown column 'titel'"),
    (b"accession_id,title,title\nA,B,C\n", "appears twice"),
    (b"accession_id,title\n", "no rows"),
    (b"accession_id,title\nA,\"unclosed\n", "not readable as CSV"),
    (b"accession_id,title\nA,caf\xe9\n", "not valid UTF-8"),
])
def test_a_csv_file_that_cannot_be_read_is_refused_whole(example_archive, data, message):
    before = counts(example_archive)
    with pytest.raises(ValidationError, match=message) as caught:
        example_archive.intake.import_csv(ARCHIVIST, data, "bad.csv")
    assert caught.value.file == "bad.csv"
    assert counts(example_archive) == before


def test_csv_places_become_authority_ids_and_commas_are_refused(example_archive):
    archive = example_archive
    report = archive.intake.import_csv(
        ARCHIVIST, "accession_id,title,places,subjects\nP-1,Places,Al-Raqqah;Nowhere,\nP-2,Bad,\"Raqqa, Syria\",\n"
                   "P-3,Bad,,\"Duarte, Ronald\"\n".encode(), "places.csv")
    assert [r["status"] for r in report["rows"]] == ["created", "error", "error"]
    assert [r["field"] for r in report["rows"][1:]] == ["places", "subjects"]
    places = archive.testimonies.get(SYSTEM, "P-1")["places"]
    assert [p["id"] for p in places] == ["place:raqqa", "Nowhere"]


def test_intake_refuses_researchers_and_the_public(archive):
    data = DUARTE.read_bytes()
    for identity in (ANONYMOUS, Identity(Audience.RESEARCHER, username="r")):
        for call in (lambda: archive.intake.preview(identity, data, "d.xml"),
                     lambda: archive.intake.import_ohms(identity, data, "d.xml"),
                     lambda: archive.intake.add_transcript(identity, "X", data, "d.xml"),
                     lambda: archive.intake.import_csv(identity, b"accession_id\nA\n", "m.csv")):
            with pytest.raises(PermissionDenied):
                call()
    assert counts(archive)["testimonies"] == 0
