"""The segment editor's service on SQLite and PostgreSQL: split (at a sentence, with a time given
or interpolated), merge, retime, describe; each a revision, an audit event and the indexes in one
unit of work; refusals (inside a redaction, between a letter and its harakat, times out of order)
that leave nothing written."""
from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from archive.errors import NotFound, PermissionDenied, ValidationError
from archive.identity import SYSTEM, for_role
from archive import model
from archive.services.segments import segment_problems
from tests.conftest import DEMO

ANN = for_role("archivist", 2, "ann")
RESEARCHER = for_role("researcher", 1, "rita")
OH1 = "OH-2015-0001"          # en: 3 segments (0-62.5-181-240 s), R-1 "Khaled Haddad", R-2 "the farm near Suluk"
ARABIC = "DEMO-2016-0002"     # ar with harakat, 4 segments


def segments(archive, accession_id: str, key: str) -> list[dict]:
    record = next(t for t in archive.transfer.export(SYSTEM, "admin")["testimonies"] if t["id"] == accession_id)
    return next(tr for tr in record["transcripts"] if tr["id"] == key)["segments"]


def text_of(archive, accession_id: str, key: str) -> str:
    record = next(t for t in archive.transfer.export(SYSTEM, "admin")["testimonies"] if t["id"] == accession_id)
    return next(tr for tr in record["transcripts"] if tr["id"] == key)["text"]


def counts(archive, accession_id: str) -> tuple[int, int]:
    with archive.db.session() as session:
        revisions = select(func.count()).select_from(model.Revision).where(model.Revision.accession_id == accession_id)
        events = select(func.count()).select_from(model.AuditEvent).where(model.AuditEvent.target == accession_id)
        return session.scalar(revisions), session.scalar(events)


def staff_hits(archive, query: str) -> set[str]:
    result = archive.search.search(SYSTEM, query)
    assert result.error is None, result.error
    return {t.accession_id for t in result.testimonies}


def assert_valid(archive, accession_id: str, key: str) -> None:
    with archive.db.session() as session:
        testimony = session.scalar(select(model.Testimony).where(model.Testimony.accession_id == accession_id))
        tr = next(t for t in testimony.transcripts if t.key == key)
        assert segment_problems(tr.text, tr.segments, testimony.duration) == []


def test_split_at_a_sentence_interpolates_the_time_and_keeps_the_text_tiled(example_archive):
    archive = example_archive
    editor = archive.segments.editor(ANN, OH1)
    first = editor["transcripts"][0]["segments"][0]
    cut = first["cuts"][0]
    text = text_of(archive, OH1, "en")
    assert text[cut["offset"] - 2:cut["offset"]] in (". ", "? ", "! ")
    revisions, events = counts(archive, OH1)
    archive.segments.split(ANN, OH1, "en", 0, cut["offset"])
    after = segments(archive, OH1, "en")
    assert len(after) == 4
    assert (after[0]["text_start"], after[0]["text_end"], after[1]["text_start"], after[1]["text_end"]) == \
        (0, cut["offset"], cut["offset"], first["text_end"])
    share = cut["offset"] / first["text_end"]
    assert after[1]["start"] == pytest.approx(62.5 * share, abs=0.001) and after[0]["end"] == after[1]["start"]
    assert after[1]["end"] == 62.5 and after[0]["title"] == "Raqqa under the group" and after[1]["title"] == ""
    assert [s["title"] for s in after[2:]] == ["The first crossing", "How many were helped"]
    assert_valid(archive, OH1, "en")
    assert counts(archive, OH1) == (revisions + 1, events + 1)
    with archive.db.session() as session:
        event = session.scalars(select(model.AuditEvent).where(model.AuditEvent.target == OH1)
                                .order_by(model.AuditEvent.id.desc()).limit(1)).one()
        revision = session.scalars(select(model.Revision).order_by(model.Revision.id.desc()).limit(1)).one()
    assert (event.action, event.actor, event.detail["offset"]) == ("segment.split", "ann", cut["offset"])
    assert revision.summary == f"segment 0 of en split at {cut['offset']}"
    assert len(revision.snapshot["testimony"]["transcripts"][0]["segments"]) == 4   # the whole record after


