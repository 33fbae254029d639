"""History on SQLite and PostgreSQL: every revision keeps the whole record; diffs field by field
and word by word; restore writes a new revision and is refused, saying why and writing nothing,
where it would show a redacted original to a lower audience, undo a redaction, bring back a
withdrawn testimony's content, or show anything else hidden now; the audit log's filters and pages."""
from __future__ import annotations

import copy
import json
import datetime as dt

import pytest
from sqlalchemy import func, select

from archive import model
from archive.errors import NotFound, PermissionDenied, ValidationError
from archive.formats.serialize import full_testimony
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.restoring import exposures
from archive.revision_diff import diff_records, word_diff

ANN = for_role("archivist", 2, "ann")
BOB = for_role("archivist", 3, "bob")
RESEARCHER = for_role("researcher", 1, "rita")
OH1 = "OH-2015-0001"      # published, open; R-1 "Khaled Haddad" (archivist), R-2 "the farm near Suluk" (researcher)


def record(archive, accession_id: str = OH1) -> dict:
    with archive.db.session() as session:
        return full_testimony(session.scalar(select(model.Testimony).where(model.Testimony.accession_id == accession_id)))


def revision_count(archive, accession_id: str = OH1) -> int:
    with archive.db.session() as session:
        return session.scalar(select(func.count()).select_from(model.Revision)
                              .where(model.Revision.accession_id == accession_id))


def public_text(archive, audience: str, accession_id: str = OH1) -> str:
    view = archive.testimonies.get(ANONYMOUS if audience == "public" else for_role(audience), accession_id)
    return " ".join(s["text"] for tr in view["transcripts"] for s in tr["segments"])


def first_revision(archive, accession_id: str = OH1) -> int:
    return archive.history.revisions(ANN, accession_id)[-1]["id"]


# -- revisions and diffs --------------------------------------------------------------------------------

def test_every_revision_keeps_the_whole_record_after_its_change(example_archive):
    archive = example_archive
    key = archive.redactions.add(ANN, OH1, category="place", replacement="[city]", field="title",
                                 visible_to="researcher")["key"]
    revisions = archive.history.revisions(ANN, OH1)
    assert [r["summary"] for r in revisions] == [f"redaction {key} added", "imported from archive-v1.json"]
    assert all(r["whole"] for r in revisions)
    with archive.db.session() as session:
        newest = session.get(model.Revision, revisions[0]["id"])
        imported = session.get(model.Revision, revisions[1]["id"])
    assert newest.snapshot["change"] == {"redaction": key}
    assert [r["id"] for r in newest.snapshot["testimony"]["redactions"]] == ["R-1", "R-2", "R-3", key]
    assert newest.snapshot["testimony"] == record(archive)
    # an import passes the whole record already: kept once, not twice
    assert "transcripts" not in imported.snapshot["change"] and imported.snapshot["testimony"]["transcripts"]


def test_a_diff_is_field_by_field_and_word_by_word(example_archive):
    archive = example_archive
    first = first_revision(archive)
    archive.redactions.edit(ANN, OH1, "R-2", visible_to="archivist", reason="closer to home")
    archive.segments.describe(ANN, OH1, "en", 1, title="Crossing the river")
    archive.testimonies.set_state(ANN, OH1, "in_review")
    result = archive.history.diff(ANN, OH1, first)            # from the import to the record now
    assert result["before"]["id"] == first and result["after"]["id"] == "current"
    diff = result["diff"]
    assert diff["metadata"] == [{"field": "state", "before": "published", "after": "in_review"}]
    [r2] = diff["redactions"]
    assert r2["key"] == "R-2" and r2["change"] == "changed"
    fields = {f["field"]: (f["before"], f["after"]) for f in r2["fields"]}
    assert set(fields) == {"visible_to", "reason", "state", "proposed_by"}
    assert (fields["visible_to"], fields["state"], fields["reason"][1], fields["proposed_by"][1]) == \
        (("researcher", "archivist"), ("approved", "proposed"), "closer to home", "ann")
    [tr] = diff["transcripts"]
    assert tr["segments"] == [{"change": "changed", "before": 1, "after": 1, "fields": [
        {"field": "title", "before": "The first crossing", "after": "Crossing the river"}]}]
    assert tr["words"] == [] and not diff["empty"]
    # without arguments: what the newest revision changed, from the one before it
    newest = archive.history.diff(ANN, OH1)
    assert newest["after"]["summary"] == "state published -> in_review"
    assert newest["diff"]["metadata"] == [{"field": "state", "before": "published", "after": "in_review"}]
    assert newest["diff"]["redactions"] == [] and newest["diff"]["transcripts"] == []
    # reading a diff is a view of originals: audited
    with archive.db.session() as session:
        views = session.scalars(select(model.AuditEvent).where(model.AuditEvent.action == "history.view")).all()
    assert [(e.actor, e.detail["before"]) for e in views][:1] == [("ann", first)]


