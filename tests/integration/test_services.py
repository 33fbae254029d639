"""Write services on SQLite and PostgreSQL: consent withdrawal, redaction review, publication,
accounts, the append-only audit log, and keeping the indexes equal to the database."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from archive.audience import INDEXED_AUDIENCES, Audience
from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.identity import ANONYMOUS, SYSTEM, Identity, for_role
from archive.model import AuditEvent
from archive.services.users import MIN_PASSWORD
from tests.conftest import DEMO, EXAMPLE, PASSWORD

RESEARCHER = for_role("researcher", 1, "rita")
ANN = for_role("archivist", 2, "ann")
BOB = for_role("archivist", 3, "bob")
CLEAN = {a.index_name: {"missing": [], "unexpected": []} for a in INDEXED_AUDIENCES}


def found(archive, identity, query) -> list[str]:
    result = archive.search.search(identity, query)
    assert result.error is None, result.error
    return [t.accession_id for t in result.testimonies]


@pytest.fixture
def both_archive(archive):
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    return archive


# -- consent ------------------------------------------------------------------------------------------

def test_withdrawing_consent_takes_effect_everywhere_before_returning(example_archive):
    assert found(example_archive, ANONYMOUS, "Raqqa") == ["OH-2015-0001"]
    result = example_archive.consent.withdraw(ANN, "OH-2015-0001", "the narrator asked by phone")
    assert result == {"accession_id": "OH-2015-0001", "withdrawn_at": "2026-11-24"}
    for identity in (ANONYMOUS, RESEARCHER):
        with pytest.raises(NotFound):
            example_archive.testimonies.get(identity, "OH-2015-0001")
        assert found(example_archive, identity, "Raqqa") == []
        assert found(example_archive, identity, "") == []
        assert example_archive.testimonies.list(identity) == []
    tomb = example_archive.testimonies.tombstone(ANONYMOUS, "OH-2015-0001")
    assert tomb == {"accession_id": "OH-2015-0001", "message": "Withdrawn at the narrator's request.",
                    "withdrawn_at": "2026-11-24"}
    events = example_archive.audit.events(ANN, target="OH-2015-0001")
    withdrawal = [e for e in events if e["action"] == "consent.withdraw"]
    assert len(withdrawal) == 1
    assert withdrawal[0]["actor"] == "ann" and withdrawal[0]["detail"]["reason"] == "the narrator asked by phone"
    assert withdrawal[0]["detail"]["before"] == "granted"
    assert any(r["summary"] == "consent withdrawn" and r["author"] == "ann"
               for r in example_archive.audit.revisions(ANN, "OH-2015-0001"))
    assert example_archive.index.check(SYSTEM) == CLEAN
    assert example_archive.indexes.testimony_ids("public") == set()
    assert example_archive.indexes.testimony_ids("researcher") == set()
    # staff still read it, marked as withdrawn
    staff = example_archive.testimonies.get(ANN, "OH-2015-0001")
    assert staff["state"] == "withdrawn" and staff["consent"]["withdrawal_reason"] == "the narrator asked by phone"


def test_withdrawal_needs_a_reason_and_an_archivist(example_archive):
    with pytest.raises(ValidationError):
        example_archive.consent.withdraw(ANN, "OH-2015-0001", "   ")
    for identity in (ANONYMOUS, RESEARCHER):
        with pytest.raises(PermissionDenied):
            example_archive.consent.withdraw(identity, "OH-2015-0001", "because")
    with pytest.raises(NotFound):
        example_archive.consent.withdraw(ANN, "OH-9999-0001", "because")
    assert found(example_archive, ANONYMOUS, "Raqqa") == ["OH-2015-0001"]


def test_a_second_withdrawal_keeps_the_first_date_and_reason(make_archive):
    archive = make_archive(dt.date(2026, 11, 24))
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.consent.withdraw(ANN, "OH-2015-0001", "first call")
    later = make_archive(dt.date(2027, 3, 1))                  # same database, months later
    with pytest.raises(ConflictError, match="already withdrawn"):
        later.consent.withdraw(BOB, "OH-2015-0001", "second call")
    assert later.testimonies.tombstone(ANONYMOUS, "OH-2015-0001")["withdrawn_at"] == "2026-11-24"
    staff = later.testimonies.get(ANN, "OH-2015-0001")
    assert staff["consent"]["withdrawal_reason"] == "first call"
    assert [e["actor"] for e in later.audit.events(SYSTEM, target="OH-2015-0001")
            if e["action"] == "consent.withdraw"] == ["ann"]


@pytest.mark.parametrize("state", ["draft", "in_review", "published"])
def test_a_withdrawn_testimony_cannot_be_moved_out_of_withdrawn(demo_archive, state):
    # DEMO-2017-0011 was withdrawn by its narrator: no state change may remove its tombstone.
    tomb = demo_archive.testimonies.tombstone(ANONYMOUS, "DEMO-2017-0011")
    assert tomb is not None
    with pytest.raises(ValidationError) as info:
        demo_archive.testimonies.set_state(ANN, "DEMO-2017-0011", state)
    assert info.value.record == "DEMO-2017-0011"
    assert demo_archive.testimonies.tombstone(ANONYMOUS, "DEMO-2017-0011") == tomb
    assert demo_archive.testimonies.get(ANN, "DEMO-2017-0011")["state"] == "withdrawn"
    for identity in (ANONYMOUS, RESEARCHER):
        with pytest.raises(NotFound):
            demo_archive.testimonies.get(identity, "DEMO-2017-0011")


# -- redactions -----------------------------------------------------------------------------------------

def _canadian(archive) -> tuple[int, int]:
    view = archive.testimonies.get(ANN, "OH-2015-0001")
    original = "".join(s["text"] for s in view["transcripts"][0]["segments"])
    start = original.index("Canadian")
    return start, start + len("Canadian")


def test_a_new_redaction_hides_its_words_from_public_search_at_once(example_archive):
    assert found(example_archive, ANONYMOUS, "Canadian") == ["OH-2015-0001"]
    start, end = _canadian(example_archive)
    added = example_archive.redactions.add(ANN, "OH-2015-0001", category="identifier",
                                           replacement="[nationality withheld]", reason="too specific",
                                           visible_to="researcher", transcript="en", start=start, end=end,
                                           text="Canadian")
    assert added == {"key": "R-4", "state": "proposed"}
    assert found(example_archive, ANONYMOUS, "Canadian") == []          # proposed already hides
    assert found(example_archive, RESEARCHER, "Canadian") == ["OH-2015-0001"]
    assert found(example_archive, ANN, "Canadian") == ["OH-2015-0001"]
    assert all("canadian" not in s.lower() for s in example_archive.search.suggest(ANONYMOUS, "Can"))
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    text = "".join(s["text"] for s in view["transcripts"][0]["segments"])
    assert "One was a young [nationality withheld]." in text
    staff = example_archive.testimonies.get(ANN, "OH-2015-0001")
    assert {r["key"]: r["state"] for r in staff["redactions"]}["R-4"] == "proposed"
    assert example_archive.index.check(SYSTEM) == CLEAN


def test_approval_takes_a_second_archivist(example_archive):
    start, end = _canadian(example_archive)
    example_archive.redactions.add(ANN, "OH-2015-0001", category="identifier", replacement="[x]",
                                   transcript="en", start=start, end=end, text="Canadian")
    with pytest.raises(ValidationError, match="second archivist"):
        example_archive.redactions.approve(ANN, "OH-2015-0001", "R-4", two_person=True)
    staff = example_archive.testimonies.get(ANN, "OH-2015-0001")
    assert {r["key"]: r["state"] for r in staff["redactions"]}["R-4"] == "proposed"
    with pytest.raises(PermissionDenied):
        example_archive.redactions.approve(RESEARCHER, "OH-2015-0001", "R-4")
    with pytest.raises(NotFound):
        example_archive.redactions.approve(BOB, "OH-2015-0001", "R-99")
    assert example_archive.redactions.approve(BOB, "OH-2015-0001", "R-4") == {"key": "R-4", "state": "approved"}
    staff = example_archive.testimonies.get(ANN, "OH-2015-0001")
    r4 = next(r for r in staff["redactions"] if r["key"] == "R-4")
    assert (r4["state"], r4["proposed_by"], r4["approved_by"]) == ("approved", "ann", "bob")
    assert found(example_archive, ANONYMOUS, "Canadian") == []
    actions = [e["action"] for e in example_archive.audit.events(ANN, target="OH-2015-0001")]
    assert "redaction.add" in actions and "redaction.approve" in actions


def test_a_single_archivist_may_approve_when_the_rule_is_off(example_archive):
    start, end = _canadian(example_archive)
    example_archive.redactions.add(ANN, "OH-2015-0001", category="identifier", replacement="[x]",
                                   transcript="en", start=start, end=end)
    assert example_archive.redactions.approve(ANN, "OH-2015-0001", "R-4", two_person=False)["state"] == "approved"


def test_a_field_redaction_hides_the_title(example_archive):
    assert found(example_archive, ANONYMOUS, "defectors") == ["OH-2015-0001"]
    example_archive.redactions.add(ANN, "OH-2015-0001", category="other", replacement="[title withheld]",
                                   field="title")
    assert example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")["title"] == "[title withheld]"
    assert example_archive.testimonies.get(ANN, "OH-2015-0001")["title"] == "Driving defectors to the border"
    assert example_archive.index.check(SYSTEM) == CLEAN


@pytest.mark.parametrize("kwargs", [
    {"start": 680, "end": 690, "text": "Khaled"},            # text does not match the offsets
    {"start": 5000, "end": 5010},                            # outside the text
    {"start": 10, "end": 10},                                # empty
])
def test_bad_spans_are_refused_and_change_nothing(example_archive, kwargs):
    before = example_archive.testimonies.get(ANN, "OH-2015-0001")["redactions"]
    with pytest.raises(ValidationError):
        example_archive.redactions.add(ANN, "OH-2015-0001", category="person", replacement="[x]",
                                       transcript="en", **kwargs)
    assert example_archive.testimonies.get(ANN, "OH-2015-0001")["redactions"] == before
    assert example_archive.index.check(SYSTEM) == CLEAN


def test_a_redaction_across_a_segment_boundary_is_replaced_once_and_never_indexed(example_archive):
    staff = example_archive.testimonies.get(ANN, "OH-2015-0001")
    segments = [s["text"] for s in staff["transcripts"][0]["segments"]]
    original = "".join(segments)
    boundary = len(segments[0]) + len(segments[1])
    start = original.index("bribes with our own money")
    end = original.index("How many people has your group helped?") + len("How many people has your group")
    assert start < boundary < end
    covered = original[start:end]
    example_archive.redactions.add(ANN, "OH-2015-0001", category="other", replacement="[passage withheld]",
                                   visible_to="archivist", transcript="en", start=start, end=end, text=covered)
    public = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    texts = [s["text"] for s in public["transcripts"][0]["segments"]]
    assert texts[1].endswith("We paid for fuel and [passage withheld]")
    assert texts[2].startswith(" helped?")
    assert "".join(texts).count("[passage withheld]") == 1
    for part in ("bribes", "money", "Interviewer: How many", "your group"):
        assert part not in json.dumps(public, ensure_ascii=False), part
    for identity in (ANONYMOUS, RESEARCHER):
        for word in ("bribes", "money"):
            assert found(example_archive, identity, word) == [], (identity.audience, word)
    assert found(example_archive, ANN, "bribes") == ["OH-2015-0001"]
    assert example_archive.index.check(SYSTEM) == CLEAN


@pytest.mark.parametrize("offsets", [{}, {"start": 10}, {"end": 20}, {"start": "10", "end": "20"},
                                     {"start": 10.0, "end": 20.0}, {"start": True, "end": 20}])
def test_a_transcript_redaction_without_integer_offsets_is_a_validation_error(example_archive, offsets):
    # (the staff form leaves start and end empty when an archivist forgets them)
    before = example_archive.testimonies.get(ANN, "OH-2015-0001")["redactions"]
    with pytest.raises(ValidationError) as info:
        example_archive.redactions.add(ANN, "OH-2015-0001", category="person", replacement="[x]",
                                       transcript="en", **offsets)
    assert info.value.field == "start"
    assert example_archive.testimonies.get(ANN, "OH-2015-0001")["redactions"] == before


def test_an_unknown_visible_to_is_a_validation_error(example_archive):
    with pytest.raises(ValidationError) as info:
        example_archive.redactions.add(ANN, "OH-2015-0001", category="other", replacement="[x]",
                                       field="title", visible_to="everyone")
    assert info.value.field == "visible_to"
    assert example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")["title"] == "Driving defectors to the border"


def test_redaction_refusals(example_archive):
    with pytest.raises(ValidationError):
        example_archive.redactions.add(ANN, "OH-2015-0001", category="gossip", replacement="[x]", field="title")
    with pytest.raises(ValidationError):
        example_archive.redactions.add(ANN, "OH-2015-0001", category="other", replacement="[x]", field="state")
    with pytest.raises(ValidationError):
        example_archive.redactions.add(ANN, "OH-2015-0001", category="other", replacement="[x]",
                                       transcript="fr", start=0, end=3)
    with pytest.raises(PermissionDenied):
        example_archive.redactions.add(RESEARCHER, "OH-2015-0001", category="other", replacement="[x]",
                                       field="title")


# -- publication --------------------------------------------------------------------------------------

def test_publishing_is_refused_while_a_redaction_is_proposed(example_archive):
    example_archive.testimonies.set_state(ANN, "OH-2015-0001", "in_review")
    assert found(example_archive, ANONYMOUS, "Raqqa") == []
    start, end = _canadian(example_archive)
    example_archive.redactions.add(ANN, "OH-2015-0001", category="identifier", replacement="[x]",
                                   transcript="en", start=start, end=end)
    with pytest.raises(ValidationError) as info:
        example_archive.testimonies.set_state(ANN, "OH-2015-0001", "published")
    assert "R-4" in str(info.value) and "awaiting review" in str(info.value)
    assert example_archive.testimonies.get(ANN, "OH-2015-0001")["state"] == "in_review"
    assert found(example_archive, ANONYMOUS, "Raqqa") == []
    example_archive.redactions.approve(BOB, "OH-2015-0001", "R-4")
    # Ann submitted it: a second archivist publishes
    assert example_archive.testimonies.set_state(BOB, "OH-2015-0001", "published")["state"] == "published"
    assert found(example_archive, ANONYMOUS, "Raqqa") == ["OH-2015-0001"]
    assert found(example_archive, ANONYMOUS, "Canadian") == []


def test_publishing_lists_every_reason_it_is_refused(demo_archive):
    # DEMO-2017-0009: in review, consent pending, one redaction proposed
    with pytest.raises(ValidationError) as info:
        demo_archive.testimonies.set_state(ANN, "DEMO-2017-0009", "published")
    message = str(info.value)
    assert "DEMO-2017-0009" in message
    assert "consent is pending" in message
    assert "redactions awaiting review" in message
    assert demo_archive.testimonies.get(ANN, "DEMO-2017-0009")["state"] == "in_review"
    assert "DEMO-2017-0009" not in demo_archive.indexes.testimony_ids("public")


def test_state_changes_that_are_not_allowed(example_archive):
    with pytest.raises(ValidationError):
        example_archive.testimonies.set_state(ANN, "OH-2015-0001", "withdrawn")   # only through consent
    with pytest.raises(ValidationError):
        example_archive.testimonies.set_state(ANN, "OH-2015-0001", "live")
    with pytest.raises(PermissionDenied):
        example_archive.testimonies.set_state(RESEARCHER, "OH-2015-0001", "draft")
    with pytest.raises(NotFound):
        example_archive.testimonies.set_state(ANN, "NOPE-1", "draft")


# -- users -------------------------------------------------------------------------------------------

def test_accounts_add_authenticate_and_disable(archive):
    assert archive.users.add(SYSTEM, "rita", "researcher", PASSWORD) == {"username": "rita", "role": "researcher"}
    identity = archive.users.authenticate(ANONYMOUS, "rita", PASSWORD)
    assert isinstance(identity, Identity)
    assert identity.audience == Audience.RESEARCHER and identity.username == "rita"
    assert archive.users.identity_for(ANONYMOUS, identity.user_id) == identity
    assert archive.users.authenticate(ANONYMOUS, "rita", PASSWORD + "x") is None
    assert archive.users.authenticate(ANONYMOUS, "nobody", PASSWORD) is None

    archive.users.set_role(SYSTEM, "rita", "archivist")
    assert archive.users.identity_for(ANONYMOUS, identity.user_id).audience == Audience.ARCHIVIST

    archive.users.disable(SYSTEM, "rita")
    assert archive.users.authenticate(ANONYMOUS, "rita", PASSWORD) is None
    assert archive.users.identity_for(ANONYMOUS, identity.user_id) == ANONYMOUS
    assert archive.users.identity_for(ANONYMOUS, 987654) == ANONYMOUS
    assert archive.users.list(SYSTEM) == [{"username": "rita", "role": "archivist", "disabled": True}]
    actions = [e["action"] for e in archive.audit.events(SYSTEM)]
    for action in ("user.add", "user.set_role", "user.disable", "signin.ok", "signin.failed"):
        assert action in actions


def test_account_refusals(archive):
    archive.users.add(SYSTEM, "rita", "researcher", PASSWORD)
    with pytest.raises(ConflictError):
        archive.users.add(SYSTEM, "rita", "archivist", PASSWORD)
    with pytest.raises(ValidationError):
        archive.users.add(SYSTEM, "sam", "researcher", "x" * (MIN_PASSWORD - 1))
    with pytest.raises(ValidationError):
        archive.users.add(SYSTEM, "sam", "superuser", PASSWORD)
    with pytest.raises(ValidationError):
        archive.users.add(SYSTEM, "bad name!", "researcher", PASSWORD)
    with pytest.raises(NotFound):
        archive.users.disable(SYSTEM, "nobody")
    with pytest.raises(ValidationError):
        archive.users.set_role(SYSTEM, "rita", "public")
    for identity in (ANONYMOUS, RESEARCHER, ANN):
        with pytest.raises(PermissionDenied):
            archive.users.add(identity, "eve", "admin", PASSWORD)
    assert [u["username"] for u in archive.users.list(SYSTEM)] == ["rita"]
    assert archive.users.authenticate(ANONYMOUS, "sam", "x" * (MIN_PASSWORD - 1)) is None


# -- the audit log is append-only -------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'someone else'",
    "DELETE FROM audit_events",
    "DELETE FROM audit_events WHERE action = 'testimony.import'",
])
def test_the_database_refuses_to_change_the_audit_log(example_archive, statement):
    with example_archive.db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
        actors = sorted(session.scalars(select(AuditEvent.actor)))
    assert before > 0
    with pytest.raises(DBAPIError) as info:
        with example_archive.db.engine.begin() as connection:
            connection.execute(text(statement))
    assert "append-only" in str(info.value)
    with example_archive.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert sorted(session.scalars(select(AuditEvent.actor))) == actors
    # appending still works
    example_archive.consent.withdraw(ANN, "OH-2015-0001", "asked")
    with example_archive.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) > before


def test_staff_reading_originals_is_audited_and_the_public_is_not(example_archive):
    example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert not [e for e in example_archive.audit.events(SYSTEM) if e["action"] == "testimony.view_original"]
    example_archive.testimonies.get(ANN, "OH-2015-0001")
    views = [e for e in example_archive.audit.events(SYSTEM) if e["action"] == "testimony.view_original"]
    assert [(e["actor"], e["target"]) for e in views] == [("ann", "OH-2015-0001")]
    with pytest.raises(PermissionDenied):
        example_archive.audit.events(RESEARCHER)


# -- indexes follow the database ---------------------------------------------------------------------

def test_reindex_then_check_reports_no_difference(both_archive):
    counts = both_archive.index.reindex(ANN)
    assert counts == {"public": len(both_archive.testimonies.list(ANONYMOUS)),
                      "researcher": len(both_archive.testimonies.list(RESEARCHER)),
                      "staff": 13}
    assert both_archive.index.check(ANN) == CLEAN
    assert found(both_archive, ANONYMOUS, "Khaled") == []
    assert found(both_archive, ANONYMOUS, "Raqqa")
    with pytest.raises(PermissionDenied):
        both_archive.index.reindex(RESEARCHER)


def test_check_finds_a_missing_document_and_catch_up_restores_it(example_archive):
    example_archive.indexes.remove_testimony("OH-2015-0001")
    report = example_archive.index.check(SYSTEM)
    assert report == {"public": {"missing": ["OH-2015-0001"], "unexpected": []},
                      "researcher": {"missing": ["OH-2015-0001"], "unexpected": []},
                      "staff": {"missing": ["OH-2015-0001"], "unexpected": []}}
    assert found(example_archive, ANONYMOUS, "Raqqa") == []
    assert example_archive.index.catch_up(SYSTEM) == ["OH-2015-0001"]
    assert example_archive.index.check(SYSTEM) == CLEAN
    assert found(example_archive, ANONYMOUS, "Raqqa") == ["OH-2015-0001"]
    assert found(example_archive, ANONYMOUS, "Khaled") == []
    assert example_archive.index.catch_up(SYSTEM) == []


def test_check_finds_a_document_that_should_not_be_there(example_archive):
    from archive.services.indexing import documents
    staff = example_archive.testimonies.get(SYSTEM, "OH-2015-0002")
    example_archive.indexes.replace_testimony("researcher", "OH-2015-0002", documents(staff))
    report = example_archive.index.check(SYSTEM)
    assert report["researcher"] == {"missing": [], "unexpected": ["OH-2015-0002"]}
    assert example_archive.index.catch_up(SYSTEM) == ["OH-2015-0002"]
    assert example_archive.index.check(SYSTEM) == CLEAN
    assert found(example_archive, RESEARCHER, "promotion") == []


def test_an_embargo_that_lifts_is_caught_up(make_archive):
    before = make_archive(dt.date(2029, 12, 31))
    before.transfer.import_file(SYSTEM, EXAMPLE)
    assert "OH-2015-0002" not in before.indexes.testimony_ids("researcher")
    assert found(before, RESEARCHER, "promotion") == []
    assert before.index.check(SYSTEM) == CLEAN

    after = make_archive(dt.date(2030, 1, 1))                 # same database, same indexes, a day later
    assert after.index.check(SYSTEM)["researcher"] == {"missing": ["OH-2015-0002"], "unexpected": []}
    assert after.index.catch_up(SYSTEM) == ["OH-2015-0002"]
    assert after.index.check(SYSTEM) == CLEAN
    assert found(after, RESEARCHER, "promotion") == ["OH-2015-0002"]
    assert found(after, ANONYMOUS, "promotion") == []         # researchers' scope: never public
    assert "OH-2015-0002" not in after.indexes.testimony_ids("public")
    assert found(after, RESEARCHER, "سامر") == []             # its redaction still holds
