"""Recordings on the web: the audience's derivative with Range requests, consent's publish_audio,
captions from the audience's view, the player on the testimony page, rebuilt derivatives."""
from __future__ import annotations

import lxml.html
import pytest

from archive.audience import Audience
from archive.identity import SYSTEM, Identity
from archive.media.audio import conceal
from tests.audio_samples import place_redactions, rms, samples, sine_wav
from tests.conftest import without_csrf
from tests.conftest import backend  # noqa: F401  (this module runs on both databases: tests/web/conftest.py)

LISTEN = "DEMO-2015-0001"       # open, publish_audio true, five timed segments, span redactions
NO_AUDIO = "OH-2015-0001"       # open, publish_audio false
MISSING_ASSET = "0" * 64
QUIET = 60


def attach(app, accession: str, seconds: float = 230, place: bool = True) -> str:
    """A recording attached, its transcript redactions placed by an archivist (else readers below
    archivist get none)."""
    archive = app.extensions["archive"]
    key = archive.media.add(SYSTEM, accession, sine_wav(seconds), "interview.wav", kind="audio")["id"]
    if place:
        place_redactions(archive, key)
    return key


def fetch(reader, url: str, **kwargs):
    """A response read whole and closed (a recording is streamed from an open file)."""
    response = reader.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def span(app, accession: str, visible_to: str) -> dict:
    view = app.extensions["archive"].testimonies.get(SYSTEM, accession)
    return next(r for r in view["redactions"] if r.get("start") is not None and r["visible_to"] == visible_to)


