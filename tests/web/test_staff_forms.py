"""Staff forms that help (issue 16): every error at once beside its field with what was typed kept,
required fields marked, places picked from the authority list (or typed by name), narrators added on
the New testimony form, and the picker's bounded list."""
from __future__ import annotations

import lxml.html

from archive.identity import SYSTEM
from tests.conftest import csrf_from
from tests.web.test_staff_records import NEW, field_errors, post

NEW_URL = "/staff/records/testimonies/new"


def test_every_error_of_the_new_testimony_form_shows_at_once_with_what_was_typed(app, signed_in):
    archivist = signed_in("archivist")
    typed = {**NEW, "accession_id": "has space", "title": "", "interview_date": "2019-14",
             "languages": "english", "places": "place:atlantis", "narrators": "N-NOBODY",
             "summary": "Kept as typed\nover two lines"}
    response = post(archivist, NEW_URL, typed)
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"accession_id", "title", "interview_date", "languages", "places", "narrators"}, errors
    assert "is not a valid accession id" in errors["accession_id"][0]
    assert errors["title"] == ["This field is required."]          # once, not also the archive's "is required"
    assert "no authority record 'place:atlantis'" in errors["places"][0]
    assert "no narrator 'N-NOBODY'" in errors["narrators"][0]
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.get_element_by_id("summary").text_content().strip() == "Kept as typed\nover two lines"
    assert doc.get_element_by_id("interview_date").get("value") == "2019-14"
    assert doc.get_element_by_id("places").get("aria-invalid") == "true"
    assert "WEB-0001" not in {v["accession_id"] for v in app.extensions["archive"].testimonies.list(SYSTEM)}


def test_required_fields_are_marked(signed_in):
    doc = lxml.html.fromstring(signed_in("archivist").get(NEW_URL).get_data(as_text=True))
    marked = {block.xpath(".//input|.//select|.//textarea")[0].get("id")
              for block in doc.xpath("//div[contains(@class, 'field')][.//abbr[@class='required']]")}
    assert marked == {"accession_id", "collection", "title"}
    assert doc.get_element_by_id("title").get("required") is not None


def test_places_by_name_and_narrators_are_saved_with_the_new_testimony(app, signed_in):
    archivist = signed_in("archivist")
    response = post(archivist, NEW_URL, {**NEW, "places": "Raqqa\nplace:manbij",
                                         "narrators": "DEMO-N-0001 · Yusuf\nDEMO-N-0002"})
    assert response.status_code == 302, field_errors(response)
    record = app.extensions["archive"].records.get_testimony_record(SYSTEM, "WEB-0001")
    assert record["places"] == ["place:raqqa", "place:manbij"]
    assert {n["id"] for n in record["narrators"]} == {"DEMO-N-0001", "DEMO-N-0002"}


def test_the_picker_answers_from_the_authority_list_bounded_and_for_staff_only(signed_in):
    archivist = signed_in("archivist")
    found = archivist.get("/staff/records/pick?kind=place&q=raqq").get_json()["results"]
    assert [r["id"] for r in found] == ["place:raqqa"]
    assert [r["id"] for r in archivist.get("/staff/records/pick?kind=place&q=الرقة").get_json()["results"]] == ["place:raqqa"]
    assert len(archivist.get("/staff/records/pick?kind=place&q=").get_json()["results"]) <= 20
    assert archivist.get("/staff/records/pick?kind=narrator&q=yusuf").get_json()["results"][0]["id"] == "DEMO-N-0001"
    assert archivist.get("/staff/records/pick?kind=secret&q=a").status_code == 404
    for role in ("public", "researcher"):
        assert signed_in(role).get("/staff/records/pick?kind=narrator&q=a").status_code in (302, 403, 404)


OH1 = "OH-2015-0001"
PAGE = f"/staff/testimonies/{OH1}"


def test_a_refused_redaction_comes_back_on_the_testimony_page_beside_its_fields(app, signed_in):
    archivist = signed_in("archivist")
    before = app.extensions["archive"].testimonies.get(SYSTEM, OH1)["redactions"]
    typed = {"transcript": "en", "start": "0", "end": "999999", "text": "line one\r\nline two", "field": "",
             "category": "person", "replacement": "", "reason": "kept as typed", "visible_to": "archivist"}
    response = post(archivist, f"{PAGE}/redactions", typed, page=PAGE)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.xpath("string(//h1)").startswith(OH1)                       # the testimony's page, not an error page
    assert doc.get_element_by_id("redaction-details").get("open") is not None
    assert field_errors(response)["replacement"] == ["This field is required."]
    assert doc.get_element_by_id("reason").get("value") == "kept as typed"
    # its line break kept (a browser drops the newline that follows <textarea>; lxml keeps it)
    assert doc.get_element_by_id("text").text_content().removeprefix("\n") == "line one\nline two"
    assert app.extensions["archive"].testimonies.get(SYSTEM, OH1)["redactions"] == before

    # the archive's own objection (a span past the transcript's end) shows on the form too
    response = post(archivist, f"{PAGE}/redactions", {**typed, "replacement": "[x]", "text": ""}, page=PAGE)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    shown = doc.xpath("string(//form[@id='redaction-form'])")
    assert doc.xpath("//form[@id='redaction-form']//*[@role='alert']") and "Bad request" not in shown


def test_a_refused_redaction_edit_comes_back_in_its_row(signed_in):
    archivist = signed_in("archivist")
    response = post(archivist, f"{PAGE}/redactions/R-1/edit", {"replacement": "", "category": "person",
                                                               "reason": "typed reason", "visible_to": "archivist"},
                    page=PAGE)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    row = doc.get_element_by_id("redaction-R-1")
    assert row.xpath(".//details[@open]") and row.xpath(".//p[@class='field-error']")
    assert doc.get_element_by_id("edit-R-1-reason").get("value") == "typed reason"


