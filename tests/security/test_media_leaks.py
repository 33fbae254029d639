"""The leak suite for media (tests/security/media_canaries.py): a photo carrying GPS coordinates and
canary words in EXIF, XMP and a comment, boxed regions of unique colours, a document and a consent
form, photos where consent or the testimony's state forbids them. Nothing a public visitor or a
researcher can reach, on any route, in any derivative or export, may hold what is hidden from them.
"""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from archive.audience import Audience
from archive.identity import SYSTEM, Identity
from tests.audio_samples import rms, samples
from tests.conftest import without_csrf
from tests.security import canaries, media_canaries
from tests.security.conftest import client_as, inflated
from tests.security.test_leaks import as_text, dataset_values, found_in, query_strings, urls_for
from tests.backends import sqlite_only  # noqa: F401,E402  (SQLite only: what a stripped photo or recording keeps is decided above the database)

LOWER = ("public", "researcher")


def binary_leaks(data: bytes, words, coordinates: set[bytes]) -> set[str]:
    """Words (raw, any case) and GPS rationals in the bytes or in any zlib stream inside them."""
    streams = [data, *inflated(data)]
    found = {w for w in words for s in streams if w.lower().encode() in s.lower()}
    found |= {f"GPS rational {c.hex()}" for c in coordinates for s in streams if c in s}
    return found


def png_chunks(blob: bytes) -> list[bytes]:
    out, offset = [], 8
    while offset < len(blob):
        length = int.from_bytes(blob[offset:offset + 4], "big")
        out.append(blob[offset + 4:offset + 8])
        offset += 12 + length
    return out


def colour_count(png: bytes, colour) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for p in image.get_flattened_data() if all(abs(a - b) < 60 for a, b in zip(p, colour)))


@pytest.fixture
def planted(security_app):
    archive = security_app.extensions["archive"]
    keys = media_canaries.asset_keys(archive)
    original = archive.media.original(SYSTEM, keys["open-photo"])["data"]
    return keys, media_canaries.gps_rational_bytes(original)


def test_the_planted_photo_carries_every_canary_the_scans_look_for(security_app, planted):
    """Positive control: the original holds the words and coordinates, and archivists can reach them."""
    keys, coordinates = planted
    archivist = client_as(security_app, "archivist")
    original = archivist.get(f"/staff/media/{keys['open-photo']}/original")
    assert original.status_code == 200
    words = {"CNRYEXIFWORD", "CNRYEXIFARTIST", "CNRYGPSDATUM", "CNRYXMPWORD", "CNRYCOMWORD"}
    found = binary_leaks(original.data, words, coordinates)
    # (each coordinate is in the file in the one byte order its EXIF block uses)
    assert found == words | {f"GPS rational {c.hex()}" for c in coordinates if c in original.data}
    assert len(coordinates) == 4 and len(found - words) == 2       # the two seconds values
    page = as_text(archivist.get(f"/staff/testimonies/{canaries.OPEN_ID}/media"))
    assert found_in(page, {"CNRYPHOTOFILE", "CNRYDOCFILE", "CNRYCONSENTFILE", "CNRYDOCCAPTION"}) == \
        {"CNRYPHOTOFILE", "CNRYDOCFILE", "CNRYCONSENTFILE", "CNRYDOCCAPTION"}
    assert binary_leaks(archivist.get(f"/staff/media/{keys['document']}/original").data, {"CNRYPDFWORD"}, set())
    researcher = client_as(security_app, "researcher")
    assert "CNRYRESCAPTION" in as_text(researcher.get(f"/testimonies/{canaries.RESEARCH_ID}"))


