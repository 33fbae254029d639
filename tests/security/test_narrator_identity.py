"""Finding 9 of issue 12: a narrator's own name is a sensitive term, and publication takes two archivists.

Reproduced as a new archivist would: a legal name typed into the narrator form, a transcript whose
speaker labels ("DUARTE:") and text ("Maria") hold it, consent granted, then published by the one
archivist who wrote it. The name must be flagged however the narrator was entered (form, CSV, JSON,
OHMS), under every part of it, and a second archivist must review before anything goes public,
unless an admin turns the two-person rule off. On SQLite and PostgreSQL.
"""
from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from archive.errors import ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from tests.conftest import REALDATA, csrf_from

ANN = for_role("archivist", 2, "ann")
BOB = for_role("archivist", 3, "bob")
DUARTE_OHMS = REALDATA / "scihist_digicoll" / "ohms_xml" / "legacy" / "duarte_OH0344.xml"

TRANSCRIPT = """INTERVIEWER: Where were you born?
DUARTE: In a village near the border. My mother called me Maria after her sister.
INTERVIEWER: And the crossing?
DUARTE: We left at night. Nobody said my name on the way.
"""
LABELS, GIVEN = 2, 1       # "DUARTE:" twice, "Maria" once


def _granted(archive, identity, accession: str) -> None:
    archive.consent.record(identity, accession, "granted", "open", permissions={"publish_transcript": True},
                           date="2026-11-01", obtained_by="the interviewer")


def _through_the_form(archive, accession: str = "T-1") -> str:
    archive.records.create_collection(ANN, "oral", "Oral histories")
    archive.records.create_testimony(ANN, accession, collection="oral", title="A crossing", languages=["en"])
    archive.records.create_narrator(ANN, "N-1", public_name="Witness A", legal_name="Maria Duarte")
    archive.records.link_narrator(ANN, accession, "N-1")
    archive.intake.add_transcript(ANN, accession, TRANSCRIPT.encode(), "crossing.txt", language="en")
    _granted(archive, ANN, accession)
    return accession


def _shown(archive, accession: str) -> str:
    view = archive.testimonies.get(ANONYMOUS, accession)
    return "".join(p["text"] for tr in view["transcripts"] for s in tr["segments"] for p in s["pieces"])


def test_a_legal_name_typed_into_the_form_refuses_publication_with_its_occurrences(archive):
    accession = _through_the_form(archive)
    archive.testimonies.set_state(ANN, accession, "in_review")
    with pytest.raises(ValidationError) as refused:
        archive.testimonies.set_state(BOB, accession, "published")
    assert f"sensitive terms unredacted: 'Maria Duarte' ×{LABELS + GIVEN} (transcript en)" in str(refused.value)

    findings = archive.sensitive.findings(BOB, accession)
    [term] = [t for t in findings["terms"] if t["term"] == "Maria Duarte"]
    assert term["category"] == "person" and term["count"] == LABELS + GIVEN
    assert {"Maria", "Duarte"} <= set(term["variants"])
    shown = sorted(o["text"] for o in findings["occurrences"])
    assert shown == ["DUARTE", "DUARTE", "Maria"]
    # every occurrence has the redaction that would hide it beside it
    assert all(o["proposed"] for o in findings["occurrences"])

    # "redact all" works on the narrator's term as on a registered one; a second archivist approves
    result = archive.sensitive.redact_all(ANN, accession, term["id"], replacement="[narrator]")
    assert len(result["proposed"]) == LABELS + GIVEN and result["left"] == []
    for key in result["proposed"]:
        archive.redactions.approve(BOB, accession, key)
    assert archive.sensitive.findings(BOB, accession)["occurrences"] == []
    archive.testimonies.set_state(BOB, accession, "published")
    text = _shown(archive, accession)
    assert "Duarte" not in text.title() and "Maria" not in text and "[narrator]" in text
    assert archive.search.search(ANONYMOUS, "Duarte").total == 0
    assert archive.search.search(ANONYMOUS, "crossing").total == 1