def test_range_requests_get_exact_bytes_of_the_audiences_derivative(app, client):
    key = attach(app, LISTEN)
    whole = fetch(client, f"/media/{key}/audio")
    assert whole.status_code == 200 and whole.mimetype == "audio/ogg"
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.data.startswith(b"OggS")
    size = len(whole.data)
    assert int(whole.headers["Content-Length"]) == size > 20_000
    first = fetch(client, f"/media/{key}/audio", headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.data == whole.data[:100]
    assert first.headers["Content-Range"] == f"bytes 0-99/{size}"
    middle = fetch(client, f"/media/{key}/audio", headers={"Range": f"bytes={size // 2}-{size // 2 + 4095}"})
    assert middle.status_code == 206 and middle.data == whole.data[size // 2:size // 2 + 4096]
    tail = fetch(client, f"/media/{key}/audio", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == whole.data[-10:]
    beyond = fetch(client, f"/media/{key}/audio", headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"


def test_each_audience_hears_its_own_derivative(app, signed_in, client):
    key = attach(app, LISTEN)
    archive = app.extensions["archive"]
    heard = {role: fetch(signed_in(role), f"/media/{key}/audio").data for role in ("researcher", "archivist")}
    heard["public"] = fetch(client, f"/media/{key}/audio").data
    assert len(set(heard.values())) == 3       # the public's, the researchers' and the staff's differ
    hidden = span(app, LISTEN, "researcher")
    with archive.db.session() as session:
        asset = archive.media._load(session, key)
        public = archive.media._audio_ranges(asset, Audience.PUBLIC)
        researcher = archive.media._audio_ranges(asset, Audience.RESEARCHER)
        assert archive.media._audio_ranges(asset, Audience.ARCHIVIST) == ()
    assert len(public) == len(researcher) + 1 and set(researcher) < set(public)
    (only_public,) = set(public) - set(researcher)
    a, b = only_public
    assert rms(samples(heard["public"]), a, b) < QUIET
    assert rms(samples(heard["researcher"]), a, b) > 5000           # researchers may hear it
    assert rms(samples(heard["archivist"]), *public[0]) > 5000
    assert hidden["start"] is not None


def test_without_publish_audio_lower_audiences_get_the_404_of_a_missing_asset(app, signed_in, client):
    key = attach(app, NO_AUDIO, seconds=3, place=False)
    researcher = signed_in("researcher")
    for reader in (client, researcher):
        missing = reader.get(f"/media/{MISSING_ASSET}/audio")
        assert missing.status_code == 404
        for path in ("audio", "captions.vtt"):
            response = fetch(reader, f"/media/{key}/{path}")
            assert without_csrf(response) == (404, without_csrf(missing)[1]), path
        assert key not in reader.get(f"/testimonies/{NO_AUDIO}").get_data(as_text=True)
    listed = app.extensions["archive"].media.assets_for(Identity(Audience.PUBLIC), NO_AUDIO)
    assert [a["kind"] for a in listed] == []
    archivist = signed_in("archivist")
    assert fetch(archivist, f"/media/{key}/audio").status_code == 200
    assert archivist.get(f"/media/{key}/captions.vtt").status_code == 200


def test_captions_carry_the_audiences_replacements_never_the_original(app, signed_in, client):
    key = attach(app, LISTEN)
    redaction = span(app, LISTEN, "archivist")
    public = client.get(f"/media/{key}/captions.vtt")
    assert public.status_code == 200 and public.mimetype == "text/vtt"
    text = public.get_data(as_text=True)
    assert text.startswith("WEBVTT") and text.count(" --> ") == 5
    assert redaction["replacement"] in text and redaction["text"] not in text
    staff = signed_in("archivist").get(f"/media/{key}/captions.vtt").get_data(as_text=True)
    assert redaction["text"] in staff
    assert client.get(f"/media/{key}/captions.vtt?transcript=nosuch").status_code == 404


def test_the_testimony_page_has_an_accessible_player_synced_with_the_transcript(app, client):
    key = attach(app, LISTEN)
    html = client.get(f"/testimonies/{LISTEN}").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    (player,) = doc.xpath("//audio[@class='player']")
    assert player.get("controls") is not None and player.get("src") == f"/media/{key}/audio"
    assert doc.get_element_by_id(player.get("aria-describedby")).text_content().startswith("With the player focused")
    (track,) = player.xpath("track")
    assert track.get("kind") == "captions" and track.get("src") == f"/media/{key}/captions.vtt?transcript=en"
    assert [s.get("data-start") for s in doc.xpath("//article[@class='segment']")] == \
        ["0.0", "29.0", "100.5", "130.0", "188.5"]
    assert doc.xpath("//script[contains(@src, 'js/player.js')]")
    assert "<script>" not in html and " onclick=" not in html
    # a testimony without recordings loads no player
    assert "player.js" not in client.get("/testimonies/DEMO-2016-0006").get_data(as_text=True)


def test_derivatives_follow_redactions_in_the_same_call(app, client):
    archive = app.extensions["archive"]
    key = attach(app, LISTEN)
    before = fetch(client, f"/media/{key}/audio").data
    assert rms(samples(before), 60.0, 62.0) > 5000
    # a transcript redaction in the second segment (29..100.5 s)
    view = archive.testimonies.get(SYSTEM, LISTEN)
    text = view["transcripts"][0]["segments"][1]["text"]
    word = "municipal"
    with archive.db.session() as session:
        transcript = archive.media._load(session, key).testimony.transcripts[0]
        segment = transcript.segments[1]
        start = transcript.text.index(word, segment.text_start)
        expected = 29.0 + (start - segment.text_start) / (segment.text_end - segment.text_start) * 71.5
    assert word in text
    added = archive.redactions.add(SYSTEM, LISTEN, category="place", replacement="[place withheld]",
                                   visible_to="researcher", transcript="en", start=start, end=start + len(word))
    # not yet placed on the recording: the public gets none at all (not a guess), researchers theirs
    assert fetch(client, f"/media/{key}/audio").status_code == 404
    assert key not in client.get(f"/testimonies/{LISTEN}").get_data(as_text=True)
    (estimate,) = [p["estimate"] for p in archive.media.placements(SYSTEM, key) if p["redaction"] == added["key"]]
    assert estimate[0] < expected < estimate[1]
    # an archivist listens there and confirms it: silenced on the grid for the public, at once
    archive.media.confirm_transcript_range(SYSTEM, key, added["key"], start=expected - 0.3, end=expected + 0.5)
    after = samples(fetch(client, f"/media/{key}/audio").data)
    ((a, b),) = conceal([(expected - 0.3, expected + 0.5)])
    assert rms(after, a + 0.05, b - 0.05) < QUIET
    assert rms(after, b + 1, b + 3) > 5000
    # a range drawn by an archivist, approved by a second one
    drawn = archive.media.add_audio_redaction(SYSTEM, key, start=200.0, end=201.5, category="person",
                                              reason="a name said aloud", visible_to="archivist")
    assert drawn["key"] == "A-6" and drawn["state"] == "proposed"
    heard = samples(fetch(client, f"/media/{key}/audio").data)
    ((a, b),) = conceal([(200.0, 201.5)])
    assert rms(heard, a + 0.05, b - 0.05) < QUIET and rms(heard, b + 0.1, b + 2) > 5000
    reviewer = Identity(Audience.ARCHIVIST, username="reviewer")
    assert archive.media.approve_audio_redaction(reviewer, key, "A-6")["state"] == "approved"
    folder = archive.media._store().derivative_path(key, "public", "x", "ogg").parent
    assert len(list(folder.glob("audio-*.ogg"))) == 1      # the older derivatives are gone
    actions = [e["action"] for e in archive.audit.events(SYSTEM, target=LISTEN)]
    assert {"media.audio_redaction.add", "media.audio_redaction.approve", "redaction.add"} <= set(actions)


@pytest.mark.parametrize("bad, message", [
    ({"start": 5, "end": 5}, "empty or negative"),
    ({"start": 999, "end": 1000}, "after the recording's end"),
    ({"start": "x", "end": 2}, "two numbers of seconds"),
    ({"start": 1, "end": 2, "visible_to": "public"}, "hides nothing"),
])
def test_a_drawn_range_is_checked(app, bad, message):
    from archive.errors import ValidationError
    key = attach(app, LISTEN, seconds=10, place=False)
    arguments = {"category": "person", "visible_to": "archivist", **bad}
    with pytest.raises(ValidationError, match=message):
        app.extensions["archive"].media.add_audio_redaction(SYSTEM, key, **arguments)