@pytest.mark.parametrize("audience", LOWER)
def test_no_route_yields_a_hidden_media_canary(security_app, planted, audience):
    app = security_app
    keys, coordinates = planted
    hidden = media_canaries.hidden_from(audience)
    values = dataset_values(app.extensions["archive"])
    client = client_as(app, audience)
    leaks: dict[str, set[str]] = {}
    images = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for url in urls_for(rule, values):
            for args in query_strings(rule.endpoint, values):
                response = client.get(url, query_string=args)
                text = as_text(response)
                response.close()       # (static files are streamed from an open file)
                assert response.status_code < 500, url
                bad = binary_leaks(response.data, hidden, coordinates) | found_in(text, hidden)
                if bad:
                    leaks[f"GET {url} {args}"] = bad
                if response.mimetype == "image/png" and response.status_code == 200:
                    images += 1
                    chunks = png_chunks(response.data)
                    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", url
                    assert set(chunks) == {b"IHDR", b"IDAT", b"IEND"}, (url, chunks)
                    assert not Image.open(io.BytesIO(response.data)).info, url
    assert images >= 3 * (2 if audience == "researcher" else 1)      # the derivatives were fetched
    assert not leaks, f"media canaries reached {audience}: {leaks}"


@pytest.mark.parametrize("audience", LOWER)
def test_boxed_regions_are_filled_in_every_size_below_their_audience(security_app, planted, audience):
    keys, _ = planted
    client = client_as(security_app, audience)
    for size in ("thumb", "medium", "full"):
        png = client.get(f"/media/{keys['open-photo']}/{size}.png").data
        assert colour_count(png, media_canaries.MAGENTA) == 0, size
        assert (colour_count(png, media_canaries.CYAN) > 0) == (audience == "researcher"), size
        assert colour_count(png, media_canaries.BACKGROUND) > 0, size       # not a blank image
    staff = client_as(security_app, "archivist").get(f"/media/{keys['open-photo']}/full.png").data
    assert colour_count(staff, media_canaries.MAGENTA) > 0 and colour_count(staff, media_canaries.CYAN) > 0


@pytest.mark.parametrize("audience", LOWER)
def test_documents_forms_and_forbidden_photos_are_never_served(security_app, planted, audience):
    keys, _ = planted
    client = client_as(security_app, audience)
    missing = client.get(f"/media/{media_canaries.MISSING_ASSET}/thumb.png")
    forbidden = ["document", "consent-form", "no-images-photo", "hidden-photo"]
    if audience == "public":
        forbidden.append("research-photo")
    for case in forbidden:
        for size in ("thumb", "medium", "full"):
            response = client.get(f"/media/{keys[case]}/{size}.png")
            assert without_csrf(response) == without_csrf(missing), (case, size)
    unheard = ["no-audio-recording", "hidden-audio", "document", "open-photo", "no-images-video"]
    if audience == "public":
        unheard.append("research-audio")
    for case in unheard:
        for path in ("audio", "video", "captions.vtt"):
            response = client.get(f"/media/{keys[case]}/{path}", headers={"Range": "bytes=0-99"})
            response.close()
            # (the signed-in page's CSRF token carries the second it was made in)
            assert without_csrf(response) == without_csrf(missing), (case, path)
        forbidden.append(case)
        for path in ("/staff/media/{}", "/staff/media/{}/original"):
            response = client.get(path.format(keys[case]))
            assert response.status_code == (302 if audience == "public" else 403), (case, path)
    identity = Identity(Audience.parse(audience), username=f"leak-{audience}")
    for accession in canaries.visible_to(audience):
        listed = security_app.extensions["archive"].media.assets_for(identity, accession)
        assert {a["kind"] for a in listed} <= {"photo", "audio", "video"}
        assert all(set(a) == {"id", "kind", "caption", "width", "height", "sizes"} for a in listed
                   if a["kind"] == "photo")
        assert all(set(a) == {"id", "kind", "caption", "duration"} for a in listed if a["kind"] in ("audio", "video"))
    page = as_text(client.get(f"/testimonies/{canaries.PAST_EMBARGO_ID}"))
    assert keys["no-images-photo"] not in page and "Photos" not in page


