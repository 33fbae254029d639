"""Silenced ranges drawn on a recording's timeline, through the staff media page: the form's checks
and their messages beside their fields, CSRF, the second archivist, and readers refused."""
from __future__ import annotations

import lxml.html
import pytest

from archive.identity import SYSTEM
from tests.audio_samples import rms, samples, sine_wav
from tests.conftest import csrf_from

LISTEN = "DEMO-2015-0001"       # open, publish_audio true
SECONDS = 30
QUIET = 60


@pytest.fixture
def recording(app) -> str:
    return app.extensions["archive"].media.add(SYSTEM, LISTEN, sine_wav(SECONDS), "interview.wav",
                                               kind="audio")["id"]


def ranges(app, key: str) -> list[dict]:
    return app.extensions["archive"].media.asset(SYSTEM, key)["audio_redactions"]


def propose(client, key: str, **fields):
    data = {"csrf_token": csrf_from(client, f"/staff/media/{key}"), "start": "0:12", "end": "15.5",
            "category": "person", "reason": "a name said aloud", "visible_to": "archivist", **fields}
    return client.post(f"/staff/media/{key}/ranges", data=data)


def field_errors(response) -> dict[str, list[str]]:
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return {p.get("id").removesuffix("-error"): [p.text_content()] for p in doc.xpath("//p[@class='field-error']")}


def fetch(reader, url: str) -> bytes:
    response = reader.get(url)
    data = response.get_data()
    response.close()
    assert response.status_code == 200, (url, response.status_code)
    return data