def test_a_transcript_diff_marks_words_in_and_out_with_context():
    before = "I was born in Raqqa and I never thought I would leave. " * 3 + "The river was low that year."
    after = before.replace("The river was low", "The river was high")
    ops = word_diff(before, after, context=4)
    assert [o for o in ops if o["op"] in ("insert", "delete")] == [{"op": "delete", "text": "low"},
                                                                    {"op": "insert", "text": "high"}]
    assert ops[0]["op"] == "skip" and ops[0]["chars"] > 0          # the long unchanged start is cut
    kept = "".join(o["text"] for o in ops if o["op"] != "insert")
    assert kept.endswith("river was low that year.") and len(kept) < len(before) / 2
    arabic = word_diff("قالَ خالِد إنَّ النهر", "قالَ سامِر إنَّ النهر")
    assert [o["text"] for o in arabic if o["op"] != "equal"] == ["خالِد", "سامِر"]    # harakat stay with letters
    a = {"id": "X", "collection": "c", "narrators": [], "redactions": [], "sensitive_terms": [], "consent": None,
         "transcripts": [{"id": "en", "language": "en", "kind": "original", "text": before, "segments": []}]}
    b = copy.deepcopy(a)
    b["transcripts"][0]["text"] = after
    b["consent"] = {"status": "pending"}
    diff = diff_records(a, b, ("revision #1", "now"))
    assert diff["consent"][0] == {"field": "consent", "before": "none", "after": "recorded"}
    assert "The river was low that year.\n+I was born" in diff["transcripts"][0]["unified"]
    assert diff["transcripts"][0]["unified"].startswith("--- revision #1\n+++ now")
    assert diff_records(a, copy.deepcopy(a))["empty"]


def test_history_refuses_other_testimonies_revisions_partial_ones_and_lower_audiences(example_archive):
    archive = example_archive
    other = first_revision(archive, "OH-2015-0002")
    with pytest.raises(NotFound):
        archive.history.diff(ANN, OH1, other)
    with pytest.raises(NotFound):
        archive.history.restore(ANN, OH1, other)
    with pytest.raises(NotFound):
        archive.history.revisions(ANN, "OH-NOSUCH")
    with pytest.raises(ValidationError, match="not a revision number"):
        archive.history.diff(ANN, OH1, "first")
    with archive.db.session() as session:     # a revision written before revisions kept whole records
        session.add(model.Revision(accession_id=OH1, author="old", summary="state x", snapshot={"state": "x"}))
    partial = archive.history.revisions(ANN, OH1)[0]
    assert not partial["whole"]
    with pytest.raises(ValidationError, match="only what it changed"):
        archive.history.diff(ANN, OH1, partial["id"])
    first = first_revision(archive)
    for call in (lambda: archive.history.revisions(RESEARCHER, OH1), lambda: archive.history.diff(RESEARCHER, OH1),
                 lambda: archive.history.restore(RESEARCHER, OH1, first),
                 lambda: archive.history.audit_log(RESEARCHER)):
        with pytest.raises(PermissionDenied):
            call()


# -- restore ----------------------------------------------------------------------------------------------