def test_the_proposer_is_not_offered_approve_on_their_own_redaction(app, signed_in):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    response = post(archivist, f"{PAGE}/redactions", {"transcript": "", "field": "summary", "category": "person",
                                                      "replacement": "[x]", "reason": "", "visible_to": "archivist"},
                    page=PAGE)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    key = max(app.extensions["archive"].testimonies.get(SYSTEM, OH1)["redactions"], key=lambda r: int(r["key"][2:]))["key"]
    mine = lxml.html.fromstring(archivist.get(PAGE).get_data(as_text=True)).get_element_by_id(f"redaction-{key}")
    assert not mine.xpath(".//form[contains(@action, '/approve')]")
    assert "Awaiting a second archivist" in mine.text_content()
    theirs = lxml.html.fromstring(reviewer.get(PAGE).get_data(as_text=True)).get_element_by_id(f"redaction-{key}")
    assert theirs.xpath(".//form[contains(@action, '/approve')]")


# -- navigation -----------------------------------------------------------------------------------

def test_the_testimony_page_links_to_every_task_about_it(signed_in):
    archivist = signed_in("archivist")
    doc = lxml.html.fromstring(archivist.get(PAGE).get_data(as_text=True))
    links = {a.text_content().strip(): a.get("href") for a in doc.xpath("//nav[@class='testimony-tasks']//a")}
    for task in ("Edit record", "Segments", "Media", "Consent", "Redactions", "History", "Preview"):
        assert task in links, links
    for task, href in links.items():
        if not href.startswith("#"):
            assert archivist.get(href).status_code == 200, (task, href)
        else:
            assert doc.xpath(f"//*[@id='{href[1:]}']"), task


MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413           # one MPEG-1 Layer III frame header, 128 kbit/s


def _upload(client, data: bytes, name: str, into: str = ""):
    from tests.conftest import csrf_from
    import io
    body = {"file": (io.BytesIO(data), name), "into": into, "language": "", "collection": "", "key": "",
            "csrf_token": csrf_from(client, "/staff/intake")}
    return client.post("/staff/intake/preview", data=body, content_type="multipart/form-data")


def test_import_files_sends_a_recording_to_the_media_page_with_a_message(signed_in):
    archivist = signed_in("archivist")
    response = _upload(archivist, b"ID3\x03\x00\x00\x00\x00\x00\x00" + MP3_FRAME * 4, "interview.mp3", into=OH1)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/testimonies/{OH1}/media?kind=audio#attach")
    page = archivist.get(response.headers["Location"]).get_data(as_text=True)
    assert "interview.mp3 is an audio recording (MP3)" in page and "attach it" in page
    doc = lxml.html.fromstring(page)
    assert doc.xpath("//select[@name='kind']/option[@selected]")[0].get("value") == "audio"

    # no testimony chosen: the page says where the file goes, and nothing was staged or imported
    response = _upload(archivist, b"ID3\x03\x00\x00\x00\x00\x00\x00" + MP3_FRAME * 4, "interview.mp3")
    assert response.status_code == 400
    text = lxml.html.fromstring(response.get_data(as_text=True)).xpath("string(//p[@role='alert'])")
    assert "is an audio recording (MP3)" in text and "media page" in text and "Into testimony" in text


def test_a_refused_sensitive_term_comes_back_on_its_page_as_typed(signed_in):
    archivist = signed_in("archivist")
    typed = {"term": "", "variants": "Umar\nعمر", "category": "person"}
    response = post(archivist, f"{PAGE}/sensitive-terms", typed, page=PAGE)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.xpath("string(//h1)").startswith(OH1) and doc.get_element_by_id("add-term").get("open") is not None
    assert field_errors(response)["term"] == ["This field is required."]
    assert doc.get_element_by_id("variants").text_content().removeprefix("\n") == "Umar\nعمر"

    response = post(archivist, "/staff/sensitive-terms", typed, page="/staff/sensitive-terms")
    assert response.status_code == 400 and field_errors(response)["term"] == ["This field is required."]
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.xpath("string(//h1)") == "Archive-wide sensitive terms"


def test_a_refused_segment_change_comes_back_beside_its_segment_as_typed(signed_in):
    archivist = signed_in("archivist")
    segments = f"/staff/testimonies/{OH1}/segments"
    response = post(archivist, f"{segments}/retime", {"transcript": "en", "seq": "1", "start": "100", "end": "90"},
                    page=segments)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    alert = doc.get_element_by_id("seg-en-1-refusal")
    assert "Not saved (retime)" in alert.text_content()
    assert doc.get_element_by_id("seg-en-1-start").get("value") == "100"
    assert doc.get_element_by_id("seg-en-1-end").get("value") == "90"
    response = post(archivist, f"{segments}/describe", {"transcript": "en", "seq": "0", "title": "x" * 600,
                                                        "synopsis": "kept", "keywords": ""}, page=segments)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert "Title" in doc.get_element_by_id("seg-en-0-refusal").text_content()
    assert doc.get_element_by_id("seg-en-0-synopsis").text_content().strip() == "kept"


def test_a_refused_consent_form_upload_comes_back_beside_its_file_field(signed_in):
    import io
    archivist = signed_in("archivist")
    consent = f"/staff/testimonies/{OH1}/consent"
    response = archivist.post(f"{consent}/form", data={"file": (io.BytesIO(b"not a pdf at all"), "form.txt"),
                                                       "csrf_token": csrf_from(archivist, consent)},
                              content_type="multipart/form-data")
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.xpath("string(//h1)") and field_errors(response).get("file")
    assert "Bad request" not in doc.xpath("string(//title)")
