"""Sensitive terms through the services, on SQLite and PostgreSQL: the register (per testimony and
archive-wide), detection across scripts and spellings in the demo collection and in a testimony
built from real Arabic and English text, publishing refused while a term shows, "redact all" as
proposals a second archivist approves, redaction edits and two-person removal, the preview."""
from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.model import AuditEvent, Revision
from archive.search.analysis import TOKEN_PATTERN
from tests.conftest import REALDATA

RESEARCHER = for_role("researcher", 1, "rita")
ANN = for_role("archivist", 2, "ann")
BOB = for_role("archivist", 3, "bob")
LEILA = "DEMO-2018-0007"        # published, English; "my brother Anas" is not redacted


def found(archive, identity, query) -> list[str]:
    result = archive.search.search(identity, query)
    assert result.error is None, result.error
    return [t.accession_id for t in result.testimonies]


def transcript_text(archive, accession_id: str, key: str) -> str:
    record = next(t for t in archive.transfer.export(SYSTEM, "admin")["testimonies"] if t["id"] == accession_id)
    return next(tr["text"] for tr in record["transcripts"] if tr["id"] == key)


def events(archive, action: str) -> list[AuditEvent]:
    with archive.db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def revisions(archive, accession_id: str) -> list[str]:
    with archive.db.session() as session:
        return [r.summary for r in session.scalars(select(Revision).where(Revision.accession_id == accession_id))]


# -- detection across scripts and spellings --------------------------------------------------------------

def test_an_archive_wide_term_is_found_in_every_script_and_spelling_of_the_demo(demo_archive):
    assert demo_archive.sensitive.archive_findings(ANN) == []     # every demo name is redacted
    term = demo_archive.sensitive.add(ANN, "Raqqa", variants=["Al-Raqqah", "الرقة"], category="place")
    assert term["testimony"] is None
    flagged = {f["accession_id"]: f for f in demo_archive.sensitive.archive_findings(ANN)}
    # English and Arabic testimonies alike; the withdrawn one is nobody's concern any more
    assert {"DEMO-2015-0001", "DEMO-2016-0002", "DEMO-2015-0004"} <= set(flagged)
    assert "DEMO-2017-0011" not in flagged
    assert all(f["terms"] == ["Raqqa"] for f in flagged.values())

    arabic = demo_archive.sensitive.findings(ANN, "DEMO-2016-0002")
    text = transcript_text(demo_archive, "DEMO-2016-0002", "ar")
    in_text = [o for o in arabic["occurrences"] if o["field"] == "text"]
    written = {o["text"] for o in in_text}
    # with harakat, with tatweel, plain: one term, three written forms
    assert {"الرَّقَّة", "الرقـــة", "الرقة"} <= written
    for o in in_text:
        assert text[o["start"]:o["end"]] == o["text"] and o["term_id"] == term["id"]
    # and in the fields an audience reads: segment titles, keywords, the summary
    assert {"title", "keywords", "summary"} <= {o["field"] for o in arabic["occurrences"]}
    english = demo_archive.sensitive.findings(ANN, "DEMO-2015-0001")
    assert "Raqqa" in {o["text"] for o in english["occurrences"]}
    assert next(t for t in english["terms"] if t["id"] == term["id"])["count"] == len(
        [o for o in english["occurrences"] if o["term_id"] == term["id"]]) > 0


def test_a_testimony_term_with_a_variant_in_another_script(demo_archive):
    added = demo_archive.sensitive.add(ANN, "Anas", variants=["أنس", "  Anas  "], category="third party",
                                       accession_id=LEILA)
    assert added["variants"] == ["أنس"]                 # the repeated spelling is dropped
    findings = demo_archive.sensitive.findings(ANN, LEILA)
    text = transcript_text(demo_archive, LEILA, "en")
    expected = [m.span() for m in re.finditer(r"(?<!\w)Anas(?!\w)", text)]
    assert expected and [(o["start"], o["end"]) for o in findings["occurrences"]] == expected
    assert demo_archive.sensitive.list(ANN, LEILA)[0]["term"] == "Anas"
    assert not any(t["term"] == "Anas" for t in demo_archive.sensitive.list(ANN))   # not archive-wide