def test_the_name_follows_an_edit_of_the_narrator(archive):
    accession = _through_the_form(archive)
    archive.records.edit_narrator(ANN, "N-1", public_name="Witness A", legal_name="Ines Duarte")
    terms = {t["term"]: t["count"] for t in archive.sensitive.findings(ANN, accession)["terms"]}
    assert terms.get("Ines Duarte") == LABELS and "Maria Duarte" not in terms
    assert [f["terms"] for f in archive.sensitive.archive_findings(ANN)] == [["Ines Duarte"]]


def test_a_narrator_from_a_json_import_is_flagged(archive):
    document = parse_document({
        "format": "testimony-archive/1", "collections": [{"id": "oral", "title": "Oral histories"}],
        "testimonies": [{
            "id": "J-1", "collection": "oral", "title": "A crossing", "languages": ["en"], "state": "in_review",
            "narrators": [{"id": "N-J", "public_name": "Witness B", "legal_name": "Maria Duarte"}],
            "consent": {"status": "granted", "scope": "open", "permissions": {"publish_transcript": True}},
            "transcripts": [{"id": "en", "language": "en", "text": TRANSCRIPT}]}]}, "import.json")
    archive.transfer.import_document(SYSTEM, document)
    with pytest.raises(ValidationError, match=f"'Maria Duarte' ×{LABELS + GIVEN}"):
        archive.testimonies.set_state(BOB, "J-1", "published")
    assert archive.sensitive.archive_findings(ANN)[0]["terms"] == ["Maria Duarte"]


def test_a_narrator_from_a_csv_import_is_flagged_once_its_legal_name_is_known(archive):
    csv = b"accession_id,title,languages,narrator_key,narrator_public_name\nC-1,A crossing,en,N-C,Witness C\n"
    assert archive.intake.import_csv(ANN, csv, "rows.csv")["created"] == 1
    archive.intake.add_transcript(ANN, "C-1", TRANSCRIPT.encode(), "crossing.txt", language="en")
    _granted(archive, ANN, "C-1")
    archive.records.edit_narrator(ANN, "N-C", public_name="Witness C", legal_name="Maria Duarte")
    archive.testimonies.set_state(ANN, "C-1", "in_review")
    with pytest.raises(ValidationError, match="'Maria Duarte'"):
        archive.testimonies.set_state(BOB, "C-1", "published")


@pytest.mark.skipif(not DUARTE_OHMS.is_file(), reason="../shared/realdata is not beside the checkout")
def test_an_ohms_interviewee_is_flagged_by_surname_speaker_labels_once(archive):
    accession = archive.intake.import_ohms(ANN, DUARTE_OHMS.read_bytes(), "duarte_OH0344.xml")
    findings = archive.sensitive.findings(ANN, accession)
    named = [t for t in findings["terms"] if t["term"] == "Ronald Duarte"]
    assert len(named) == 1                      # the imported row and the narrator's name are one term
    labels = [o for o in findings["occurrences"] if o["text"] == "DUARTE" and o["field"] == "text"]
    assert len(labels) >= 40                    # "DUARTE:" before each of his answers
    spans = [(o["field"], o["transcript"], o["segment"], o["index"], o["start"]) for o in findings["occurrences"]]
    assert len(spans) == len(set(spans))        # no occurrence twice


# -- the two-person rule for publication -------------------------------------------------------------------

def _clean(archive, accession: str = "T-2") -> str:
    archive.records.create_collection(ANN, "clean", "Clean")
    archive.records.create_testimony(ANN, accession, collection="clean", title="Nothing to hide", languages=["en"])
    archive.intake.add_transcript(ANN, accession, b"We left at night.\n", "t.txt", language="en")
    _granted(archive, ANN, accession)
    return accession


