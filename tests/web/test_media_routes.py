"""Media through the browser: upload, redaction boxes, derivatives per audience, originals, fixity."""
from __future__ import annotations

import io
import re
from pathlib import Path

import lxml.html
from PIL import Image

from archive.identity import SYSTEM
from tests.conftest import csrf_from, without_csrf

OPEN = "OH-2015-0001"          # open, publish_images true
NO_IMAGES = "DEMO-2015-0001"   # open, publish_images false
MISSING_ASSET = "0" * 64


def jpeg(size=(400, 300), colour=(90, 110, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def upload(client, accession: str, data: bytes, filename: str, kind: str = "photo", caption: str = ""):
    token = csrf_from(client, f"/staff/testimonies/{accession}/media")
    return client.post(f"/staff/testimonies/{accession}/media", content_type="multipart/form-data", data={
        "csrf_token": token, "kind": kind, "caption": caption, "file": (io.BytesIO(data), filename)})


def assets(app, accession: str) -> list[dict]:
    return app.extensions["archive"].media.assets_for(SYSTEM, accession)


def originals(app) -> list[Path]:
    return sorted(Path(app.config["MEDIA_DIR"]).glob("originals/??/??/*"))


def pixel(png: bytes, xy) -> tuple:
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel(xy)


def test_a_photo_uploaded_by_an_archivist_reaches_the_public_page_as_a_bare_png(app, signed_in, client):
    archivist = signed_in("archivist")
    response = upload(archivist, OPEN, jpeg(), "narrator-at-home.jpg", caption="The ferry at dawn")
    assert response.status_code == 302
    (asset,) = assets(app, OPEN)
    assert response.headers["Location"] == f"/staff/media/{asset['id']}"
    assert asset["filename"] == "narrator-at-home.jpg" and asset["mime"] == "image/jpeg"

    page = client.get(f"/testimonies/{OPEN}")
    doc = lxml.html.fromstring(page.get_data(as_text=True))
    (link,) = doc.xpath("//section[@class='photos']//a")
    assert link.get("href") == f"/media/{asset['id']}/medium.png"
    (img,) = link.xpath("img")
    assert img.get("src") == f"/media/{asset['id']}/thumb.png" and img.get("alt") == "The ferry at dawn"
    assert "narrator-at-home" not in page.get_data(as_text=True)        # the file name is restricted
    assert "narrator-at-home" not in client.get(f"/api/v1/testimonies/{OPEN}").get_data(as_text=True)

    thumb = client.get(img.get("src"))
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 240)
    assert thumb.headers["Cache-Control"] == "no-cache" and thumb.headers["Vary"] == "Cookie"
    signed = signed_in("researcher").get(img.get("src"))
    assert signed.status_code == 200 and "no-store" in signed.headers["Cache-Control"]
    assert client.get(f"/media/{asset['id']}/full.png").status_code == 200
    assert client.get(f"/media/{asset['id']}/huge.png").status_code == 404


def test_a_box_is_filled_below_its_audience_at_once_and_needs_a_second_archivist(app, signed_in, client):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    upload(archivist, OPEN, jpeg(colour=(250, 0, 250)), "p.jpg")
    (asset,) = assets(app, OPEN)
    page = archivist.get(f"/staff/media/{asset['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="redact-figure" data-width="400" data-height="300"' in html
    assert "/static/js/image-redact.js" in html and "<script>" not in html and " style=" not in html
    token = csrf_from(archivist, f"/staff/media/{asset['id']}")
    response = archivist.post(f"/staff/media/{asset['id']}/redactions", data={
        "csrf_token": token, "x0": "0", "y0": "0", "x1": "200", "y1": "150", "category": "person",
        "reason": "a face", "visible_to": "researcher"})
    assert response.status_code == 302

    public = client.get(f"/media/{asset['id']}/full.png").data
    assert pixel(public, (0, 0)) == (0, 0, 0) and pixel(public, (199, 149)) == (0, 0, 0)
    assert pixel(public, (300, 200))[0] > 200                             # outside the box: the photo
    research = signed_in("researcher").get(f"/media/{asset['id']}/full.png").data
    assert pixel(research, (10, 10))[0] > 200                             # visible to researchers

    own = archivist.post(f"/staff/media/{asset['id']}/redactions/B-1/approve", data={"csrf_token": token})
    assert own.status_code == 400 and "second archivist" in own.get_data(as_text=True)
    token = csrf_from(reviewer, f"/staff/media/{asset['id']}")
    assert reviewer.post(f"/staff/media/{asset['id']}/redactions/B-1/approve",
                         data={"csrf_token": token}).status_code == 302
    (asset,) = assets(app, OPEN)
    assert asset["redactions"][0]["state"] == "approved" and asset["redactions"][0]["approved_by"] == "reviewer"
    outside = archivist.post(f"/staff/media/{asset['id']}/redactions", data={
        "csrf_token": csrf_from(archivist, f"/staff/media/{asset['id']}"),
        "x0": "300", "y0": "0", "x1": "401", "y1": "10", "category": "person",
        "reason": "", "visible_to": "archivist"})
    assert outside.status_code == 400 and "outside the 400x300 photo" in outside.get_data(as_text=True)


def test_what_an_audience_may_not_see_answers_exactly_like_a_missing_asset(app, signed_in, client):
    archivist = signed_in("archivist")
    upload(archivist, NO_IMAGES, jpeg(), "no-images.jpg", caption="Not permitted")
    upload(archivist, OPEN, b"%PDF-1.4\n%%EOF\n", "notes.pdf", kind="document")
    upload(archivist, OPEN, jpeg(colour=(1, 2, 3)), "consent.jpg", kind="consent-form")
    photo = assets(app, NO_IMAGES)[0]["id"]
    document, form = (a["id"] for a in assets(app, OPEN))
    assert "Not permitted" not in client.get(f"/testimonies/{NO_IMAGES}").get_data(as_text=True)
    assert client.get(f"/api/v1/testimonies/{OPEN}").get_json()["media"] == []
    for reader in (client, signed_in("researcher")):
        missing = reader.get(f"/media/{MISSING_ASSET}/thumb.png")
        assert missing.status_code == 404
        for key in (photo, document, form):
            for size in ("thumb", "full"):
                response = reader.get(f"/media/{key}/{size}.png")
                # (pages carry a CSRF token signed with the time: two pages a second apart differ there)
                assert (*without_csrf(response), response.mimetype) == \
                    (*without_csrf(missing), missing.mimetype), (key, size)
        assert reader.get(f"/staff/media/{document}/original").status_code in (302, 403)
    assert archivist.get(f"/media/{photo}/thumb.png").status_code == 200
    assert archivist.get(f"/media/{document}/thumb.png").status_code == 404   # documents have no derivatives


def test_an_original_is_a_download_for_archivists_and_its_reading_is_audited(app, signed_in):
    archivist = signed_in("archivist")
    data = jpeg()
    upload(archivist, OPEN, data, "Omar's house.jpg")
    key = assets(app, OPEN)[0]["id"]
    response = archivist.get(f"/staff/media/{key}/original")
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''Omar%27s%20house.jpg"
    assert "no-store" in response.headers["Cache-Control"]
    events = app.extensions["archive"].audit.events(SYSTEM, limit=5)
    assert events[0]["action"] == "media.read_original" and events[0]["actor"] == "archivist"
    assert events[0]["detail"]["asset"] == key


def test_a_refused_upload_says_why_and_stores_nothing(app, signed_in):
    archivist = signed_in("archivist")
    for data, name, kind, message in (
            (b"<html><script>x</script></html>", "photo.jpg", "photo", "photo.jpg: The file is an HTML file"),
            (jpeg()[:200], "cut.jpg", "photo", "cut.jpg: The image is truncated"),
            (b"ID3 not really", "voice.txt", "video", "voice.txt: The file is MP3 audio, not a video"),
            (b"%PDF-1.7\n1 0 obj", "form.pdf", "consent-form", "form.pdf: The PDF is truncated")):
        response = upload(archivist, OPEN, data, name, kind=kind)
        assert response.status_code == 400, name
        assert message in " ".join(lxml.html.fromstring(response.data).text_content().split()), name
    assert assets(app, OPEN) == [] and originals(app) == []
    assert not re.search("media.add", str(app.extensions["archive"].audit.events(SYSTEM, limit=20)))


def test_the_media_page_lists_every_kind_for_staff_and_refuses_others(app, signed_in):
    archivist = signed_in("archivist")
    upload(archivist, OPEN, jpeg(), "a.jpg", caption="Boat")
    upload(archivist, OPEN, b"RIFF\x24\x00\x00\x00WAVEfmt ", "voice.wav", kind="audio")
    page = archivist.get(f"/staff/testimonies/{OPEN}/media").get_data(as_text=True)
    assert "a.jpg" in page and "voice.wav" in page and "audio/wav" in page
    assert signed_in("researcher").get(f"/staff/testimonies/{OPEN}/media").status_code == 403


def test_the_dashboard_shows_the_last_fixity_run(app, signed_in):
    archivist = signed_in("archivist")
    assert "Media fixity: never checked" in archivist.get("/staff/").get_data(as_text=True)
    upload(archivist, OPEN, jpeg(), "a.jpg")
    app.extensions["archive"].media.fixity(SYSTEM)
    text = " ".join(lxml.html.fromstring(archivist.get("/staff/").data).text_content().split())
    assert "by system (command line): 1 original, 0 missing, 0 changed" in text
    (path,) = originals(app)
    path.chmod(0o600)
    path.write_bytes(b"tampered")
    app.extensions["archive"].media.fixity(SYSTEM)
    doc = lxml.html.fromstring(archivist.get("/staff/").data)
    (alert,) = doc.xpath("//p[contains(@class, 'fixity')]")
    assert alert.get("role") == "alert" and "0 missing, 1 changed" in " ".join(alert.text_content().split())
