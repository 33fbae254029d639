"""Consent and purge on SQLite and PostgreSQL: recording consent with validation, its history, its
effect on search before the call returns, and the admin's purge of a withdrawn testimony (rows,
files, revisions and index documents gone; tombstone and audit entry left)."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive import model
from archive.model import (AuditEvent, ImageRedaction, MediaAsset, Narrator, Redaction, Revision, Segment,
                           SensitiveTerm, Transcript)
from tests.conftest import TODAY
from tests.security.conftest import audience_index_bytes
from tests.backends import engine_database  # noqa: E402

# SQLite here; PostgreSQL in make test's PostgreSQL pass, with its engine (tests/backends.py).
pytestmark = pytest.mark.parametrize("backend", engine_database(), indirect=True)

ANN = for_role("archivist", 1, "ann")
RESEARCHER = for_role("researcher", 3, "rita")
ADMIN = for_role("admin", 4, "ada")
OH1 = "OH-2015-0001"             # published, open: span and field redactions, a sensitive term, N-0001
OH2 = "OH-2015-0002"             # researchers, embargoed until 2030
# words only OH1 holds (its transcript, title, metadata, narrator)
OH1_WORDS = ("canadian", "khaled", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1")
GRANT = dict(status="granted", scope="open", date="2015-06-02", obtained_by="Interviewer B",
             permissions={"publish_transcript": True})


def photo(colour=(90, 110, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def count(archive, model, *where) -> int:
    with archive.db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def hits(archive, identity, q: str) -> set[str]:
    return {h.accession_id for h in archive.search.search(identity, q).testimonies}


# -- recording consent --------------------------------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"status": "maybe"}, "status", "'maybe' is not one of: pending, granted"),
    ({"status": "withdrawn"}, "status", "withdrawing consent has its own action"),
    ({"scope": "everyone"}, "scope", "'everyone' is not one of: open, researchers, archive"),
    ({"permissions": {"sing": True}}, "permissions", "unknown permission 'sing'"),
    ({"permissions": {"quote": "yes"}}, "permissions", "must be true or false"),
    ({"date": "2015-02-30"}, "date", "is not a date (YYYY-MM-DD)"),
    ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, "date", "is in the future"),
    ({"date": None}, "date", "a granted consent needs the date it was given"),
    ({"obtained_by": " "}, "obtained_by", "a granted consent needs who obtained it"),
    ({"embargo_until": "2015-01-01"}, "embargo_until", "the embargo ends before consent was given"),
])
def test_consent_validation_names_the_field_and_changes_nothing(example_archive, change, field, message):
    archive = example_archive
    before = archive.testimonies.get(ANN, OH1)["consent"]
    events = count(archive, AuditEvent)
    with pytest.raises(ValidationError) as caught:
        archive.consent.record(ANN, OH1, **{**GRANT, **change})
    assert caught.value.field == field and message in caught.value.message and caught.value.record == OH1
    assert archive.testimonies.get(ANN, OH1)["consent"] == before and count(archive, AuditEvent) == events + 1
    # (+1: the archivist's reading of the testimony above is itself audited)


def test_granting_consent_does_not_publish(example_archive):
    archive = example_archive
    archive.records.create_testimony(ANN, "CON-0001", collection="leaving-raqqa", title="Quagga ferry")
    done = archive.consent.record(ANN, "CON-0001", **GRANT)
    assert done["state"] == "draft" and archive.testimonies.get(ANN, "CON-0001")["state"] == "draft"
    assert hits(archive, ANONYMOUS, "Quagga") == set() and hits(archive, ANN, "Quagga") == {"CON-0001"}
    with pytest.raises(NotFound):
        archive.testimonies.get(ANONYMOUS, "CON-0001")
    archive.testimonies.set_state(ANN, "CON-0001", "in_review")          # the workflow publishes:
    archive.testimonies.set_state(ADMIN, "CON-0001", "published")        # submitted, then reviewed
    assert hits(archive, ANONYMOUS, "Quagga") == {"CON-0001"}


def test_a_narrowing_change_is_out_of_the_lower_indexes_before_the_call_returns(example_archive):
    archive = example_archive
    assert OH1 in hits(archive, ANONYMOUS, "Canadian") and OH1 in hits(archive, RESEARCHER, "Canadian")
    archive.consent.record(ANN, OH1, **{**GRANT, "scope": "researchers"})
    assert hits(archive, ANONYMOUS, "Canadian") == set() and OH1 in hits(archive, RESEARCHER, "Canadian")
    assert b"canadian" not in audience_index_bytes(archive.indexes, "public").lower()
    with pytest.raises(NotFound):
        archive.testimonies.get(ANONYMOUS, OH1)
    archive.consent.record(ANN, OH1, **{**GRANT, "scope": "researchers", "embargo_until": "2031-01-01"})
    assert hits(archive, RESEARCHER, "Canadian") == set()
    assert b"canadian" not in audience_index_bytes(archive.indexes, "researcher").lower()
    archive.consent.record(ANN, OH1, status="pending", scope="open")
    assert hits(archive, ANONYMOUS, "Canadian") == set() and hits(archive, ANN, "Canadian") == {OH1}
    # widening again shows it again, as the views say
    archive.consent.record(ANN, OH1, **GRANT)
    assert OH1 in hits(archive, ANONYMOUS, "Canadian")
    assert archive.index.check(ANN) == {a: {"missing": [], "unexpected": []} for a in ("public", "researcher", "staff")}


def test_history_says_who_when_and_what_changed(example_archive):
    archive = example_archive
    bob = for_role("archivist", 2, "bob")
    revisions, events = count(archive, Revision), count(archive, AuditEvent)
    archive.consent.record(ANN, OH1, **{**GRANT, "scope": "researchers"})
    archive.consent.record(bob, OH1, **{**GRANT, "scope": "researchers", "permissions": ["publish_transcript", "quote"]})
    assert (count(archive, Revision), count(archive, AuditEvent)) == (revisions + 2, events + 2)
    archive.consent.withdraw(bob, OH1, "The narrator asked.")
    history = archive.consent.history(ANN, OH1)
    first, *middle, last = history
    assert first["author"] == "system (command line)" and first["changes"]["status"] == [None, "granted"]
    assert [h["author"] for h in middle] == ["ann", "bob"]
    assert middle[0]["changes"]["scope"] == ["open", "researchers"] and middle[0]["changes"]["obtained_by"][1] == "Interviewer B"
    assert middle[1]["changes"]["permissions"][1]["quote"] is True and "scope" not in middle[1]["changes"]
    assert last["author"] == "bob" and last["changes"]["status"] == ["granted", "withdrawn"]
    assert last["changes"]["withdrawal_reason"] == [None, "The narrator asked."]
    assert all(dt.datetime.fromisoformat(h["at"]) for h in history)
    with pytest.raises(PermissionDenied):
        archive.consent.history(RESEARCHER, OH1)
    with pytest.raises(ConflictError):          # a withdrawal is final: no consent recorded after it
        archive.consent.record(ANN, OH1, **GRANT)


def test_the_signed_form_is_a_restricted_consent_form(example_archive):
    archive = example_archive
    asset = archive.media.add(ANN, OH1, PDF, "signed-consent.pdf", kind="consent-form")
    assert asset["kind"] == "consent-form"
    assert archive.media.assets_for(ANONYMOUS, OH1) == [] == archive.media.assets_for(RESEARCHER, OH1)
    with pytest.raises(NotFound):
        archive.media.asset(RESEARCHER, asset["id"])
    assert archive.media.original(ANN, asset["id"])["data"] == PDF


# -- purge --------------------------------------------------------------------------------------

def prepared(archive) -> dict:
    """OH1 with a photo (and its derivatives), a signed form, a box, a narrator of its own, and one
    narrator shared with OH2 (who must survive); the same photo also attached to OH2."""
    shared_photo = photo()
    own = archive.media.add(ANN, OH1, photo((10, 200, 30)), "narrator-at-home.png")
    both = archive.media.add(ANN, OH1, shared_photo, "shared.png")
    form = archive.media.add(ANN, OH1, PDF, "signed.pdf", kind="consent-form")
    archive.media.add_redaction(ANN, own["id"], box=[10, 10, 50, 50], category="person")
    twin = archive.media.add(ANN, OH2, shared_photo, "shared-too.png")
    archive.records.create_narrator(ANN, "N-BOTH", public_name="Both", legal_name="Bothlegal")
    archive.records.link_narrator(ANN, OH1, "N-BOTH")
    archive.records.link_narrator(ANN, OH2, "N-BOTH")
    archive.records.edit_narrator(ANN, "N-0001", public_name="Omar", legal_name="EXAMPLE-LEGAL-NAME-1",
                                  contact="EXAMPLE-CONTACT-1")
    archive.sensitive.add(ANN, "Quokkaterm", accession_id=OH1)
    archive.consent.withdraw(ANN, OH1, "The narrator asked.")
    return {"own": own, "both": both, "form": form, "twin": twin}


def test_purge_refuses_archivists_a_missing_confirmation_and_a_testimony_not_withdrawn(example_archive):
    archive = example_archive
    with pytest.raises(ValidationError) as caught:
        archive.consent.purge(ADMIN, OH1, OH1)
    assert caught.value.field == "state" and "only a withdrawn testimony may be purged" in caught.value.message
    archive.consent.withdraw(ANN, OH1, "The narrator asked.")
    with pytest.raises(PermissionDenied):
        archive.consent.purge(ANN, OH1, OH1)
    for typed in ("", "oh-2015-0001", "OH-2015-000", None):
        with pytest.raises(ValidationError) as caught:
            archive.consent.purge(ADMIN, OH1, typed)
        assert caught.value.field == "confirmation"
    with pytest.raises(NotFound):
        archive.consent.purge(ADMIN, "OH-NOSUCH", "OH-NOSUCH")
    assert count(archive, Transcript) > 0 and archive.testimonies.get(ANN, OH1)["title"]
    assert not any(e["action"] == "testimony.purge" for e in archive.audit.events(ANN))


def test_purge_deletes_rows_files_revisions_and_index_documents(example_archive):
    archive = example_archive
    assets = prepared(archive)
    with archive.db.session() as session:
        oh1 = session.scalar(select(model.Testimony.id).where(model.Testimony.accession_id == OH1))
        shas = {a.key: a.sha256 for a in session.scalars(select(MediaAsset))}
    store_root = archive.media_dir
    own_original = store_root / "originals" / shas[assets["own"]["id"]][:2] / shas[assets["own"]["id"]][2:4] / \
        shas[assets["own"]["id"]]
    assert own_original.is_file()
    derivative_dirs = lambda key: [p for p in (store_root / "derivatives").rglob(key) if p.is_dir()]  # noqa: E731
    assert derivative_dirs(assets["own"]["id"]) and derivative_dirs(assets["twin"]["id"])
    assert count(archive, Revision, Revision.accession_id == OH1) > 3

    done = archive.consent.purge(ADMIN, OH1, f" {OH1} ")
    assert done == {"accession_id": OH1, "purged": True, "files": 3, "withdrawn_at": TODAY.isoformat()}

    # rows
    assert count(archive, Transcript, Transcript.testimony_id == oh1) == 0
    assert count(archive, Segment) == count(archive, Segment, Segment.transcript_id.in_(
        select(Transcript.id).where(Transcript.testimony_id != oh1)))
    assert count(archive, Redaction, Redaction.testimony_id == oh1) == 0
    assert count(archive, SensitiveTerm, SensitiveTerm.testimony_id == oh1) == 0
    assert count(archive, MediaAsset, MediaAsset.testimony_id == oh1) == 0
    assert count(archive, ImageRedaction) == 0
    assert count(archive, Revision, Revision.accession_id == OH1) == 0
    assert count(archive, Narrator, Narrator.key == "N-0001") == 0
    assert count(archive, Revision, Revision.accession_id == "narrator:N-0001") == 0
    assert count(archive, Narrator, Narrator.key == "N-BOTH") == 1          # OH2 still names it
    assert archive.testimonies.get(ANN, OH2)["narrators"][-1]["key"] == "N-BOTH"
    # files: the purged testimony's originals and derivatives, but not bytes OH2 also holds
    assert not own_original.exists()
    assert not derivative_dirs(assets["own"]["id"]) and not derivative_dirs(assets["both"]["id"])
    assert archive.media.original(ANN, assets["twin"]["id"])["data"] == photo()
    assert derivative_dirs(assets["twin"]["id"])
    assert archive.media.fixity(ADMIN)["ok"]
    # what is left: the tombstone, with no content
    tombstone = archive.testimonies.tombstone(ANONYMOUS, OH1)
    assert tombstone == {"accession_id": OH1, "message": "Withdrawn at the narrator's request.",
                         "withdrawn_at": TODAY.isoformat()}
    staff = archive.testimonies.get(ANN, OH1)
    assert (staff["title"], staff["summary"], staff["transcripts"], staff["narrators"], staff["media"],
            staff["places"], staff["redactions"]) == ("", "", [], [], [], [], [])
    assert staff["consent"]["withdrawal_reason"] is None and staff["consent"]["obtained_by"] is None
    with pytest.raises(NotFound):
        archive.testimonies.get(RESEARCHER, OH1)
    # indexes: nothing of it anywhere, and nothing at all below staff
    for audience in ("public", "researcher"):
        assert OH1 not in archive.indexes.testimony_ids(audience)
    for audience in archive.indexes.index_dirs():
        data = audience_index_bytes(archive.indexes, audience).lower()
        assert not [w for w in OH1_WORDS if w.lower().encode() in data], audience
    assert hits(archive, ANN, "Canadian") == set() == hits(archive, ANN, "Khaled")
    assert archive.index.check(ADMIN) == {a: {"missing": [], "unexpected": []} for a in ("public", "researcher", "staff")}
    # the audit entry: who and which accession id, nothing of the content
    with archive.db.session() as session:
        purges = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "testimony.purge")))
        assert [(e.target, e.actor, e.detail) for e in purges] == [(OH1, "ada", {})]
    # the whole remaining record, as a full export has it, holds none of the content
    text = json.dumps(archive.transfer.export(SYSTEM, "admin"), ensure_ascii=False).lower()
    assert not [w for w in OH1_WORDS + ("quokkaterm", "bothlegal") if w.lower() in text and w != "bothlegal"]
    assert "bothlegal" in text                                             # OH2's narrator kept
    if archive.db.engine.dialect.name == "sqlite":
        # secure_delete overwrote the rows in the file, and the write-ahead log was emptied into it
        folder = Path(archive.db.engine.url.database).parent
        raw = b"".join(f.read_bytes() for f in sorted(folder.glob("archive.db*"))).lower()
        assert not [w for w in OH1_WORDS if w.lower().encode() in raw]
        assert b"example-legal-name-2" in raw                              # (OH2's: the scan sees)
    # once is enough; and the tombstone cannot be edited back into a record
    with pytest.raises(ConflictError):
        archive.consent.purge(ADMIN, OH1, OH1)
    with pytest.raises(ConflictError):
        archive.records.edit_testimony(ANN, OH1, title="Back again")


def test_the_audit_log_stays_append_only_after_a_purge(example_archive):
    archive = example_archive
    archive.consent.withdraw(ANN, OH1, "The narrator asked.")
    archive.consent.purge(ADMIN, OH1, OH1)
    from sqlalchemy import delete
    with pytest.raises(Exception, match="append-only"):
        with archive.db.session() as session:
            session.execute(delete(AuditEvent).where(AuditEvent.target == OH1))
    assert any(e["action"] == "testimony.purge" for e in archive.audit.events(ANN, target=OH1))
