"""Importing files in the browser: upload, preview (nothing written), confirm; CSRF; audiences; the
waiting upload; and an imported OHMS draft that nobody below staff can find until it is published."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import lxml.html
import pytest

from archive.errors import NotFound
from archive.identity import SYSTEM
from archive import model
from tests.conftest import EXAMPLE, csrf_from

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
SCIHIST = REALDATA / "scihist_digicoll"
DUARTE = SCIHIST / "ohms_xml" / "legacy" / "duarte_OH0344.xml"
CHAPPELEAR = SCIHIST / "ohms_xml" / "chappelear-ohmsvtt-example.xml"
TEXT = SCIHIST / "plain_text_transcript" / "isaacs_j2ntg1k_sample_with_timecodes.txt"
ARABIC_VTT = REALDATA / "elephantsdream_vtt" / "captions.ar.vtt"


def text_of(response) -> str:
    """The page's words, elements apart (as a reader sees cells and terms)."""
    words = " ".join(" ".join(lxml.html.fromstring(response.get_data(as_text=True)).itertext()).split())
    return re.sub(r" ([:;,.])", r"\1", words)


def upload(client, path: Path | None = None, *, data: bytes | None = None, name: str | None = None, **fields):
    token = csrf_from(client, "/staff/intake")
    body = {"csrf_token": token, "into": "", "language": "", "collection": "", "key": "", **fields}
    if path is not None or data is not None:
        body["file"] = (io.BytesIO(data if data is not None else path.read_bytes()), name or path.name)
    return client.post("/staff/intake/preview", data=body, content_type="multipart/form-data")


def confirm_fields(response) -> dict:
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    [form] = doc.xpath("//form[contains(@action, '/staff/intake/confirm')]")
    return {i.get("name"): i.get("value") or "" for i in form.xpath(".//input[@name]")}


def staged(app) -> list[Path]:
    return [p for p in (Path(app.config["MEDIA_DIR"]) / "intake-staging").rglob("*") if p.is_file()]


def test_dashboard_links_to_the_import_page(signed_in):
    archivist = signed_in("archivist")
    assert 'href="/staff/intake"' in archivist.get("/staff/").get_data(as_text=True)
    page = archivist.get("/staff/intake")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    assert "narrator_public_name" in text_of(page)           # the CSV columns are documented


