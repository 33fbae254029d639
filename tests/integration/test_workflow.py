"""Redaction review, publication checks, withdrawal, the audit log and index consistency."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from archive.audience import Audience
from archive.errors import NotFound, ValidationError
from archive.identity import ANONYMOUS, SYSTEM, Identity

ALICE = Identity(Audience.ARCHIVIST, user_id=1, username="alice")
BOB = Identity(Audience.ARCHIVIST, user_id=2, username="bob")


def _span(archive, accession: str, word: str) -> tuple[int, int]:
    transcript = archive.testimonies.get(SYSTEM, accession)["transcripts"][0]
    text_ = "".join(p.get("original", p["text"]) for s in transcript["segments"] for p in s["pieces"])
    start = text_.index(word)
    return start, start + len(word)


def test_a_proposed_redaction_hides_at_once_and_needs_a_second_archivist(example_archive):
    archive = example_archive
    assert archive.search.search(ANONYMOUS, "Canadian").total == 1
    start, end = _span(archive, "OH-2015-0001", "Canadian")
    added = archive.redactions.add(ALICE, "OH-2015-0001", category="identifier", replacement="[nationality]",
                                   transcript="en", start=start, end=end, text="Canadian")
    assert added["state"] == "proposed"
    assert archive.search.search(ANONYMOUS, "Canadian").total == 0
    assert "Canadian" not in str(archive.testimonies.get(ANONYMOUS, "OH-2015-0001"))
    with pytest.raises(ValidationError, match="second archivist"):
        archive.redactions.approve(ALICE, "OH-2015-0001", added["key"])
    with pytest.raises(ValidationError, match="awaiting review"):
        archive.testimonies.set_state(ALICE, "OH-2015-0001", "published")
    archive.redactions.approve(BOB, "OH-2015-0001", added["key"])
    archive.testimonies.set_state(ALICE, "OH-2015-0001", "published")
    actions = [e["action"] for e in archive.audit.events(SYSTEM, target="OH-2015-0001")]
    assert {"redaction.add", "redaction.approve", "testimony.state"} <= set(actions)
    assert len(archive.audit.revisions(SYSTEM, "OH-2015-0001")) >= 4


def test_a_redaction_whose_text_does_not_match_is_refused(example_archive):
    with pytest.raises(ValidationError, match="no longer match"):
        example_archive.redactions.add(ALICE, "OH-2015-0001", category="person", replacement="[x]",
                                       transcript="en", start=10, end=18, text="Canadian")


def test_publication_is_refused_while_consent_is_pending(demo_archive):
    with pytest.raises(ValidationError, match="consent is pending"):
        demo_archive.testimonies.set_state(ALICE, "DEMO-2017-0009", "published")


def test_withdrawal_takes_effect_everywhere_and_leaves_a_tombstone(example_archive):
    archive = example_archive
    archive.consent.withdraw(ALICE, "OH-2015-0001", "The narrator asked.")
    with pytest.raises(NotFound):
        archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert archive.search.search(ANONYMOUS, "Raqqa").total == 0
    assert archive.search.search(Identity(Audience.RESEARCHER), "Suluk").total == 0
    tombstone = archive.testimonies.tombstone(ANONYMOUS, "OH-2015-0001")
    assert tombstone["accession_id"] == "OH-2015-0001" and tombstone["withdrawn_at"] == archive.today().isoformat()
    assert "withdrawn at the narrator's request" in tombstone["message"].lower()
    events = archive.audit.events(SYSTEM, target="OH-2015-0001")
    assert events[0]["action"] == "consent.withdraw" and events[0]["detail"]["reason"] == "The narrator asked."
    assert all(not r["missing"] and not r["unexpected"] for r in archive.index.check(SYSTEM).values())
    with pytest.raises(ValidationError):
        archive.consent.withdraw(ALICE, "OH-2015-0002", "  ")


def test_the_audit_log_is_append_only_in_the_database(example_archive):
    with example_archive.db.engine.connect() as connection:
        for statement in ("UPDATE audit_events SET actor = 'nobody'", "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="append-only"):
                with connection.begin():
                    connection.execute(text(statement))


def test_check_finds_a_missing_document_and_catch_up_restores_it(example_archive):
    archive = example_archive
    archive.indexes.remove_testimony("OH-2015-0001")
    report = archive.index.check(SYSTEM)
    assert report["public"]["missing"] == ["OH-2015-0001"]
    assert archive.index.catch_up(SYSTEM) == ["OH-2015-0001"]
    assert archive.search.search(ANONYMOUS, "Raqqa").total == 1


def test_reindex_rebuilds_every_audience(demo_archive):
    counts = demo_archive.index.reindex(SYSTEM)
    assert counts == {"public": 6, "researcher": 7, "staff": 11}
    assert all(not r["missing"] and not r["unexpected"] for r in demo_archive.index.check(SYSTEM).values())