def test_restore_writes_a_new_revision_and_never_rewrites_history(example_archive):
    archive = example_archive
    first = first_revision(archive)
    original = record(archive)
    offset = archive.segments.editor(ANN, OH1)["transcripts"][0]["segments"][0]["cuts"][0]["offset"]
    archive.segments.split(ANN, OH1, "en", 0, offset)
    archive.segments.describe(ANN, OH1, "en", 2, title="Zebrafinch crossing")
    assert OH1 in {t.accession_id for t in archive.search.search(SYSTEM, "Zebrafinch").testimonies}
    with archive.db.session() as session:
        kept = [(r.id, r.summary, r.snapshot) for r in session.scalars(select(model.Revision).order_by(model.Revision.id))]
    result = archive.history.restore(BOB, OH1, first)
    assert result["summary"] == f"restored from #{first}" and result["redactions_proposed"] == []
    assert record(archive) == original                     # the segments, titles and all, as imported
    assert archive.search.search(SYSTEM, "Zebrafinch").testimonies == []      # and the indexes say so
    with archive.db.session() as session:
        rows = [(r.id, r.summary, r.snapshot) for r in session.scalars(select(model.Revision).order_by(model.Revision.id))]
        event = session.scalars(select(model.AuditEvent).where(model.AuditEvent.action == "history.restore")).one()
    assert rows[:len(kept)] == kept and len(rows) == len(kept) + 1       # earlier revisions untouched
    assert rows[-1][1] == f"restored from #{first}" and rows[-1][2]["testimony"] == original
    assert (event.actor, event.target, event.detail["revision"]) == ("bob", OH1, first)
    assert archive.history.diff(ANN, OH1, first)["diff"]["empty"]


def test_restore_brings_a_removed_redaction_back_as_a_proposal(example_archive):
    archive = example_archive
    first = first_revision(archive)
    archive.redactions.remove(ANN, OH1, "R-2", two_person=False)
    assert "the farm near Suluk" in public_text(archive, "public")
    archive.history.restore(BOB, OH1, first)
    r2 = next(r for r in archive.testimonies.get(SYSTEM, OH1)["redactions"] if r["key"] == "R-2")
    assert (r2["state"], r2["proposed_by"], r2["approved_by"], r2["visible_to"]) == ("proposed", "bob", None,
                                                                                     "researcher")
    assert "the farm near Suluk" not in public_text(archive, "public")
    assert OH1 not in {t.accession_id for t in archive.search.search(ANONYMOUS, '"farm near Suluk"').testimonies}


def _refused(archive, identity, revision, *words):
    before, count = record(archive), revision_count(archive)
    with pytest.raises(ValidationError) as refused:
        archive.history.restore(identity, OH1, revision)
    for word in words:
        assert word in str(refused.value), (word, str(refused.value))
    assert record(archive) == before and revision_count(archive) == count       # nothing written
    return str(refused.value)


def test_a_restore_that_would_show_a_redacted_original_to_a_lower_audience_is_refused(example_archive):
    archive = example_archive
    first = first_revision(archive)
    archive.redactions.edit(ANN, OH1, "R-2", visible_to="archivist")
    archive.redactions.approve(BOB, OH1, "R-2")
    message = _refused(archive, BOB, first, "R-2", "researcher, a lower audience")
    assert "the farm near Suluk" not in message                 # the refusal does not repeat the original
    assert "the farm near Suluk" not in public_text(archive, "researcher")


def test_a_restore_that_would_undo_a_redaction_is_refused(example_archive):
    archive = example_archive
    first = first_revision(archive)
    text = record(archive)["transcripts"][0]["text"]
    start = text.index("Raqqa")
    key = archive.redactions.add(ANN, OH1, category="place", replacement="[city]", transcript="en", start=start,
                                 end=start + 5, visible_to="archivist")["key"]
    _refused(archive, BOB, first, key, "no such redaction", "two archivists")
    assert "Raqqa" not in public_text(archive, "public")


def test_a_withdrawn_testimony_cannot_be_restored(example_archive):
    archive = example_archive
    first = first_revision(archive)
    archive.consent.withdraw(ANN, OH1, "The narrator asked.")
    _refused(archive, BOB, first, "consent was withdrawn", "withdrew")