def test_one_archivist_cannot_both_submit_and_publish(archive):
    accession = _clean(archive)
    with pytest.raises(ValidationError, match="in review"):
        archive.testimonies.set_state(ANN, accession, "published")        # straight from draft
    archive.testimonies.set_state(ANN, accession, "in_review")
    with pytest.raises(ValidationError, match="second archivist"):
        archive.testimonies.set_state(ANN, accession, "published")
    assert archive.testimonies.get(SYSTEM, accession)["state"] == "in_review"
    assert not archive.testimonies.may_publish(ANN, accession)
    assert archive.testimonies.may_publish(BOB, accession)
    # the one who last edited it is not its reviewer either
    archive.records.edit_testimony(BOB, accession, summary="Edited during review")
    assert not archive.testimonies.may_publish(BOB, accession)
    with pytest.raises(ValidationError, match="second archivist"):
        archive.testimonies.set_state(BOB, accession, "published")
    archive.records.edit_testimony(ANN, accession, summary="Edited back")
    with pytest.raises(ValidationError, match="second archivist"):
        archive.testimonies.set_state(ANN, accession, "published")     # submitted it and changed it last
    archive.testimonies.set_state(BOB, accession, "published")        # Bob reviews what Ann wrote
    assert archive.testimonies.get(ANONYMOUS, accession)["state"] == "published"


def test_with_the_rule_turned_off_one_archivist_may_publish(archive):
    accession = _clean(archive)
    assert archive.testimonies.may_publish(ANN, accession, two_person=False)
    archive.testimonies.set_state(ANN, accession, "published", two_person=False)
    assert archive.testimonies.get(ANONYMOUS, accession)["state"] == "published"
    # the other checks still hold with the rule off
    second = _through_the_form(archive, "T-3")
    with pytest.raises(ValidationError, match="'Maria Duarte'"):
        archive.testimonies.set_state(ANN, second, "published", two_person=False)


# -- the web: the review screen and the Publish button ---------------------------------------------------

PENDING = "DEMO-2017-0009"          # in review (imported by the system)


def _set_state(client, accession: str, state: str):
    token = csrf_from(client, f"/staff/testimonies/{accession}")
    return client.post(f"/staff/testimonies/{accession}/state", data={"state": state, "csrf_token": token})


def _options(client, accession: str) -> list[str]:
    doc = lxml.html.fromstring(client.get(f"/staff/testimonies/{accession}").get_data(as_text=True))
    return doc.xpath("//select[@name='state']/option/@value")


def test_the_page_offers_publish_only_to_a_second_archivist(app, signed_in):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    assert _set_state(archivist, PENDING, "draft").status_code == 302
    assert _set_state(archivist, PENDING, "in_review").status_code == 302
    assert "published" not in _options(archivist, PENDING)
    assert "published" in _options(reviewer, PENDING)
    refused = _set_state(archivist, PENDING, "published")
    assert refused.status_code == 400 and "second archivist" in refused.get_data(as_text=True)
    assert app.extensions["archive"].testimonies.get(SYSTEM, PENDING)["state"] == "in_review"

    app.config["TWO_PERSON_RULE"] = False          # the admin's setting
    assert "published" in _options(archivist, PENDING)


def test_the_review_screen_lists_each_narrator_occurrence_with_its_redaction(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    page = archivist.get("/staff/records/narrators/new?into=" + PENDING)
    assert page.status_code == 200
    token = csrf_from(archivist, "/staff/records/narrators/new?into=" + PENDING)
    saved = archivist.post("/staff/records/narrators/new?into=" + PENDING, data={
        "key": "N-MD", "public_name": "Witness A", "legal_name": "Maria Duarte", "csrf_token": token})
    assert saved.status_code == 302
    archive.intake.add_transcript(SYSTEM, PENDING, TRANSCRIPT.encode(), "crossing.txt", language="en", key="md")
    doc = lxml.html.fromstring(archivist.get(f"/staff/testimonies/{PENDING}").get_data(as_text=True))
    rows = doc.xpath("//*[@id='narrator-occurrences' or @id='occurrences']//tbody/tr")
    texts = [r.xpath("string(td[@class='occurrence-text'])") for r in rows]
    assert sorted(t for t in texts if t in ("DUARTE", "Maria")) == ["DUARTE", "DUARTE", "Maria"]
    assert all(r.xpath("string(td[@class='proposed'])").strip() for r in rows)
    assert doc.xpath("//*[@id='sensitive-terms']//form[contains(@action, '/sensitive-terms/narrator-')]")