def test_ohms_upload_preview_then_confirm(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    response = upload(archivist, DUARTE)
    assert response.status_code == 200
    page = text_of(response)
    assert "Detected format OHMS XML" in page and "creates draft testimony OH0344" in page
    assert "Nothing has been saved yet" in page
    # segments with their timecodes, and the warnings
    assert "0:03:32 0:09:33 Growing up with Gordon Moore" in page
    assert "kept as the narrators' legal names" in page
    with pytest.raises(NotFound):
        archive.testimonies.get(SYSTEM, "OH0344")              # the preview wrote nothing
    [waiting] = staged(app)
    fields = confirm_fields(response)
    assert fields["upload"] == waiting.name and re.fullmatch(r"[0-9a-f]{64}", waiting.name)
    assert oct(waiting.stat().st_mode & 0o777) == "0o600"

    saved = archivist.post("/staff/intake/confirm", data=fields)
    assert saved.status_code == 302 and saved.headers["Location"] == "/staff/testimonies/OH0344"
    view = archive.testimonies.get(SYSTEM, "OH0344")
    assert view["state"] == "draft" and view["consent"]["status"] == "pending"
    assert len(view["transcripts"][0]["segments"]) == 7
    assert staged(app) == []                                    # imported: no longer waiting
    assert archive.audit.revisions(SYSTEM, "OH0344")[0]["author"] == "archivist"
    # Confirming twice finds nothing waiting, and says so.
    again = archivist.post("/staff/intake/confirm", data=fields)
    assert again.status_code == 400 and "no longer waiting" in text_of(again)


def test_transcript_upload_into_a_chosen_testimony(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    archive.intake.import_ohms(SYSTEM, CHAPPELEAR.read_bytes(), "chappelear.xml")
    chosen = lxml.html.fromstring(archivist.get("/staff/intake?into=OH1153").get_data(as_text=True))
    assert chosen.xpath("//select[@name='into']/option[@selected]/@value") == ["OH1153"]
    # A transcript without a testimony: the preview says what is missing, and offers no save.
    alone = upload(archivist, ARABIC_VTT)
    assert alone.status_code == 200 and "choose the testimony it belongs to" in text_of(alone)
    assert "/staff/intake/confirm" not in alone.get_data(as_text=True)

    response = upload(archivist, ARABIC_VTT, into="OH1153", language="ar")
    page = text_of(response)
    assert "adds transcript ar to OH1153" in page and "0:00:15" in page
    assert "الشمال" in response.get_data(as_text=True)         # the opening words, shown as written
    saved = archivist.post("/staff/intake/confirm", data=confirm_fields(response))
    assert saved.status_code == 302 and saved.headers["Location"] == "/staff/testimonies/OH1153"
    keys = [t["key"] for t in archive.testimonies.get(SYSTEM, "OH1153")["transcripts"]]
    assert keys == ["t1", "ar"]

    # The same key again: refused in the preview unless "replace" is ticked.
    refused = upload(archivist, TEXT, into="OH1153", key="ar", language="ar")
    assert "already has a transcript 'ar'" in text_of(refused)
    assert "/staff/intake/confirm" not in refused.get_data(as_text=True)
    replaced = upload(archivist, TEXT, into="OH1153", key="ar", language="ar", replace="y")
    assert "replaces transcript ar of OH1153" in text_of(replaced)
    done = archivist.post("/staff/intake/confirm", data=confirm_fields(replaced))
    assert done.status_code == 302, text_of(done)


def test_csv_bulk_preview_and_per_row_results(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    sheet = ("accession_id,title,interview_date,languages\n"
             "WEB-1,From the browser,2016,en\n"
             "WEB-2,Bad,someday,en\n"
             "OH-2015-0002,Corrected in a spreadsheet,,\n").encode()
    response = upload(archivist, data=sheet, name="sheet.csv")
    page = text_of(response)
    assert "CSV (one row per testimony)" in page
    assert "1 would be created, 1 updated, 0 unchanged, 1 refused" in page
    assert "3 WEB-2 error interview_date: 'someday' is not an EDTF date" in page
    assert "Save the 2 good rows" in page
    assert archive.testimonies.get(SYSTEM, "OH-2015-0002")["title"] != "Corrected in a spreadsheet"

    result = archivist.post("/staff/intake/confirm", data=confirm_fields(response))
    assert result.status_code == 200
    page = text_of(result)
    assert "1 created, 1 updated, 0 unchanged, 1 refused" in page
    assert "2 WEB-1 created" in page and "3 WEB-2 error" in page and "4 OH-2015-0002 updated" in page
    assert "1 row was refused and not imported" in page
    assert archive.testimonies.get(SYSTEM, "WEB-1")["state"] == "draft"
    assert archive.testimonies.get(SYSTEM, "OH-2015-0002")["title"] == "Corrected in a spreadsheet"


def test_bad_uploads_are_refused_with_the_reason_and_nothing_waits(app, signed_in):
    archivist = signed_in("archivist")
    broken = upload(archivist, data=DUARTE.read_bytes()[:4000], name="broken.xml")
    assert broken.status_code == 400
    assert "broken.xml" in text_of(broken) and "not well-formed XML" in text_of(broken)
    png = upload(archivist, data=b"\x89PNG\r\n\x1a\n" + b"\0" * 40, name="../../etc/passwd")
    # (a photo is attached on a testimony's media page: the refusal says so)
    assert png.status_code == 400 and "passwd is a photo (PNG)" in text_of(png) and "media page" in text_of(png)
    missing = upload(archivist)
    assert missing.status_code == 400 and "choose a file" in text_of(missing)
    unknown = upload(archivist, TEXT, into="NOPE-1")
    assert unknown.status_code == 400 and "no testimony 'NOPE-1'" in text_of(unknown)
    assert staged(app) == []


def test_the_confirm_form_takes_only_a_hash_of_this_archivists_own_upload(app, signed_in):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    fields = confirm_fields(upload(archivist, DUARTE))
    token = csrf_from(reviewer, "/staff/intake")
    # Another archivist holding the hash finds nothing: uploads wait per account.
    other = reviewer.post("/staff/intake/confirm", data={**fields, "csrf_token": token})
    assert other.status_code == 400 and "no longer waiting" in text_of(other)
    for forged in ("../" * 6 + "etc/passwd", "0" * 63, fields["upload"].upper(), ""):
        response = archivist.post("/staff/intake/confirm", data={**fields, "upload": forged})
        assert response.status_code == 400, forged
    assert len(staged(app)) == 1
    with pytest.raises(NotFound):
        app.extensions["archive"].testimonies.get(SYSTEM, "OH0344")


def test_csrf_is_required(app, signed_in):
    archivist = signed_in("archivist")
    response = archivist.post("/staff/intake/preview", data={"file": (io.BytesIO(DUARTE.read_bytes()), "d.xml")},
                              content_type="multipart/form-data")
    assert response.status_code == 400 and "did not come from this site" in text_of(response)
    fields = confirm_fields(upload(archivist, DUARTE))
    del fields["csrf_token"]
    assert archivist.post("/staff/intake/confirm", data=fields).status_code == 400
    with pytest.raises(NotFound):
        app.extensions["archive"].testimonies.get(SYSTEM, "OH0344")


@pytest.mark.parametrize("role", ["public", "researcher"])
def test_researchers_and_the_public_are_refused(app, signed_in, role):
    archivist = signed_in("archivist")
    fields = confirm_fields(upload(archivist, DUARTE))
    client = signed_in(role)
    page = client.get("/staff/intake")
    assert page.status_code == (302 if role == "public" else 403)
    token = csrf_from(client, "/signin")
    preview = client.post("/staff/intake/preview", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(DUARTE.read_bytes()), "d.xml")})
    assert preview.status_code == 403 and "Pescadero" not in preview.get_data(as_text=True)
    assert client.post("/staff/intake/confirm", data={**fields, "csrf_token": token}).status_code == 403
    with pytest.raises(NotFound):
        app.extensions["archive"].testimonies.get(SYSTEM, "OH0344")


def _readers_see(signed_in, accession: str, word: str) -> dict:
    out = {}
    for role in ("public", "researcher"):
        client = signed_in(role)
        page = client.get(f"/testimonies/{accession}")
        api = client.get(f"/api/v1/testimonies/{accession}")
        search = client.get("/api/v1/search", query_string={"q": word}).get_json()
        html = client.get("/search", query_string={"q": word}).get_data(as_text=True)
        out[role] = (page.status_code, api.status_code, search["total"], accession in html)
    return out


def test_an_imported_ohms_draft_is_invisible_below_staff_until_published(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    response = upload(archivist, CHAPPELEAR, language="en")
    assert archivist.post("/staff/intake/confirm", data=confirm_fields(response)).status_code == 302
    word = "Chappelear"
    assert archive.search.search(SYSTEM, word).total == 1          # staff find it at once
    hidden = {role: (404, 404, 0, False) for role in ("public", "researcher")}
    assert _readers_see(signed_in, "OH1153", word) == hidden

    # Consent recorded as open (not yet published): still hidden.
    with archive.db.session() as session:
        testimony = session.query(model.Testimony).filter_by(accession_id="OH1153").one()
        consent = testimony.consent
        consent.status, consent.scope = "granted", "open"
        consent.permissions = {"publish_transcript": True}
    archive.index.reindex(SYSTEM)
    assert _readers_see(signed_in, "OH1153", word) == hidden

    # (who may publish is tests/security/test_narrator_identity.py's business; here, what readers see)
    archive.testimonies.set_state(SYSTEM, "OH1153", "published", two_person=False)
    assert _readers_see(signed_in, "OH1153", word) == {role: (200, 200, 1, True) for role in ("public", "researcher")}


def test_json_upload_previews_conflicts_and_imports_a_new_file(app, signed_in):
    archivist = signed_in("archivist")
    taken = upload(archivist, EXAMPLE)
    page = text_of(taken)
    assert "Detected format archive JSON" in page and "OH-2015-0001 already exists" in page
    assert "/staff/intake/confirm" not in taken.get_data(as_text=True)

    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for t in document["testimonies"]:
        t["id"] = t["id"].replace("OH-", "COPY-")
    fresh = upload(archivist, data=json.dumps(document).encode(), name="copy.json")
    assert "COPY-2015-0001 Driving defectors to the border" in text_of(fresh)
    saved = archivist.post("/staff/intake/confirm", data=confirm_fields(fresh))
    assert saved.status_code == 302 and saved.headers["Location"] == "/staff/"
    assert app.extensions["archive"].testimonies.get(SYSTEM, "COPY-2015-0002")["title"] == "Leaving after a promotion"


def test_a_file_that_does_not_say_its_language_is_previewed_with_the_one_its_text_shows(app, signed_in):
    """Issue 16: an Arabic WebVTT sent with no language was previewed as English. Its language is now
    detected from its text, shown as detected, and saved with it only when the archivist confirms."""
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    archive.intake.import_csv(SYSTEM, b"accession_id,title\nDETECT-1,No language said\n", "m.csv")
    response = upload(archivist, ARABIC_VTT, into="DETECT-1", key="ar-detected")
    page = text_of(response)
    assert "Language ar detected from the text" in page, page
    assert confirm_fields(response)["language"] == "ar"
    assert archive.testimonies.get(SYSTEM, "DETECT-1")["transcripts"] == []      # nothing saved yet
    saved = archivist.post("/staff/intake/confirm", data=confirm_fields(response))
    assert saved.status_code == 302
    [transcript] = archive.testimonies.get(SYSTEM, "DETECT-1")["transcripts"]
    assert transcript["language"] == "ar"
    # A language the archivist gives wins over the guess, and nothing is said about detection.
    given = upload(archivist, ARABIC_VTT, into="DETECT-1", key="fa-given", language="fa")
    assert "detected" not in text_of(given) and confirm_fields(given)["language"] == "fa"