def test_split_with_a_start_time_given_and_its_bounds(example_archive):
    archive = example_archive
    offset = archive.segments.editor(ANN, OH1)["transcripts"][0]["segments"][1]["cuts"][0]["offset"]
    for bad in (62.5, 181.0, 300, -1, "soon"):
        with pytest.raises(ValidationError) as refused:
            archive.segments.split(ANN, OH1, "en", 1, offset, start=bad)
        assert refused.value.field == "start"
    archive.segments.split(ANN, OH1, "en", 1, offset, start=100, title="Second part")
    after = segments(archive, OH1, "en")
    assert [(s["start"], s["end"], s["title"]) for s in after[1:3]] == [(62.5, 100, "The first crossing"),
                                                                         (100, 181.0, "Second part")]


def test_a_split_inside_a_redaction_or_outside_the_segment_is_refused_and_writes_nothing(example_archive):
    archive = example_archive
    text = text_of(archive, OH1, "en")
    name = text.index("Khaled Haddad")
    before = segments(archive, OH1, "en"), counts(archive, OH1)
    seq = next(n for n, s in enumerate(before[0]) if s["text_start"] < name < s["text_end"])
    with pytest.raises(ValidationError, match="inside redaction R-1"):
        archive.segments.split(ANN, OH1, "en", seq, name + 3)
    for offset in (before[0][seq]["text_start"], before[0][seq]["text_end"], 10_000):
        with pytest.raises(ValidationError, match="not inside segment"):
            archive.segments.split(ANN, OH1, "en", seq, offset)
    with pytest.raises(NotFound):
        archive.segments.split(ANN, OH1, "en", 7, 10)
    with pytest.raises(NotFound):
        archive.segments.split(ANN, OH1, "xx", 0, 10)
    assert (segments(archive, OH1, "en"), counts(archive, OH1)) == before
    # (a split just before the name is fine, and the redaction still covers its text)
    archive.segments.split(ANN, OH1, "en", seq, name)
    assert archive.testimonies.get(SYSTEM, OH1)["redactions"][0]["text"] == "Khaled Haddad"


def test_a_split_between_a_letter_and_its_harakat_is_refused(archive):
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    text = text_of(archive, ARABIC, "ar")
    first = segments(archive, ARABIC, "ar")[0]
    mark = next(i for i in range(first["text_start"] + 1, first["text_end"]) if unicodedata.combining(text[i]))
    with pytest.raises(ValidationError, match="combining mark"):
        archive.segments.split(ANN, ARABIC, "ar", 0, mark)
    archive.segments.split(ANN, ARABIC, "ar", 0, mark + 1 if not unicodedata.combining(text[mark + 1]) else mark + 2)
    assert_valid(archive, ARABIC, "ar")
    # the places offered never split a letter from its marks either
    cuts = [c for s in archive.segments.editor(ANN, ARABIC)["transcripts"][0]["segments"] for c in s["cuts"]]
    assert len(cuts) > 5 and all(not unicodedata.combining(text[c["offset"]]) for c in cuts)


def test_merge_joins_two_segments_and_renumbers(example_archive):
    archive = example_archive
    archive.segments.describe(ANN, OH1, "en", 1, synopsis="Crossing.", keywords="river, night")
    archive.segments.describe(ANN, OH1, "en", 2, synopsis="Counting.", keywords=["night", "numbers"])
    archive.segments.merge(ANN, OH1, "en", 1)
    after = segments(archive, OH1, "en")
    assert len(after) == 2
    assert (after[1]["start"], after[1]["end"], after[1]["title"], after[1]["synopsis"], after[1]["keywords"]) == \
        (62.5, 240.0, "The first crossing", "Crossing.\n\nCounting.", ["river", "night", "numbers"])
    assert after[1]["text_end"] == len(text_of(archive, OH1, "en"))
    assert_valid(archive, OH1, "en")
    with pytest.raises(ValidationError, match="is the last"):
        archive.segments.merge(ANN, OH1, "en", 1)


def test_retime_keeps_times_in_order_and_within_the_recording(example_archive):
    archive = example_archive
    with archive.db.session() as session:
        session.scalar(select(model.Testimony).where(model.Testimony.accession_id == OH1)).duration = 250.0
    before = segments(archive, OH1, "en"), counts(archive, OH1)
    for start, end, field in ((100, 90, "end"), (50, 150, "start"), (70, 200, "end"), (190, 260, "end"),
                              (None, 100, "start"), ("x", 100, "start")):
        with pytest.raises(ValidationError) as refused:
            archive.segments.retime(ANN, OH1, "en", 1 if start != 190 else 2, start, end)
        assert refused.value.field == field, (start, end)
    assert (segments(archive, OH1, "en"), counts(archive, OH1)) == before
    archive.segments.retime(ANN, OH1, "en", 1, 63, 180)
    archive.segments.retime(ANN, OH1, "en", 2, 181, 250)
    assert [(s["start"], s["end"]) for s in segments(archive, OH1, "en")] == [(0.0, 62.5), (63, 180), (181, 250)]
    assert_valid(archive, OH1, "en")