def _bare(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c) and c != "\u0640")


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not beside the checkout")
def test_a_testimony_built_from_the_real_arabic_and_english_files(archive):
    """Ibn Hazm in the journal al-Muqtabas (1906) and Doctor Miller in the WPA Florida narratives,
    read in place; each count checked against one made another way."""
    arabic = (REALDATA / "openarabicpe_muqtabas" / "md" / "oclc_4770057679-i_1-div_3.d1e1359.md").read_text("utf-8")
    with open(REALDATA / "wpa_slave_narratives" / "vol03_florida_narratives.txt", encoding="utf-8") as f:
        english = f.read().lstrip("\ufeff")
    document = parse_document({
        "format": "testimony-archive/1", "collections": [{"id": "real", "title": "Real text"}],
        "testimonies": [{
            "id": "REAL-0001", "collection": "real", "title": "Real text, two languages", "languages": ["ar", "en"],
            "state": "in_review", "narrators": [{"id": "N-REAL", "public_name": "Reader"}],
            "consent": {"status": "granted", "scope": "open", "permissions": {"publish_transcript": True}},
            "transcripts": [{"id": "ar", "language": "ar", "text": arabic},
                            {"id": "en", "language": "en", "text": english}]}]}, "real.json")
    archive.transfer.import_document(SYSTEM, document)
    hazm = archive.sensitive.add(ANN, "ابن حزم", variants=["بن حزم", "Ibn Hazm"], category="person",
                                 accession_id="REAL-0001")
    miller = archive.sensitive.add(ANN, "Doctor Miller", variants=["Dr. Miller"], category="person",
                                   accession_id="REAL-0001")
    findings = archive.sensitive.findings(ANN, "REAL-0001")
    by_term = {t["id"]: t["count"] for t in findings["terms"]}
    # Arabic: two tokens, the first "ابن" or "بن" with any clitic (وابن, لابن ...), the second "حزم"
    tokens = [m.group() for m in re.finditer(TOKEN_PATTERN, arabic)]
    pairs = sum(1 for a, b in zip(tokens, tokens[1:])
                if re.fullmatch("[وفبكل]*ا?بن", _bare(a)) and _bare(b) == "حزم")
    assert by_term[hazm["id"]] == pairs == 5
    low = english.lower()
    expected = (len(re.findall(r"(?<!\w)doctor\s+miller(?!\w)", low))
                + len(re.findall(r"(?<!\w)dr\.\s*miller(?!\w)", low)))
    assert by_term[miller["id"]] == expected == 17
    for o in findings["occurrences"]:
        source = arabic if o["transcript"] == "ar" else english
        assert source[o["start"]:o["end"]] == o["text"]

    with pytest.raises(ValidationError) as refused:
        archive.testimonies.set_state(ANN, "REAL-0001", "published")
    assert "sensitive terms unredacted: 'ابن حزم'" in str(refused.value)
    assert f"'Doctor Miller' ×{expected}" in str(refused.value)

    proposed = []
    for term, replacement in ((hazm, "[عالم]"), (miller, "[the doctor]")):
        result = archive.sensitive.redact_all(ANN, "REAL-0001", term["id"], replacement=replacement)
        assert result["left"] == []
        proposed += result["proposed"]
    assert len(proposed) == pairs + expected
    assert all(t["count"] == 0 for t in archive.sensitive.findings(ANN, "REAL-0001")["terms"])
    for key in proposed:
        archive.redactions.approve(BOB, "REAL-0001", key)
    assert archive.testimonies.set_state(ANN, "REAL-0001", "published")["state"] == "published"
    public = archive.testimonies.get(ANONYMOUS, "REAL-0001")
    shown = "".join(s["text"] for tr in public["transcripts"] for s in tr["segments"])
    assert "[the doctor]" in shown and "[عالم]" in shown
    assert not re.search(r"doctor\s+miller", shown.lower())
    assert found(archive, ANONYMOUS, '"Doctor Miller"') == []
    assert found(archive, SYSTEM, '"Doctor Miller"') == ["REAL-0001"]


# -- the workflow: publishing refused while a term shows -------------------------------------------------