def test_the_recordings_page_has_the_player_and_the_timeline_form(app, signed_in, recording):
    page = signed_in("archivist").get(f"/staff/media/{recording}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    (audio,) = doc.xpath("//audio[@id='range-audio']")
    assert audio.get("src") == f"/media/{recording}/audio"
    (editor,) = doc.xpath("//*[@id='range-editor']")
    assert float(editor.get("data-duration")) == pytest.approx(SECONDS, abs=0.05)
    assert doc.xpath("//*[@id='range-timeline'][@role='slider']")
    assert doc.xpath("//button[@id='mark-start']") and doc.xpath("//button[@id='mark-end']")
    (form,) = doc.xpath("//form[@id='range-form']")
    assert form.get("action") == f"/staff/media/{recording}/ranges"
    assert {i.get("name") for i in form.xpath(".//input|.//select")} >= {
        "csrf_token", "start", "end", "category", "reason", "visible_to"}
    assert "/static/js/audio-ranges.js" in html and "<script>" not in html and " style=" not in html
    assert " on" not in "".join(f" {name}" for el in doc.iter() if isinstance(el.tag, str) for name in el.attrib
                                if name.startswith("on"))
    assert "No ranges." in html


def test_a_range_typed_in_the_form_is_proposed_silenced_below_its_audience_and_traced(app, signed_in, client,
                                                                                       recording):
    archivist = signed_in("archivist")
    response = propose(archivist, recording, start="0:12", end="15.5", visible_to="researcher")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/media/{recording}#ranges"
    (drawn,) = ranges(app, recording)
    assert (drawn["key"], drawn["start"], drawn["end"], drawn["state"], drawn["proposed_by"]) == \
        ("A-1", 12.0, 15.5, "proposed", "archivist")
    assert drawn["visible_to"] == "researcher" and drawn["reason"] == "a name said aloud"
    page = archivist.get(f"/staff/media/{recording}").get_data(as_text=True)
    assert 'data-key="A-1" data-start="12.0" data-end="15.5" data-state="proposed"' in page
    assert "0:12.000" in page and "0:15.500" in page and "Range A-1 (0:12.000–0:15.500) proposed" in page

    public = samples(fetch(client, f"/media/{recording}/audio"))
    researcher = samples(fetch(signed_in("researcher"), f"/media/{recording}/audio"))
    assert rms(public, 12.1, 15.4) < QUIET
    assert rms(researcher, 12.1, 15.4) > 5000            # researchers may hear it

    archive = app.extensions["archive"]
    actions = [e["action"] for e in archive.audit.events(SYSTEM, target=LISTEN)]
    assert "media.audio_redaction.add" in actions
    summaries = [r["summary"] for r in archive.audit.revisions(SYSTEM, LISTEN)]
    assert f"range A-1 on {recording[:12]} proposed" in summaries


@pytest.mark.parametrize("start, end, field, message", [
    ("0:15", "0:12", "end", "the end (0:12.000) must come after the start (0:15.000)"),
    ("12", "12", "end", "the end (0:12.000) must come after the start (0:12.000)"),
    ("0:25", "0:31", "end", "the range ends at 0:31.000, after the recording ends (0:30.000)"),
    ("1:7x", "0:20", "start", "“1:7x” is not a time: write minutes and seconds (1:05 or 1:05.250) or seconds (65.25)"),
    ("0:10", "0:75", "end", "“0:75” is not a time"),
    ("-3", "0:20", "start", "“-3” is not a time"),
    ("9" * 40, "0:20", "start", "is not a time"),
    ("", "0:20", "start", "give the start of the range"),
    ("0:10", "  ", "end", "give the end of the range"),
])
def test_a_refused_range_is_named_beside_its_field_and_writes_nothing(app, signed_in, recording, start, end,
                                                                      field, message):
    archivist = signed_in("archivist")
    response = propose(archivist, recording, start=start, end=end, reason="kept when refused")
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == [field] and message in errors[field][0], errors
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    (form,) = doc.xpath("//form[@id='range-form']")
    assert form.xpath(".//input[@name='reason']/@value") == ["kept when refused"]      # nothing typed is lost
    assert form.xpath(".//input[@name='start']/@value") == [start]
    assert ranges(app, recording) == []


def test_times_are_read_as_minutes_and_seconds_hours_or_seconds(app, signed_in, recording):
    archivist = signed_in("archivist")
    assert propose(archivist, recording, start="0:00:01.5", end="2,25").status_code == 302
    assert propose(archivist, recording, start="20", end="0:30").status_code == 302    # to the very end
    assert [(r["key"], r["start"], r["end"]) for r in ranges(app, recording)] == [("A-1", 1.5, 2.25),
                                                                                  ("A-2", 20.0, 30.0)]


def test_a_public_audience_or_an_unknown_category_is_refused_by_the_form(app, signed_in, recording):
    archivist = signed_in("archivist")
    public = propose(archivist, recording, visible_to="public")
    assert public.status_code == 400 and list(field_errors(public)) == ["visible_to"]
    unknown = propose(archivist, recording, category="gossip")
    assert unknown.status_code == 400 and list(field_errors(unknown)) == ["category"]
    assert ranges(app, recording) == []


def test_only_a_recording_has_ranges(app, signed_in):
    from tests.web.test_media_routes import OPEN, jpeg
    photo = app.extensions["archive"].media.add(SYSTEM, OPEN, jpeg(), "p.jpg")["id"]
    archivist = signed_in("archivist")
    response = archivist.post(f"/staff/media/{photo}/ranges", data={
        "csrf_token": csrf_from(archivist, f"/staff/media/{photo}"), "start": "1", "end": "2",
        "category": "person", "visible_to": "archivist"})
    assert response.status_code == 400 and "a photo has no time ranges to silence" in response.get_data(as_text=True)
    page = archivist.get(f"/staff/media/{photo}").get_data(as_text=True)
    assert "range-form" not in page and "audio-ranges.js" not in page


def test_a_second_archivist_approves_and_the_proposer_cannot(app, signed_in, recording):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    assert propose(archivist, recording).status_code == 302
    token = csrf_from(archivist, f"/staff/media/{recording}")
    own = archivist.post(f"/staff/media/{recording}/ranges/A-1/approve", data={"csrf_token": token})
    assert own.status_code == 400 and "a second archivist must approve" in own.get_data(as_text=True)
    assert ranges(app, recording)[0]["state"] == "proposed"

    doc = lxml.html.fromstring(reviewer.get(f"/staff/media/{recording}").get_data(as_text=True))
    (approve,) = doc.xpath("//tr[@id='range-A-1']//form")
    assert approve.get("action") == f"/staff/media/{recording}/ranges/A-1/approve"
    token = approve.xpath(".//input[@name='csrf_token']/@value")[0]
    response = reviewer.post(approve.get("action"), data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/media/{recording}#ranges"
    (drawn,) = ranges(app, recording)
    assert (drawn["state"], drawn["approved_by"]) == ("approved", "reviewer")
    doc = lxml.html.fromstring(reviewer.get(f"/staff/media/{recording}").get_data(as_text=True))
    assert doc.xpath("//tr[@id='range-A-1']//form") == []
    assert "approved (proposed by archivist, approved by reviewer)" in \
        doc.xpath("string(//tr[@id='range-A-1']/td[@class='state'])")
    actions = [e["action"] for e in app.extensions["archive"].audit.events(SYSTEM, target=LISTEN)]
    assert "media.audio_redaction.approve" in actions
    missing = reviewer.post(f"/staff/media/{recording}/ranges/A-9/approve", data={"csrf_token": token})
    assert missing.status_code == 404


def test_without_a_csrf_token_nothing_is_proposed_or_approved(app, signed_in, recording):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    forged = archivist.post(f"/staff/media/{recording}/ranges", data={
        "start": "1", "end": "2", "category": "person", "visible_to": "archivist"})
    assert forged.status_code == 400 and "did not come from this site" in forged.get_data(as_text=True)
    wrong = archivist.post(f"/staff/media/{recording}/ranges", data={
        "csrf_token": "not-a-token", "start": "1", "end": "2", "category": "person", "visible_to": "archivist"})
    assert wrong.status_code == 400
    assert ranges(app, recording) == []
    assert propose(archivist, recording).status_code == 302
    forged = reviewer.post(f"/staff/media/{recording}/ranges/A-1/approve", data={})
    assert forged.status_code == 400
    assert ranges(app, recording)[0]["state"] == "proposed"


def test_researchers_and_the_public_are_refused(app, signed_in, client, recording):
    archivist = signed_in("archivist")
    assert propose(archivist, recording).status_code == 302
    researcher = signed_in("researcher")
    assert researcher.get(f"/staff/media/{recording}").status_code == 403
    anonymous = client.get(f"/staff/media/{recording}")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/signin")
    for reader in (researcher, client):
        token = csrf_from(reader, "/signin")
        posted = reader.post(f"/staff/media/{recording}/ranges", data={
            "csrf_token": token, "start": "1", "end": "2", "category": "person", "visible_to": "archivist"})
        assert posted.status_code == 403
        approved = reader.post(f"/staff/media/{recording}/ranges/A-1/approve", data={"csrf_token": token})
        assert approved.status_code == 403
        assert "0:12.000" not in posted.get_data(as_text=True)
    (drawn,) = ranges(app, recording)
    assert drawn["state"] == "proposed"


def test_a_recording_ffmpeg_cannot_read_offers_no_timeline_and_takes_no_range(app, signed_in):
    from tests.web.test_media_routes import OPEN
    broken = app.extensions["archive"].media.add(SYSTEM, OPEN, b"RIFF\x24\x00\x00\x00WAVEfmt ", "voice.wav",
                                                 kind="audio")
    assert broken["duration"] is None and "kept for archivists only" in broken["warning"]
    archivist = signed_in("archivist")
    page = archivist.get(f"/staff/media/{broken['id']}")
    doc = lxml.html.fromstring(page.get_data(as_text=True))
    assert page.status_code == 200 and doc.xpath("//*[@id='range-unreadable']")
    assert not doc.xpath("//audio") and not doc.xpath("//form[@id='range-form']")
    response = archivist.post(f"/staff/media/{broken['id']}/ranges", data={
        "csrf_token": csrf_from(archivist, f"/staff/media/{broken['id']}"), "start": "1", "end": "2",
        "category": "person", "visible_to": "archivist"})
    assert response.status_code == 400
    assert "ffmpeg could not read this recording: it has no length to mark ranges on" in \
        " ".join(lxml.html.fromstring(response.data).text_content().split())
    assert ranges(app, broken["id"]) == []
