"""The audience projection, over the shared example and the demo collection as imported."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from archive.audience import Audience
from archive.errors import NotFound
from archive.formats import json_format
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.services.base import Service
from archive.views import TOMBSTONE_MESSAGE, tombstone_for, view_for
from tests.conftest import DEMO, EXAMPLE, TODAY

RESEARCHER = for_role("researcher", 1, "rita")
ARCHIVIST = for_role("archivist", 2, "ann")
# DESIGN.md: restricted narrator fields, never shown below archivist (written here, not imported).
RESTRICTED_NARRATOR_FIELDS = ("legal_name", "contact", "risk_notes")
WITHHELD = ("Khaled", "Haddad", "Suluk", "Gaziantep", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1")


def dumped(view) -> str:
    return json.dumps(view, ensure_ascii=False)


def transcript_text(view) -> str:
    return "".join(s["text"] for t in view["transcripts"] for s in t["segments"])


def view_on(archive, accession_id: str, audience, today: dt.date = TODAY):
    with archive.db.session() as session:
        testimony = Service.load_testimony(session, accession_id)
        return view_for(testimony, Audience.parse(audience), today, Service.authorities(session))


# -- OH-2015-0001 -----------------------------------------------------------------------------------

def test_the_public_view_of_oh_0001(example_archive):
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    text = transcript_text(view)
    assert "[name withheld]" in text
    assert "[place withheld]" in text
    assert "We meet them at [place withheld] and we never use" in text
    assert "A cousin, [name withheld], asked me" in text
    assert view["interview_place"] == "[undisclosed location]"
    everything = dumped(view)
    for word in WITHHELD:
        assert word not in everything, word
    assert view["audience"] == "public"
    # the rest of the record is there
    assert view["title"] == "Driving defectors to the border"
    assert "Raqqa" in text and "Tel Abyad" in text
    assert [p["label"] for p in view["places"]] == ["Raqqa", "Tel Abyad"]


def test_the_public_view_marks_replacements_without_originals(example_archive):
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    pieces = [p for t in view["transcripts"] for s in t["segments"] for p in s["pieces"]]
    redacted = [p for p in pieces if p.get("redacted")]
    assert [p["text"] for p in redacted] == ["[name withheld]", "[place withheld]"]
    assert all("original" not in p and "redactions" not in p for p in redacted)
    for key in ("redactions", "field_redactions", "sensitive_terms", "reaches", "withdrawn_at"):
        assert key not in view


@pytest.mark.parametrize("identity", [ANONYMOUS, RESEARCHER], ids=["public", "researcher"])
def test_restricted_narrator_fields_are_absent_below_archivist(example_archive, identity):
    view = example_archive.testimonies.get(identity, "OH-2015-0001")
    (narrator,) = view["narrators"]
    for field in RESTRICTED_NARRATOR_FIELDS:
        assert field not in narrator
    assert narrator == {"key": "N-0001", "public_name": "Omar", "birth_year": 1984, "gender": "male",
                        "nationality": "Syrian", "role": "smuggler"}
    assert set(view["consent"]) == {"scope", "permissions"}


def test_the_researcher_view_of_oh_0001(example_archive):
    view = example_archive.testimonies.get(RESEARCHER, "OH-2015-0001")
    text = transcript_text(view)
    assert "We meet them at the farm near Suluk and" in text
    assert "[place withheld]" not in text
    assert "A cousin, [name withheld], asked me" in text
    assert view["interview_place"] == "[undisclosed location]"
    everything = dumped(view)
    for word in ("Khaled", "Haddad", "Gaziantep", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1"):
        assert word not in everything, word


def test_the_archivist_view_holds_everything_and_marks_redactions(example_archive):
    view = example_archive.testimonies.get(ARCHIVIST, "OH-2015-0001")
    everything = dumped(view)
    for word in WITHHELD:
        assert word in everything, word
    (narrator,) = view["narrators"]
    assert narrator["legal_name"] == "EXAMPLE-LEGAL-NAME-1"
    assert narrator["contact"] == "EXAMPLE-CONTACT-1"
    assert view["interview_place"] == "Gaziantep, Turkey"
    assert view["field_redactions"]["interview_place"]["replacement"] == "[undisclosed location]"
    pieces = [p for t in view["transcripts"] for s in t["segments"] for p in s["pieces"] if p.get("redacted")]
    assert [(p["text"], p["original"]) for p in pieces] == [
        ("[name withheld]", "Khaled Haddad"), ("[place withheld]", "the farm near Suluk")]
    assert [r["key"] for p in pieces for r in p["redactions"]] == ["R-1", "R-2"]
    # the staff's plain text is the original transcript
    original = json.loads(EXAMPLE.read_text(encoding="utf-8"))["testimonies"][0]["transcripts"][0]["text"]
    assert transcript_text(view) == original
    assert {r["key"]: r["state"] for r in view["redactions"]} == {"R-1": "approved", "R-2": "approved",
                                                                   "R-3": "approved"}
    assert view["reaches"] == "public"
    assert view["consent"]["obtained_by"] == "Interviewer A"


def test_segments_of_the_view_follow_the_transcript(example_archive):
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    (transcript,) = view["transcripts"]
    assert [s["title"] for s in transcript["segments"]] == [
        "Raqqa under the group", "The first crossing", "How many were helped"]
    assert [s["start"] for s in transcript["segments"]] == [0.0, 62.5, 181.0]
    assert "[name withheld]" in transcript["segments"][1]["text"]
    assert "[place withheld]" in transcript["segments"][2]["text"]
    assert transcript["dir"] == "ltr"


# -- OH-2015-0002: researchers only, embargoed until 2030-01-01 ---------------------------------------

@pytest.mark.parametrize("identity", [ANONYMOUS, RESEARCHER], ids=["public", "researcher"])
def test_oh_0002_is_hidden_below_archivist_today(example_archive, identity):
    assert view_on(example_archive, "OH-2015-0002", identity.audience) is None
    with pytest.raises(NotFound):
        example_archive.testimonies.get(identity, "OH-2015-0002")
    listed = [v["accession_id"] for v in example_archive.testimonies.list(identity)]
    assert listed == ["OH-2015-0001"]


def test_oh_0002_for_staff_today(example_archive):
    view = example_archive.testimonies.get(ARCHIVIST, "OH-2015-0002")
    assert view["reaches"] == "archivist"
    assert "سامر العلي" in transcript_text(view)
    assert view["transcripts"][0]["dir"] == "rtl"


@pytest.mark.parametrize("today,researcher_sees", [
    (dt.date(2029, 12, 31), False), (dt.date(2030, 1, 1), True), (dt.date(2045, 6, 1), True)])
def test_oh_0002_reaches_researchers_when_the_embargo_ends_and_the_public_never(example_archive, today,
                                                                                 researcher_sees):
    researcher = view_on(example_archive, "OH-2015-0002", "researcher", today)
    assert (researcher is not None) is researcher_sees
    assert view_on(example_archive, "OH-2015-0002", "public", today) is None
    if researcher:
        text = transcript_text(researcher)
        assert "[اسم محجوب]" in text
        assert "سامر" not in dumped(researcher)
        assert "EXAMPLE-LEGAL-NAME-2" not in dumped(researcher)


def test_oh_0002_through_the_service_with_a_later_clock(make_archive):
    archive = make_archive(dt.date(2030, 1, 1))
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    view = archive.testimonies.get(RESEARCHER, "OH-2015-0002")
    assert view["accession_id"] == "OH-2015-0002"
    assert "سامر العلي" not in dumped(view)
    with pytest.raises(NotFound):
        archive.testimonies.get(ANONYMOUS, "OH-2015-0002")


# -- permissions -------------------------------------------------------------------------------------

def test_without_publish_transcript_the_public_gets_no_transcript(archive):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["testimonies"][0]["consent"]["permissions"]["publish_transcript"] = False
    archive.transfer.import_document(SYSTEM, json_format.parse_document(copy.deepcopy(data)))
    for identity in (ANONYMOUS, RESEARCHER):
        view = archive.testimonies.get(identity, "OH-2015-0001")
        assert view["transcripts"] == []
        assert view["transcript_withheld"] is True
        assert "Raqqa and I never thought" not in dumped(view)
    staff = archive.testimonies.get(ARCHIVIST, "OH-2015-0001")
    assert staff["transcripts"] and staff["transcript_withheld"] is False


# -- the demo collection -------------------------------------------------------------------------------

def test_no_demo_view_below_archivist_shows_what_is_withheld_from_it(demo_archive):
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    checked = 0
    for item in data["testimonies"]:
        for audience in (Audience.PUBLIC, Audience.RESEARCHER):
            view = view_on(demo_archive, item["id"], audience)
            if view is None:
                continue
            everything = dumped(view)
            for narrator in item["narrators"]:
                for field in RESTRICTED_NARRATOR_FIELDS:
                    if narrator.get(field):
                        assert narrator[field] not in everything, (item["id"], audience, field)
            for red in item.get("redactions", []):
                if audience >= Audience.parse(red["visible_to"]):
                    continue
                secret = red["text"] if "text" in red else item[red["field"]]
                assert secret not in everything, (item["id"], audience.label, red["id"])
                checked += 1
    assert checked > 10


def test_demo_visibility_per_audience(demo_archive):
    def ids(identity):
        return {v["accession_id"] for v in demo_archive.testimonies.list(identity)}
    public, researcher, staff = ids(ANONYMOUS), ids(RESEARCHER), ids(ARCHIVIST)
    assert "DEMO-2015-0003" in researcher - public            # scope researchers
    assert "DEMO-2015-0004" not in researcher                 # embargoed to 2031
    assert "DEMO-2018-0007" in public                         # embargo over in 2020
    assert "DEMO-2017-0005" in staff - researcher             # archive only
    assert "DEMO-2017-0009" in staff - researcher             # in review, consent pending
    assert "DEMO-2017-0011" in staff - researcher             # withdrawn
    assert public <= researcher <= staff
    assert len(staff) == 11


def test_a_withdrawn_testimony_leaves_only_a_tombstone(demo_archive):
    assert view_on(demo_archive, "DEMO-2017-0011", "public") is None
    assert view_on(demo_archive, "DEMO-2017-0011", "researcher") is None
    tomb = demo_archive.testimonies.tombstone(ANONYMOUS, "DEMO-2017-0011")
    assert set(tomb) == {"accession_id", "message", "withdrawn_at"}
    assert tomb["accession_id"] == "DEMO-2017-0011" and tomb["message"] == TOMBSTONE_MESSAGE
    assert "Samer" not in dumped(tomb) and "Le téléphone" not in dumped(tomb)
    assert demo_archive.testimonies.tombstone(ANONYMOUS, "DEMO-2015-0001") is None
    assert demo_archive.testimonies.tombstone(ANONYMOUS, "NO-SUCH-ID") is None
    assert tombstone_for(None) is None


def test_a_researcher_only_field_redaction_shows_to_researchers(demo_archive):
    data = {t["id"]: t for t in json.loads(DEMO.read_text(encoding="utf-8"))["testimonies"]}
    summary = data["DEMO-2018-0007"]["summary"]
    public = view_on(demo_archive, "DEMO-2018-0007", "public")
    researcher = view_on(demo_archive, "DEMO-2018-0007", "researcher")
    assert public["summary"] != summary and summary not in dumped(public)
    assert researcher["summary"] == summary