@pytest.mark.parametrize("audience", LOWER)
def test_exports_and_api_views_hold_no_media_canary(security_app, planted, audience):
    app = security_app
    _, coordinates = planted
    archive = app.extensions["archive"]
    hidden = media_canaries.hidden_from(audience)
    identity = Identity(Audience.parse(audience), username=f"leak-{audience}")
    for chosen in canaries.ORDER[:canaries.ORDER.index(audience) + 1]:
        text = json.dumps(archive.transfer.export(identity, chosen), ensure_ascii=False)
        assert not found_in(text, media_canaries.hidden_from(chosen))
    client = client_as(app, audience)
    for accession in canaries.visible_to(audience):
        body = client.get(f"/api/v1/testimonies/{accession}").data
        assert not binary_leaks(body, hidden, coordinates), accession
    view = client.get(f"/api/v1/testimonies/{canaries.OPEN_ID}").get_json()
    assert [m["caption"] for m in view["media"]] == [media_canaries.VISIBLE_CAPTION, media_canaries.AUDIO_CAPTION,
                                                     media_canaries.VIDEO_CAPTION]


# -- recordings ----------------------------------------------------------------------------------

def _fetch(client, url: str):
    response = client.get(url)
    data = response.get_data()
    response.close()           # (a recording is streamed from an open file)
    assert response.status_code == 200, url
    return data


@pytest.mark.parametrize("audience", LOWER)
def test_captions_carry_replacements_and_never_a_redacted_original(security_app, planted, audience):
    keys, _ = planted
    url = f"/media/{keys['open-audio']}/captions.vtt"
    text = _fetch(client_as(security_app, audience), url).decode()
    assert "[name withheld]" in text and "CNRYVISIBLE" in text
    hidden = canaries.hidden_from(audience) | media_canaries.hidden_from(audience)
    assert not found_in(text, hidden)
    assert ("CNRYSPANRES" in text) == (audience == "researcher")
    staff = _fetch(client_as(security_app, "archivist"), url).decode()     # positive control
    assert "CNRYSPANARC" in staff and "CNRYSPANRES" in staff


@pytest.mark.parametrize("audience", LOWER)
def test_the_recording_is_silent_where_its_transcript_is_redacted(security_app, planted, audience):
    """R-1 (CNRYSPANARC, archivist), confirmed on the recording in the one 0..60 s segment: silent below staff."""
    keys, _ = planted
    archive = security_app.extensions["archive"]
    (r1,) = [p["confirmed"] for p in archive.media.placements(SYSTEM, keys["open-audio"]) if p["redaction"] == "R-1"]
    middle = (r1["start"] + r1["end"]) / 2
    url = f"/media/{keys['open-audio']}/audio"
    heard = samples(_fetch(client_as(security_app, audience), url))
    staff = samples(_fetch(client_as(security_app, "archivist"), url))
    assert rms(heard, middle - 0.4, middle + 0.4) < 60
    assert rms(staff, middle - 0.4, middle + 0.4) > 5000                # the original is loud there
    assert rms(heard, 1.0, 4.0) > 5000          # "Interviewer: Who drove the boat?" is heard by all


@pytest.mark.parametrize("audience", LOWER)
def test_the_video_is_silent_where_its_transcript_is_redacted_and_keeps_no_title(security_app, planted, audience):
    """The open video (60 s, its sound a sine) has R-1 silenced as the recording has; no title tag."""
    keys, _ = planted
    archive = security_app.extensions["archive"]
    (r1,) = [p["confirmed"] for p in archive.media.placements(SYSTEM, keys["open-video"]) if p["redaction"] == "R-1"]
    middle = (r1["start"] + r1["end"]) / 2
    url = f"/media/{keys['open-video']}/video"
    served = _fetch(client_as(security_app, audience), url)
    staff = _fetch(client_as(security_app, "archivist"), url)
    heard, loud = samples(served), samples(staff)
    assert rms(heard, middle - 0.4, middle + 0.4) < 60
    assert rms(loud, middle - 0.4, middle + 0.4) > 1500                 # the original is loud there
    assert rms(heard, 1.0, 4.0) > 1500
    original = archive.media.original(SYSTEM, keys["open-video"])["data"]
    assert b"CNRYVIDEOTAG" in original and b"CNRYVIDEOTAG" not in served and b"CNRYVIDEOTAG" not in staff
