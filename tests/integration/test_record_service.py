"""RecordService on SQLite and PostgreSQL: validation naming the field, duplicate accession ids, a
revision and an audit event for every save, index sync, and narrators' restricted fields kept from
public and researcher views, exports and indexes."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.identity import ANONYMOUS, for_role
from archive.model import AuditEvent, Revision
from tests.security.conftest import audience_index_bytes

ANN = for_role("archivist", 1, "ann")
RESEARCHER = for_role("researcher", 3, "rita")
ADMIN = for_role("admin", 4, "ada")
OH1 = "OH-2015-0001"            # example file: published, open
COLLECTION = "leaving-raqqa"


def counts(archive) -> tuple[int, int]:
    with archive.db.session() as session:
        return (session.scalar(select(func.count()).select_from(Revision)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def last_event(archive) -> AuditEvent:
    with archive.db.session() as session:
        return session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def search_ids(archive, identity, q: str) -> set[str]:
    return {h.accession_id for h in archive.search.search(identity, q).testimonies}


def new(archive, accession="REC-0001", **fields):
    return archive.records.create_testimony(ANN, accession, **{"collection": COLLECTION, "title": "Zebrafinch road",
                                                               **fields})


@pytest.mark.parametrize("field, value, message", [
    ("interview_date", "2015-02-30", "'2015-02-30': day 30 does not exist in that month"),
    ("interview_date", "spring 2015", "is not an EDTF date (expected e.g. 2015, 2015-06"),
    ("interview_date", "2016/2015", "the interval ends before it starts"),
    ("languages", ["en", "Arabic"], "'Arabic' is not a language code"),
    ("places", ["place:raqqa", "place:atlantis"], "no authority record 'place:atlantis'"),
    ("collection", "no-such-collection", "no collection 'no-such-collection'"),
    ("title", "   ", "is required"),
])
def test_validation_errors_name_the_field_and_write_nothing(example_archive, field, value, message):
    archive = example_archive
    before = counts(archive)
    with pytest.raises(ValidationError) as caught:
        new(archive, **{field: value})
    assert caught.value.field == field and message in caught.value.message, str(caught.value)
    assert counts(archive) == before
    with pytest.raises(NotFound):
        archive.testimonies.get(ANN, "REC-0001")
    # editing refuses the same values the same way, and leaves the record as it was
    with pytest.raises(ValidationError) as caught:
        archive.records.edit_testimony(ANN, OH1, **{field: value})
    assert caught.value.field == field and caught.value.record == OH1
    assert counts(archive) == before


def test_an_edtf_message_is_the_parsers_own(example_archive):
    from archive import edtf
    with pytest.raises(edtf.EdtfError) as parsed:
        edtf.parse("2015-13")
    with pytest.raises(ValidationError) as caught:
        new(example_archive, interview_date="2015-13")
    assert caught.value.message == str(parsed.value)


def test_a_duplicate_accession_id_is_a_clear_conflict(example_archive):
    with pytest.raises(ConflictError) as caught:
        new(example_archive, OH1)
    assert caught.value.field == "accession_id" and "already taken" in str(caught.value) and OH1 in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        new(example_archive, "bad id/with slash")
    assert caught.value.field == "accession_id"


def test_a_new_testimony_is_a_draft_with_consent_pending_and_staff_can_find_it(example_archive):
    archive = example_archive
    new(archive, interview_date="2015?", languages=["en", "ar"], places=["place:raqqa"],
        subjects=["bakeries", "bakeries", " "], interviewers="Interviewer Z")
    view = archive.testimonies.get(ANN, "REC-0001")
    assert view["state"] == "draft" and view["consent"]["status"] == "pending"
    assert view["subjects"] == ["bakeries"] and view["interviewers"] == ["Interviewer Z"]
    assert search_ids(archive, ANN, "Zebrafinch") == {"REC-0001"}
    assert search_ids(archive, ANONYMOUS, "Zebrafinch") == set() == search_ids(archive, RESEARCHER, "Zebrafinch")


def test_every_save_writes_a_revision_and_an_audit_event(example_archive):
    archive = example_archive
    steps = [
        ("collection.create", "collection:new-coll", lambda: archive.records.create_collection(ANN, "new-coll", "New", "")),
        ("collection.edit", "collection:new-coll",
         lambda: archive.records.edit_collection(ANN, "new-coll", title="Newer", description="d")),
        ("testimony.create", "REC-0001", lambda: new(archive, collection="new-coll")),
        ("testimony.edit", "REC-0001", lambda: archive.records.edit_testimony(ANN, "REC-0001", summary="About bread")),
        ("narrator.create", "narrator:N-REC", lambda: archive.records.create_narrator(ANN, "N-REC", public_name="Baker")),
        ("narrator.edit", "narrator:N-REC",
         lambda: archive.records.edit_narrator(ANN, "N-REC", public_name="Baker", legal_name="Legal")),
        ("narrator.link", "REC-0001", lambda: archive.records.link_narrator(ANN, "REC-0001", "N-REC")),
        ("narrator.unlink", "REC-0001", lambda: archive.records.unlink_narrator(ANN, "REC-0001", "N-REC")),
        ("authority.create", "authority:place:rec",
         lambda: archive.records.create_authority(ANN, "place:rec", "place", "Rectown", ["Rekton"])),
        ("authority.edit", "authority:place:rec",
         lambda: archive.records.edit_authority(ANN, "place:rec", type="place", label="Rectown", variants=["Rekt"])),
    ]
    for action, target, call in steps:
        revisions, events = counts(archive)
        call()
        assert counts(archive) == (revisions + 1, events + 1), action
        event = last_event(archive)
        assert (event.action, event.target, event.actor) == (action, target, "ann")
        with archive.db.session() as session:
            revision = session.scalar(select(Revision).order_by(Revision.id.desc()).limit(1))
            assert (revision.accession_id, revision.author) == (target, "ann")
            assert revision.snapshot, action
    # the audit log (it outlives a purge) names what changed, never a narrator's restricted values
    with archive.db.session() as session:
        text = json.dumps([e.detail for e in session.scalars(select(AuditEvent))])
    assert "Legal" not in text and '"legal_name"' in text
    assert [r["summary"] for r in archive.audit.revisions(ANN, "REC-0001")][:2] == [
        "narrator N-REC unlinked", "narrator N-REC linked"]


def test_records_are_refused_below_archivist(example_archive):
    archive = example_archive
    before = counts(archive)
    for identity in (ANONYMOUS, RESEARCHER):
        calls = (lambda: archive.records.create_testimony(identity, "REC-0001", collection=COLLECTION, title="x"),
                 lambda: archive.records.edit_testimony(identity, OH1, title="x"),
                 lambda: archive.records.list_narrators(identity),
                 lambda: archive.records.get_narrator(identity, "N-0001"),
                 lambda: archive.records.edit_authority(identity, "place:raqqa", type="place", label="x"))
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    assert counts(archive) == before


def test_an_authority_variant_edit_reindexes_every_testimony_using_it(example_archive):
    archive = example_archive
    users = {t["accession_id"] for t in archive.testimonies.list(ANN) if "place:raqqa" in
             [p["id"] for p in t["places"]]}
    assert OH1 in users
    assert search_ids(archive, ANONYMOUS, "Quokkaville") == set()
    authority = archive.records.get_authority(ANN, "place:raqqa")
    done = archive.records.edit_authority(ANN, "place:raqqa", type="place", label=authority["label"],
                                          variants=[*authority["variants"], "Quokkaville"])
    assert set(done["reindexed"]) == users and done["changed"] == ["variants"]
    assert OH1 in search_ids(archive, ANONYMOUS, "Quokkaville")       # the public's place field knows it now
    assert search_ids(archive, ANN, "Quokkaville") >= users


def test_facet_labels_follow_label_and_title_edits(example_archive):
    """The labels are kept between results pages: an edit shows on the next page all the same."""
    archive = example_archive
    facets = archive.search.search(ANONYMOUS, "").facets
    assert "place:raqqa" in dict(facets["place"]) and COLLECTION in dict(facets["collection"])
    before = archive.search.facet_labels(ANONYMOUS, facets)
    assert before["place"]["place:raqqa"] != "Raqqa Relabelled"
    authority = archive.records.get_authority(ANN, "place:raqqa")
    archive.records.edit_authority(ANN, "place:raqqa", type="place", label="Raqqa Relabelled",
                                   variants=authority["variants"])
    archive.records.edit_collection(ANN, COLLECTION, title="Leaving, retitled")
    after = archive.search.facet_labels(ANONYMOUS, archive.search.search(ANONYMOUS, "").facets)
    assert after["place"]["place:raqqa"] == "Raqqa Relabelled"
    assert after["collection"][COLLECTION] == "Leaving, retitled"


RESTRICTED = {"legal_name": "Quillonius Restrictedname", "contact": "quillonius@hidden.example",
              "risk_notes": "Hunted by Zarquon militia"}
WORDS = ("Quillonius", "Restrictedname", "quillonius@hidden.example", "Zarquon")


def test_restricted_narrator_fields_reach_only_archivists(example_archive):
    archive = example_archive
    archive.records.create_narrator(ANN, "N-SECRET", public_name="Pseudonymo", role="witness", **RESTRICTED)
    archive.records.link_narrator(ANN, OH1, "N-SECRET")
    archive.records.edit_narrator(ANN, "N-SECRET", public_name="Pseudonymo", role="witness",
                                  **{**RESTRICTED, "risk_notes": RESTRICTED["risk_notes"] + " and Zarquon police"})
    for identity in (ANONYMOUS, RESEARCHER):
        view = archive.testimonies.get(identity, OH1)
        narrator = next(n for n in view["narrators"] if n["key"] == "N-SECRET")
        assert narrator["public_name"] == "Pseudonymo" and not set(narrator) & set(RESTRICTED)
        text = json.dumps([view, archive.transfer.export(identity, identity.audience.label)], ensure_ascii=False)
        assert not any(w.lower() in text.lower() for w in WORDS), identity
        for word in ("Quillonius", "Restrictedname", "Zarquon"):
            assert search_ids(archive, identity, word) == set(), (identity, word)
            assert search_ids(archive, identity, f"narrator:{word}") == set()
        assert search_ids(archive, identity, "Pseudonymo") == {OH1}
    for audience in ("public", "researcher"):
        data = audience_index_bytes(archive.indexes, audience).lower()
        assert not any(w.lower().encode() in data for w in WORDS), audience
    # positive control: archivists read and search them
    staff = next(n for n in archive.testimonies.get(ANN, OH1)["narrators"] if n["key"] == "N-SECRET")
    assert staff["legal_name"] == RESTRICTED["legal_name"]
    assert archive.records.get_narrator(ANN, "N-SECRET")["contact"] == RESTRICTED["contact"]
    assert search_ids(archive, ANN, "Quillonius") == {OH1}
    assert last_event(archive).action == "narrator.view_restricted"      # reading them is audited