def test_the_last_check_refuses_any_hidden_text_the_restored_record_would_show(example_archive):
    """A revision whose record would show a sensitive term, a narrator's legal name or a redacted
    original where the record now does not: refused on the result, rolled back whole."""
    archive = example_archive
    now = record(archive)
    legal = now["narrators"][0]["legal_name"]
    crafted = copy.deepcopy(now)
    tr = crafted["transcripts"][0]
    tr["text"] += f" Later Khalid Haddad and {legal} and the farm near Suluk met."
    tr["segments"][-1]["text_end"] = len(tr["text"])
    problems = exposures(now, crafted, 99)
    assert "revision #99 would show the public a sensitive term, hidden now" in problems
    assert "revision #99 would show the researcher narrator N-0001's legal name, hidden now" in problems
    assert "revision #99 would show the public what redaction R-2 hides, hidden now" in problems
    assert "revision #99 would show the researcher what redaction R-2 hides, hidden now" not in problems  # researcher
    assert exposures(now, copy.deepcopy(now), 99) == []
    with archive.db.session() as session:
        row = model.Revision(accession_id=OH1, author="mallory", summary="crafted", snapshot={"testimony": crafted})
        session.add(row)
        session.flush()
        crafted_id = row.id
    _refused(archive, BOB, crafted_id, "sensitive term", "legal name", "what redaction R-2 hides")
    assert legal not in str(archive.search.search(for_role("researcher"), "Later").testimonies)


# -- the audit log ----------------------------------------------------------------------------------------

def test_the_audit_log_filters_and_pages(example_archive):
    archive = example_archive
    key = archive.redactions.add(ANN, OH1, category="place", replacement="[x]", field="title")["key"]
    archive.redactions.approve(BOB, OH1, key)
    archive.segments.describe(ANN, "OH-2015-0002", "ar", 0, title="عنوان")
    everything = archive.history.audit_log(ANN, per_page=1000)
    assert everything["total"] == len(everything["events"]) >= 5 and everything["pages"] == 1
    assert [e["action"] for e in archive.history.audit_log(ANN, actor="bob")["events"]] == ["redaction.approve"]
    family = archive.history.audit_log(ANN, action="redaction")
    assert [e["action"] for e in family["events"]] == ["redaction.approve", "redaction.add"]
    assert archive.history.audit_log(ANN, action="redaction.add")["total"] == 1
    assert archive.history.audit_log(ANN, action="redact")["total"] == 0      # a family is a whole word
    assert {e["target"] for e in archive.history.audit_log(ANN, target="OH-2015-0002")["events"]} == {"OH-2015-0002"}
    assert "redaction" in family["actions"] and "redaction.add" in family["actions"] and "bob" in family["actors"]
    today = dt.datetime.now(dt.timezone.utc).date()
    assert archive.history.audit_log(ANN, since=today, until=today)["total"] == everything["total"]
    assert archive.history.audit_log(ANN, until=today - dt.timedelta(days=1))["total"] == 0
    assert archive.history.audit_log(ANN, since=today + dt.timedelta(days=1))["total"] == 0
    pages = [archive.history.audit_log(ANN, page=n, per_page=2) for n in (1, 2, 3)]
    assert pages[0]["pages"] == -(-everything["total"] // 2)
    assert [e["id"] for p in pages for e in p["events"]] == [e["id"] for e in everything["events"]][:6]
    assert archive.history.audit_log(ANN, page=999)["events"] == []
    with pytest.raises(ValidationError, match="page"):
        archive.history.audit_log(ANN, page=0)
    with pytest.raises(ValidationError, match="after it ends"):
        archive.history.audit_log(ANN, since=today, until=today - dt.timedelta(days=1))


def test_a_diff_never_shows_a_reader_an_original_above_them(example_archive):
    """An admin-only redaction hides its original from archivists in diffs too, in every string of
    both records (the older one may hold the words before they were redacted)."""
    archive = example_archive
    admin = for_role("admin", 9, "ada")
    text = record(archive)["transcripts"][0]["text"]
    start = text.index("Raqqa")
    archive.redactions.add(ANN, OH1, category="place", replacement="[city]", transcript="en", start=start,
                           end=start + 5, visible_to="admin")
    seen = json.dumps(archive.history.diff(ANN, OH1, first_revision(archive)), ensure_ascii=False)
    assert "[city]" in seen and "Raqqa" not in seen
    assert "Raqqa" in json.dumps(archive.history.diff(admin, OH1, first_revision(archive)), ensure_ascii=False)
    # and no restore brings it back to archivists
    _refused(archive, BOB, first_revision(archive), "no such redaction")
