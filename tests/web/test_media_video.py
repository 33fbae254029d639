"""Videos on the web: a derivative per audience (the picture copied, the sound's ranges silenced,
no metadata), served with Range requests only where consent permits both audio and images."""
from __future__ import annotations

import lxml.html
import pytest

from archive.audience import Audience
from archive.identity import SYSTEM, Identity
from archive.media.audio import conceal
from tests.audio_samples import place_redactions, probe_tags, rms, samples, sine_video
from tests.conftest import without_csrf

BOTH = "DEMO-2016-0006"          # open, publish_audio and publish_images
AUDIO_ONLY = "DEMO-2015-0001"    # open, publish_audio, no publish_images
IMAGES_ONLY = "DEMO-2016-0008"   # open, publish_images, no publish_audio
MISSING_ASSET = "0" * 64
CANARY = "CNRYVIDEOTITLE"
QUIET = 60
LOUD = 1500                      # lavfi's sine is at 1/8 of full scale: an RMS of about 2900


@pytest.fixture(scope="module")
def h264_video():
    return sine_video(4, title=CANARY)


def attach(app, accession: str, data: bytes, name: str = "interview.mp4") -> str:
    added = app.extensions["archive"].media.add(SYSTEM, accession, data, name, kind="video")
    assert "warning" not in added, added
    place_redactions(app.extensions["archive"], added["id"])
    return added["id"]


def fetch(reader, url: str, **kwargs):
    """A response read whole and closed (a derivative is streamed from an open file)."""
    response = reader.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_without_both_permissions_lower_audiences_get_the_404_of_a_missing_asset(app, signed_in, client,
                                                                                  h264_video):
    keys = {accession: attach(app, accession, h264_video) for accession in (AUDIO_ONLY, IMAGES_ONLY)}
    for reader in (client, signed_in("researcher")):
        missing = fetch(reader, f"/media/{MISSING_ASSET}/video")
        assert missing.status_code == 404
        for accession, key in keys.items():
            for path in ("video", "captions.vtt", "audio"):
                response = fetch(reader, f"/media/{key}/{path}")
                assert without_csrf(response) == (404, without_csrf(missing)[1]), (accession, path)
            assert key not in reader.get(f"/testimonies/{accession}").get_data(as_text=True)
            listed = app.extensions["archive"].media.assets_for(Identity(Audience.PUBLIC), accession)
            assert key not in [a["id"] for a in listed]
    archivist = signed_in("archivist")
    for key in keys.values():
        assert fetch(archivist, f"/media/{key}/video").status_code == 200