def test_publishing_with_one_unredacted_term_is_refused_then_redact_all_and_a_second_archivist(demo_archive):
    demo_archive.testimonies.set_state(ANN, LEILA, "in_review")
    term = demo_archive.sensitive.add(ANN, "Anas", variants=["أنس"], category="third party", accession_id=LEILA)
    count = len(re.findall(r"(?<!\w)Anas(?!\w)", transcript_text(demo_archive, LEILA, "en")))
    with pytest.raises(ValidationError) as refused:
        demo_archive.testimonies.set_state(BOB, LEILA, "published")      # Ann submitted it: Bob reviews
    message = str(refused.value)
    assert message == f"record {LEILA}: cannot publish: sensitive terms unredacted: 'Anas' ×{count} (transcript en)"
    assert demo_archive.testimonies.get(ANN, LEILA)["state"] == "in_review"
    assert LEILA not in demo_archive.indexes.testimony_ids("public")

    result = demo_archive.sensitive.redact_all(ANN, LEILA, term["id"], replacement="[Narrator's brother]",
                                               reason="the brother deserted")
    assert len(result["proposed"]) == count and result["left"] == []
    view = demo_archive.testimonies.get(ANN, LEILA)
    mine = [r for r in view["redactions"] if r["key"] in result["proposed"]]
    assert {(r["state"], r["replacement"], r["category"], r["proposed_by"]) for r in mine} == \
        {("proposed", "[Narrator's brother]", "third party", "ann")}
    assert len(events(demo_archive, "redaction.add")) == count
    assert [e.detail["proposed"] for e in events(demo_archive, "sensitive.redact_all")] == [result["proposed"]]
    # still refused, now for the proposals: a second archivist must review them
    with pytest.raises(ValidationError, match="redactions awaiting review"):
        demo_archive.testimonies.set_state(BOB, LEILA, "published")
    with pytest.raises(ValidationError, match="second archivist"):
        demo_archive.redactions.approve(ANN, LEILA, result["proposed"][0])
    for key in result["proposed"]:
        demo_archive.redactions.approve(BOB, LEILA, key)
    assert demo_archive.testimonies.set_state(BOB, LEILA, "published")["state"] == "published"
    transitions = [e for e in events(demo_archive, "testimony.state") if e.target == LEILA]
    assert [(e.actor, e.detail["before"], e.detail["after"]) for e in transitions] == \
        [("ann", "published", "in_review"), ("bob", "in_review", "published")]
    assert all(e.at for e in transitions)
    assert "state in_review -> published" in revisions(demo_archive, LEILA)
    public = demo_archive.testimonies.get(ANONYMOUS, LEILA)
    shown = "".join(s["text"] for tr in public["transcripts"] for s in tr["segments"])
    assert "[Narrator's brother]" in shown and "Anas" not in shown
    assert found(demo_archive, ANONYMOUS, "Anas") == []
    assert found(demo_archive, SYSTEM, "Anas") == [LEILA]


def test_every_reason_is_listed_at_once(demo_archive):
    # DEMO-2017-0009: in review, consent pending, one proposal; and now a term that shows
    demo_archive.sensitive.add(ANN, "Aleppo", variants=["حلب"], category="place", accession_id="DEMO-2017-0009")
    with pytest.raises(ValidationError) as refused:
        demo_archive.testimonies.set_state(ANN, "DEMO-2017-0009", "published")
    reasons = str(refused.value).split("cannot publish: ", 1)[1].split("; ")
    assert reasons[:2] == ["consent is pending", "redactions awaiting review: DEMO-R-026"]
    assert reasons[2].startswith("sensitive terms unredacted: 'Aleppo' ×") and len(reasons) == 3


@pytest.mark.parametrize("start", ["draft", "in_review"])
def test_no_path_to_published_skips_the_checks(demo_archive, start):
    demo_archive.testimonies.set_state(ANN, LEILA, start)
    demo_archive.sensitive.add(ANN, "Leila", accession_id=LEILA)     # the narrator's pseudonym, shown everywhere
    with pytest.raises(ValidationError, match="'Leila'"):
        demo_archive.testimonies.set_state(ANN, LEILA, "published")
    assert demo_archive.testimonies.get(ANN, LEILA)["state"] == start


# -- the register --------------------------------------------------------------------------------------

def test_term_writes_are_revised_audited_and_reindexed(demo_archive):
    added = demo_archive.sensitive.add(ANN, "Anas", accession_id=LEILA)
    edited = demo_archive.sensitive.edit(ANN, added["id"], term="Anas", variants=["Anass", "أنس"], category="person")
    assert edited["variants"] == ["Anass", "أنس"] and edited["testimony"] == LEILA
    removed = demo_archive.sensitive.remove(BOB, added["id"])
    assert removed == {"id": added["id"], "removed": True, "testimony": LEILA}
    assert demo_archive.sensitive.list(ANN, LEILA) == []
    assert [s for s in revisions(demo_archive, LEILA) if "sensitive term" in s] == [
        f"sensitive term {added['id']} added", f"sensitive term {added['id']} edited",
        f"sensitive term {added['id']} removed"]
    audited = [(e.actor, e.action, e.target) for e in events(demo_archive, "sensitive.add")
               + events(demo_archive, "sensitive.edit") + events(demo_archive, "sensitive.remove")]
    assert audited == [("ann", "sensitive.add", LEILA), ("ann", "sensitive.edit", LEILA),
                       ("bob", "sensitive.remove", LEILA)]
    # the append-only log never keeps the name itself
    assert not any("Anas" in str(e.detail)
                   for a in ("sensitive.add", "sensitive.edit") for e in events(demo_archive, a))