def test_describe_changes_what_search_finds_at_once(example_archive):
    archive = example_archive
    assert staff_hits(archive, "Zebrafinch") == set()
    result = archive.segments.describe(ANN, OH1, "en", 0, title="The Zebrafinch years", keywords="finches,  ,finches")
    assert result["changed"] == ["keywords", "title"]
    assert staff_hits(archive, "Zebrafinch") == {OH1}
    assert OH1 in {t.accession_id for t in archive.search.search(for_role("researcher"), "Zebrafinch").testimonies}
    assert segments(archive, OH1, "en")[0]["keywords"] == ["finches"]
    revisions, events = counts(archive, OH1)
    assert archive.segments.describe(ANN, OH1, "en", 0, title="The Zebrafinch years")["changed"] == []
    assert counts(archive, OH1) == (revisions, events)          # nothing changed, nothing written
    with pytest.raises(ValidationError, match="500"):
        archive.segments.describe(ANN, OH1, "en", 0, title="x" * 501)


def test_a_transcript_without_segments_edits_as_one(example_archive):
    archive = example_archive
    editor = archive.segments.editor(ANN, "OH-2015-0002")
    [only] = editor["transcripts"][0]["segments"]
    assert (only["text_start"], only["text_end"]) == (0, editor["transcripts"][0]["length"])
    # the archivist's editor shows what an archivist may read: R-4 is archivist-level, so revealed
    assert any(p.get("original") == "سامر العلي" for p in only["pieces"])
    cut = only["cuts"][0]["offset"]
    archive.segments.split(ANN, "OH-2015-0002", "ar", 0, cut)
    assert [(s["text_start"], s["text_end"]) for s in segments(archive, "OH-2015-0002", "ar")] == \
        [(0, cut), (cut, editor["transcripts"][0]["length"])]


def test_the_editor_audits_the_view_and_every_write_is_refused_below_archivist(example_archive):
    archive = example_archive
    archive.segments.editor(ANN, OH1)
    with archive.db.session() as session:
        event = session.scalars(select(model.AuditEvent).where(model.AuditEvent.target == OH1)
                                .order_by(model.AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.actor, event.detail) == ("testimony.view_original", "ann", {"page": "segments"})
    before = segments(archive, OH1, "en")
    for call in (lambda: archive.segments.editor(RESEARCHER, OH1),
                 lambda: archive.segments.split(RESEARCHER, OH1, "en", 0, 54),
                 lambda: archive.segments.merge(RESEARCHER, OH1, "en", 0),
                 lambda: archive.segments.retime(RESEARCHER, OH1, "en", 0, 0, 1),
                 lambda: archive.segments.describe(RESEARCHER, OH1, "en", 0, title="x")):
        with pytest.raises(PermissionDenied):
            call()
    assert segments(archive, OH1, "en") == before


def test_the_invariant_names_each_problem():
    class S:
        def __init__(self, seq, a, b, start=None, end=None):
            self.seq, self.text_start, self.text_end, self.start, self.end = seq, a, b, start, end
    text = "abcdef\u064e"
    assert segment_problems(text, [S(0, 0, 3, 0, 5), S(1, 3, 7, 5, 9)], 10) == []
    problems = segment_problems(text, [S(0, 1, 3, 4, 2), S(2, 4, 4, 1, 20), S(2, 4, 6)], 10)
    joined = " | ".join(problems)
    for words in ("segment 0 starts at 1", "ends at 6, not at the end", "segment 1 is numbered 2",
                  "segment 1 is empty", "segment 1 starts at 4, but segment 0 ends at 3",
                  "ends (2) before it starts (4)", "end 20 is outside the recording",
                  "segment 1 starts (1) before segment 0 (4)"):
        assert words in joined, words
    assert "combining mark" in " ".join(segment_problems(text, [S(0, 0, 6), S(1, 6, 7)]))