def test_with_both_a_range_request_gets_exact_bytes_of_an_mp4_that_copies_the_picture(app, client, h264_video):
    key = attach(app, BOTH, h264_video)
    whole = fetch(client, f"/media/{key}/video")
    assert whole.status_code == 200 and whole.mimetype == "video/mp4"
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.data[4:8] == b"ftyp"
    size = len(whole.data)
    part = fetch(client, f"/media/{key}/video", headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206 and part.data == whole.data[100:1124]
    assert part.headers["Content-Range"] == f"bytes 100-1123/{size}"
    assert fetch(client, f"/media/{key}/audio").status_code == 404      # a video is served as a video
    probed = probe_tags(whole.data)
    assert [(s["codec_type"], s["codec_name"]) for s in probed["streams"]] == [("video", "h264"), ("audio", "aac")]
    # the picture is the original's, copied: same H.264 frames (x264's SEI note dropped)
    assert b"x264 - core" in h264_video and b"x264 - core" not in whole.data
    assert rms(samples(whole.data), 0.5, 3.5) > LOUD


def test_silenced_ranges_are_silent_in_the_audiences_video_and_nothing_of_the_metadata_survives(
        app, signed_in, client, h264_video):
    archive = app.extensions["archive"]
    longer = sine_video(10, title=CANARY)                  # room for a silence on the grid, and sound around it
    key = attach(app, BOTH, longer)
    drawn = archive.media.add_audio_redaction(SYSTEM, key, start=5.0, end=5.5, category="person",
                                              reason="a name", visible_to="researcher")
    assert drawn["start"] == 5.0
    public = fetch(client, f"/media/{key}/video").data
    researcher = fetch(signed_in("researcher"), f"/media/{key}/video").data
    heard = samples(public)
    ((a, b),) = conceal([(5.0, 5.5)])
    assert (a, b) == (4.0, 8.0)                            # drawn, then widened to the grid
    assert rms(heard, a + 0.05, b - 0.05) < QUIET          # silent for the public
    assert rms(heard, 0.2, a - 0.1) > LOUD and rms(heard, b + 0.1, 9.8) > LOUD
    assert rms(samples(researcher), a, b) > LOUD           # researchers may hear it
    for data in (public, researcher, longer):
        assert data[4:8] == b"ftyp"
    for data in (public, researcher):
        probed = probe_tags(data)
        tags = [probed.get("format", {}).get("tags", {}), *(s.get("tags", {}) for s in probed["streams"])]
        assert all("title" not in t for t in tags), tags
        assert not probed.get("chapters")
        assert CANARY.encode() not in data
    assert CANARY in str(probe_tags(h264_video))           # the canary was planted


def test_a_webm_keeps_its_vp9_picture_and_another_codec_is_re_encoded_as_h264(app, client):
    archive = app.extensions["archive"]
    webm = attach(app, BOTH, sine_video(2, title=CANARY, video="libvpx-vp9", container="webm"), "a.webm")
    served = fetch(client, f"/media/{webm}/video")
    assert served.status_code == 200 and served.mimetype == "video/webm"
    assert [s["codec_name"] for s in probe_tags(served.data)["streams"]] == ["vp9", "opus"]
    assert CANARY.encode() not in served.data
    other = attach(app, BOTH, sine_video(2, video="mpeg4"), "b.mp4")
    served = fetch(client, f"/media/{other}/video")
    assert served.mimetype == "video/mp4"
    assert [s["codec_name"] for s in probe_tags(served.data)["streams"]] == ["h264", "aac"]
    assert archive.media.asset(SYSTEM, other)["duration"] == pytest.approx(2, abs=0.2)


def test_the_testimony_page_has_a_video_player_with_captions_synced_like_audio(app, client, h264_video):
    key = attach(app, BOTH, h264_video)
    html = client.get(f"/testimonies/{BOTH}").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    (player,) = doc.xpath("//video[@class='player']")
    assert player.get("controls") is not None and player.get("src") == f"/media/{key}/video"
    assert doc.get_element_by_id(player.get("aria-describedby")) is not None
    (track,) = player.xpath("track")
    assert track.get("kind") == "captions" and track.get("src") == f"/media/{key}/captions.vtt?transcript=en"
    captions = client.get(track.get("src"))
    assert captions.status_code == 200 and captions.get_data(as_text=True).startswith("WEBVTT")
    assert doc.xpath("//script[contains(@src, 'js/player.js')]")
    assert "<script>" not in html


def test_an_archivist_marks_a_range_on_a_video_through_the_timeline_form(app, signed_in, h264_video):
    from tests.conftest import csrf_from
    key = attach(app, BOTH, h264_video)
    archivist = signed_in("archivist")
    page = archivist.get(f"/staff/media/{key}").get_data(as_text=True)
    assert f'src="/media/{key}/video"' in page and f'action="/staff/media/{key}/ranges"' in page
    response = archivist.post(f"/staff/media/{key}/ranges", data={
        "csrf_token": csrf_from(archivist, f"/staff/media/{key}"), "start": "1", "end": "2",
        "category": "person", "reason": "a name said aloud", "visible_to": "researcher"})
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/media/{key}#ranges"
    (drawn,) = app.extensions["archive"].media.asset(SYSTEM, key)["audio_redactions"]
    assert (drawn["start"], drawn["end"], drawn["state"]) == (1.0, 2.0, "proposed")