def test_an_archive_wide_term_hides_a_place_variant_from_lower_views_and_search(demo_archive):
    def variants(identity):
        view = demo_archive.testimonies.get(identity, "DEMO-2015-0001")
        return next(p["variants"] for p in view["places"] if p["id"] == "place:raqqa")

    assert "Rakka" in variants(ANONYMOUS) and "DEMO-2015-0001" in found(demo_archive, ANONYMOUS, "Rakka")
    term = demo_archive.sensitive.add(ANN, "Rakka", category="place")
    assert "Rakka" not in variants(ANONYMOUS) and "Rakka" in variants(ANN)
    assert found(demo_archive, ANONYMOUS, "Rakka") == []          # the public index was rewritten
    assert "DEMO-2015-0001" in found(demo_archive, SYSTEM, "Rakka")
    assert [e.target for e in events(demo_archive, "sensitive.add")] == ["archive-wide"]
    demo_archive.sensitive.remove(ANN, term["id"])
    assert "Rakka" in variants(ANONYMOUS) and "DEMO-2015-0001" in found(demo_archive, ANONYMOUS, "Rakka")


@pytest.mark.parametrize("kwargs, field", [
    ({"term": "  "}, "term"), ({"term": "--"}, "term"), ({"term": "x" * 301}, "term"),
    ({"term": "Anas", "category": "secret"}, "category"), ({"term": "Anas", "variants": ["ok", "!!"]}, "variants")])
def test_bad_terms_are_refused_and_change_nothing(demo_archive, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        demo_archive.sensitive.add(ANN, accession_id=LEILA, **kwargs)
    assert refused.value.field == field
    assert demo_archive.sensitive.list(ANN, LEILA) == [] and events(demo_archive, "sensitive.add") == []


def test_duplicates_unknown_ids_and_lower_audiences_are_refused(demo_archive):
    demo_archive.sensitive.add(ANN, "Anas", accession_id=LEILA)
    with pytest.raises(ConflictError):
        demo_archive.sensitive.add(BOB, "ANAS", accession_id=LEILA)
    demo_archive.sensitive.add(BOB, "Anas")                       # archive-wide is another register
    with pytest.raises(NotFound):
        demo_archive.sensitive.edit(ANN, 99999, term="x")
    with pytest.raises(NotFound):
        demo_archive.sensitive.remove(ANN, "not-a-number")
    with pytest.raises(NotFound):
        demo_archive.sensitive.add(ANN, "Anas", accession_id="NOPE-1")
    for call in (lambda: demo_archive.sensitive.list(RESEARCHER), lambda: demo_archive.sensitive.add(RESEARCHER, "x"),
                 lambda: demo_archive.sensitive.findings(RESEARCHER, LEILA),
                 lambda: demo_archive.sensitive.archive_findings(ANONYMOUS),
                 lambda: demo_archive.sensitive.redact_all(RESEARCHER, LEILA, 1, replacement="[x]"),
                 lambda: demo_archive.preview.side_by_side(RESEARCHER, LEILA),
                 lambda: demo_archive.dashboard.panels(RESEARCHER)):
        with pytest.raises(PermissionDenied):
            call()


def test_redact_all_keeps_the_pseudonym_already_used_and_reports_what_it_cannot_redact(demo_archive):
    # DEMO-2015-0001 redacts "Khaled Mansour" as "[name withheld]"; "Raqqa" is in its title too
    khaled = demo_archive.sensitive.list(ANN, "DEMO-2015-0001")[0]
    suggested = demo_archive.sensitive.findings(ANN, "DEMO-2015-0001")["terms"][0]["suggested_replacement"]
    assert suggested == "[name withheld]"
    with pytest.raises(ValidationError, match="no unredacted occurrence"):
        demo_archive.sensitive.redact_all(ANN, "DEMO-2015-0001", khaled["id"])
    raqqa = demo_archive.sensitive.add(ANN, "Raqqa", category="place")
    with pytest.raises(ValidationError, match="choose a replacement"):
        demo_archive.sensitive.redact_all(ANN, "DEMO-2015-0001", raqqa["id"])
    result = demo_archive.sensitive.redact_all(ANN, "DEMO-2015-0001", raqqa["id"], replacement="[a city]")
    view = demo_archive.testimonies.get(ANN, "DEMO-2015-0001")
    new = {r["key"]: r for r in view["redactions"] if r["key"] in result["proposed"]}
    assert {r.get("field") for r in new.values()} >= {None, "title", "summary"}
    assert {r["replacement"] for r in new.values() if not r.get("field")} == {"[a city]"}
    assert {(o["field"], o["text"].lower()) for o in result["left"]} >= {("places", "raqqa"), ("synopsis", "raqqa")}
    left = demo_archive.sensitive.findings(ANN, "DEMO-2015-0001")["occurrences"]
    assert len(left) == len(result["left"])       # only what cannot be redacted still shows
    with pytest.raises(NotFound):                 # another testimony's own term
        demo_archive.sensitive.redact_all(ANN, LEILA, khaled["id"], replacement="[x]")


# -- editing and removing redactions --------------------------------------------------------------------

def _anas_redaction(archive) -> str:
    text = transcript_text(archive, LEILA, "en")
    start = text.index("Anas")
    return archive.redactions.add(ANN, LEILA, category="person", replacement="[brother]", transcript="en",
                                  start=start, end=start + 4)["key"]


def test_an_edit_is_a_new_proposal_and_may_not_show_more(demo_archive):
    key = _anas_redaction(demo_archive)
    demo_archive.redactions.approve(BOB, LEILA, key)
    result = demo_archive.redactions.edit(BOB, LEILA, key, replacement="[Narrator's brother]", reason="deserter",
                                          visible_to="admin")
    assert result == {"key": key, "state": "proposed", "changed": ["reason", "replacement", "visible_to"]}
    r = next(r for r in demo_archive.testimonies.get(ANN, LEILA)["redactions"] if r["key"] == key)
    assert (r["state"], r["proposed_by"], r["approved_by"], r["visible_to"]) == ("proposed", "bob", None, "admin")
    assert "[Narrator's brother]" in "".join(
        s["text"] for s in demo_archive.testimonies.get(ANONYMOUS, LEILA)["transcripts"][0]["segments"])
    with pytest.raises(ValidationError, match="lowering who may see the original"):
        demo_archive.redactions.edit(ANN, LEILA, key, visible_to="researcher")
    with pytest.raises(ValidationError):
        demo_archive.redactions.edit(ANN, LEILA, key, category="secret")
    assert demo_archive.redactions.edit(ANN, LEILA, key, replacement="[Narrator's brother]")["changed"] == []
    assert any("edited" in s for s in revisions(demo_archive, LEILA))


def test_removal_takes_two_archivists_and_its_key_is_never_reused(demo_archive):
    key = _anas_redaction(demo_archive)
    demo_archive.redactions.approve(BOB, LEILA, key)
    assert demo_archive.redactions.remove(ANN, LEILA, key) == {"key": key, "state": "removal_proposed"}
    # until a second archivist confirms, the redaction keeps hiding the name
    segments = demo_archive.testimonies.get(ANONYMOUS, LEILA)["transcripts"][0]["segments"]
    assert "Anas" not in "".join(s["text"] for s in segments)
    assert found(demo_archive, ANONYMOUS, "Anas") == []
    with pytest.raises(ValidationError, match="second archivist must confirm"):
        demo_archive.redactions.confirm_removal(ANN, LEILA, key)
    with pytest.raises(ValidationError, match="removal is proposed"):
        demo_archive.redactions.approve(BOB, LEILA, key)
    demo_archive.redactions.keep(BOB, LEILA, key)                  # refused: back to a proposal
    with pytest.raises(ValidationError, match="no removal"):
        demo_archive.redactions.confirm_removal(ANN, LEILA, key)
    demo_archive.redactions.remove(ANN, LEILA, key)
    assert demo_archive.redactions.confirm_removal(BOB, LEILA, key) == {"key": key, "state": "removed"}
    assert "DEMO-2018-0007" in found(demo_archive, ANONYMOUS, "Anas")     # shown again, indexes included
    assert [e.detail["requested_by"] for e in events(demo_archive, "redaction.remove")] == ["ann"]
    assert _anas_redaction(demo_archive) != key
    # with the rule off one archivist removes at once
    other = _anas_redaction(demo_archive)
    assert demo_archive.redactions.remove(ANN, LEILA, other, two_person=False)["state"] == "removed"


# -- the editor's offsets and the preview --------------------------------------------------------------

def test_every_rendered_piece_knows_its_offsets(demo_archive):
    for view in demo_archive.testimonies.list(SYSTEM):
        accession = view["accession_id"]
        for tr in demo_archive.preview.selectable(ANN, accession):
            text = transcript_text(demo_archive, accession, tr["key"])
            assert tr["length"] == len(text)
            cursor = 0
            for segment in tr["segments"]:
                for piece in segment["pieces"]:
                    assert piece["start"] >= cursor
                    if not piece["redacted"]:
                        assert text[piece["start"]:piece["end"]] == piece["text"], (accession, piece)
                    elif piece["original"] is not None:
                        assert text[piece["start"]:piece["end"]] == piece["original"]
                    cursor = piece["end"]


def test_the_preview_shows_a_draft_as_each_audience_would_read_it_and_changes_nothing(demo_archive):
    demo_archive.testimonies.set_state(ANN, LEILA, "draft")
    _anas_redaction(demo_archive)
    preview = demo_archive.preview.side_by_side(ANN, LEILA)
    assert [c["audience"] for c in preview["columns"]] == ["archivist", "researcher", "public"]
    assert any("once published" in n for n in preview["notes"])
    staff, researcher, public = (c["view"] for c in preview["columns"])
    assert any(p.get("original") == "Anas" for s in staff["transcripts"][0]["segments"] for p in s["pieces"])
    for view in (researcher, public):
        shown = "".join(s["text"] for s in view["transcripts"][0]["segments"])
        assert "[brother]" in shown and "Anas" not in shown
        assert "legal_name" not in str(view["narrators"])
    # nothing was published by looking
    assert demo_archive.testimonies.get(ANN, LEILA)["state"] == "draft"
    assert LEILA not in demo_archive.indexes.testimony_ids("public")
    with pytest.raises(NotFound):
        demo_archive.testimonies.get(ANONYMOUS, LEILA)
    assert [e.target for e in events(demo_archive, "testimony.preview")] == [LEILA]


def test_the_preview_says_why_an_audience_will_not_see_it(example_archive):
    preview = example_archive.preview.side_by_side(ANN, "OH-2015-0002")   # researchers scope, embargoed
    columns = {c["audience"]: c for c in preview["columns"]}
    assert columns["researcher"]["view"] is not None and any("embargo lifts" in n for n in preview["notes"])
    assert columns["public"]["view"] is None and "researchers" in columns["public"]["absent"]


def test_the_dashboard_panels(demo_archive):
    demo_archive.testimonies.set_state(ANN, LEILA, "draft")
    demo_archive.sensitive.add(ANN, "Anas", accession_id=LEILA)
    key = _anas_redaction(demo_archive)
    ann, bob = demo_archive.dashboard.panels(ANN), demo_archive.dashboard.panels(BOB)
    assert [t["accession_id"] for t in ann["my_drafts"]] == [LEILA] and bob["my_drafts"] == []
    assert [t["accession_id"] for t in ann["in_review"]] == ["DEMO-2017-0009"]
    queue = {(r["accession_id"], r["key"]): r["mine"] for r in ann["awaiting_second"]}
    assert queue[(LEILA, key)] is True
    assert {(r["accession_id"], r["key"]): r["mine"] for r in bob["awaiting_second"]}[(LEILA, key)] is False
    assert ann["unredacted"] == []                          # its one "Anas" is redacted (proposed)
    demo_archive.sensitive.add(ANN, "Idlib", accession_id=LEILA)
    assert [(f["accession_id"], f["terms"]) for f in demo_archive.dashboard.panels(ANN)["unredacted"]] == \
        [(LEILA, ["Idlib"])]
    assert [t["accession_id"] for t in ann["consent_pending"]] == ["DEMO-2017-0009"]
    assert (ann["activity"][0]["action"], ann["activity"][0]["actor"]) == ("redaction.add", "ann")
    demo_archive.testimonies.get(BOB, LEILA)                # reading is audited, but is not "activity"
    assert demo_archive.dashboard.panels(ANN)["activity"][0]["action"] == "sensitive.add"
