"""Records, consent and purge through the web forms, as a browser posts them: messages next to the
fields, CSRF on every POST, and who may use which page."""
from __future__ import annotations

import lxml.html
import pytest

from archive.identity import ANONYMOUS, SYSTEM
from tests.conftest import csrf_from

OH1 = "OH-2015-0001"


def field_errors(response) -> dict[str, list[str]]:
    """Field id -> the messages shown right after it (inside the same .field block)."""
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    out: dict[str, list[str]] = {}
    for block in doc.xpath("//div[contains(@class, 'field')]"):
        controls = block.xpath(".//input|.//select|.//textarea")
        messages = [" ".join(p.text_content().split()) for p in block.xpath(".//p[@class='field-error']")]
        if controls and messages:
            out[controls[0].get("id")] = messages
    return out


def post(client, url: str, data: dict, page: str | None = None, **kw):
    return client.post(url, data={**data, "csrf_token": csrf_from(client, page or url)}, **kw)


NEW = {"accession_id": "WEB-0001", "collection": "leaving-raqqa", "title": "A baker's crossing",
       "summary": "", "interview_date": "2019-05", "interview_place": "", "languages": "en, ar",
       "interviewers": "Interviewer W", "subjects": "bread\nborders", "keywords": "", "places": "",
       "rights": ""}


def test_create_a_testimony_through_the_form_as_a_draft_with_consent_pending(app, signed_in):
    archivist = signed_in("archivist")
    response = post(archivist, "/staff/records/testimonies/new", NEW)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/testimonies/WEB-0001/edit")
    view = app.extensions["archive"].testimonies.get(SYSTEM, "WEB-0001")
    assert view["state"] == "draft" and view["consent"]["status"] == "pending"
    assert view["languages"] == ["en", "ar"] and view["subjects"] == ["bread", "borders"]
    page = archivist.get("/staff/testimonies/WEB-0001/edit").get_data(as_text=True)
    assert "A baker&#39;s crossing" in page and "created as a draft" in page


@pytest.mark.parametrize("field, value, message", [
    ("interview_date", "2019-14", "month 14 does not exist"),
    ("interview_date", "last spring", "is not an EDTF date"),
    ("languages", "english", "'english' is not a language code"),
    ("places", "place:atlantis", "no authority record 'place:atlantis'"),
    ("accession_id", "has space", "is not a valid accession id"),
    ("accession_id", OH1, f"the accession id {OH1} is already taken"),
    ("title", "", "This field is required."),
])
def test_a_bad_value_is_refused_with_its_message_next_to_its_field(app, signed_in, field, value, message):
    archivist = signed_in("archivist")
    response = post(archivist, "/staff/records/testimonies/new", {**NEW, field: value})
    assert response.status_code == 400
    errors = field_errors(response)
    assert list(errors) == [field] and message in errors[field][0], errors
    # the typed values come back in the form, and nothing was written
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.get_element_by_id("title").get("value") == NEW["title"] or field == "title"
    assert "WEB-0001" not in {v["accession_id"] for v in app.extensions["archive"].testimonies.list(SYSTEM)}


def test_edit_a_testimony_collection_authority_and_narrator(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    url = f"/staff/testimonies/{OH1}/edit"
    record = archive.records.get_testimony_record(SYSTEM, OH1)
    data = {"collection": record["collection"], "title": "Edited title", "summary": record["summary"],
            "interview_date": "2015-06-02", "interview_place": record["interview_place"] or "",
            "languages": " ".join(record["languages"]), "interviewers": "\n".join(record["interviewers"]),
            "subjects": "\n".join(record["subjects"]), "keywords": "\n".join(record["keywords"]),
            "places": "\n".join(record["places"]), "rights": record["rights"]}
    response = post(archivist, url, data, follow_redirects=True)
    assert response.status_code == 200 and "saved (interview_date, title)" in response.get_data(as_text=True)
    assert archive.audit.revisions(SYSTEM, OH1)[0]["summary"] == "edited (interview_date, title)"

    response = post(archivist, "/staff/records/collections/leaving-raqqa", {"title": "", "description": "x"})
    assert response.status_code == 400 and field_errors(response) == {"title": ["This field is required."]}
    response = post(archivist, "/staff/records/collections/new", {"slug": "Bad Slug", "title": "T"})
    assert response.status_code == 400 and "is not a slug" in field_errors(response)["slug"][0]
    assert post(archivist, "/staff/records/collections/new", {"slug": "web-coll", "title": "T"}).status_code == 302
    response = post(archivist, "/staff/records/collections/new", {"slug": "web-coll", "title": "T"})
    assert response.status_code == 400 and "already exists" in field_errors(response)["slug"][0]

    response = post(archivist, "/staff/records/authorities/new",
                    {"key": "place:webtown", "type": "place", "label": "Webtown", "variants": "Ouebville\nويبتاون"})
    assert response.status_code == 302
    assert archive.records.get_authority(SYSTEM, "place:webtown")["variants"] == ["Ouebville", "ويبتاون"]

    page = archivist.get("/staff/records/narrators/new").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    restricted = doc.xpath("//fieldset[contains(@class, 'restricted-fields')]")[0]
    assert "Restricted: archivists only" in restricted.text_content()
    assert {e.get("name") for e in restricted.xpath(".//input|.//textarea")} == {"legal_name", "contact", "risk_notes"}
    response = post(archivist, f"/staff/records/narrators/new?into={OH1}",
                    {"key": "N-WEB", "public_name": "Baker", "birth_year": "19x0"},
                    page="/staff/records/narrators/new")
    assert response.status_code == 400 and "is not a year" in field_errors(response)["birth_year"][0]
    response = post(archivist, f"/staff/records/narrators/new?into={OH1}",
                    {"key": "N-WEB", "public_name": "Baker", "birth_year": "1970", "legal_name": "Webber Legal"},
                    page="/staff/records/narrators/new")
    assert response.status_code == 302
    assert "N-WEB" in {n["id"] for n in archive.records.get_testimony_record(SYSTEM, OH1)["narrators"]}
    page = archivist.get("/staff/records/narrators/N-WEB").get_data(as_text=True)
    assert "Webber Legal" in page


def test_consent_form_records_history_and_refuses_bad_dates(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    assert post(archivist, "/staff/records/testimonies/new", NEW).status_code == 302
    url = "/staff/testimonies/WEB-0001/consent"
    response = post(archivist, url, {"status": "granted", "scope": "open", "date": "2019-05-02"})
    assert response.status_code == 400 and field_errors(response) == {
        "obtained_by": ["a granted consent needs who obtained it"]}
    response = post(archivist, url, {"status": "granted", "scope": "open", "date": "not a date"})
    assert response.status_code == 400 and "date" in field_errors(response)
    response = post(archivist, url, {"status": "granted", "scope": "researchers", "date": "2019-05-02",
                                     "obtained_by": "Interviewer W", "perm_publish_transcript": "y"},
                    follow_redirects=True)
    assert response.status_code == 200
    consent = archive.testimonies.get(SYSTEM, "WEB-0001")["consent"]
    assert consent["status"] == "granted" and consent["scope"] == "researchers"
    assert consent["permissions"]["publish_transcript"] is True and consent["permissions"]["quote"] is False
    assert archive.testimonies.get(SYSTEM, "WEB-0001")["state"] == "draft"     # granting does not publish
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    history = " ".join(doc.get_element_by_id("history").text_content().split())
    assert "status: pending → granted" in history and "scope: archive → researchers" in history
    assert "archivist" in history


def test_signed_form_upload_is_a_restricted_consent_form(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    from io import BytesIO
    response = post(archivist, f"/staff/testimonies/{OH1}/consent/form", {"file": (BytesIO(pdf), "signed.pdf")},
                    page=f"/staff/testimonies/{OH1}/consent", content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    forms = [m for m in archive.testimonies.get(SYSTEM, OH1)["media"] if m["kind"] == "consent-form"]
    assert len(forms) == 1 and forms[0]["filename"] == "signed.pdf"
    assert "signed.pdf" in archivist.get(f"/staff/testimonies/{OH1}/consent").get_data(as_text=True)
    assert archive.media.assets_for(ANONYMOUS, OH1) == []      # not for the public


def test_purge_through_the_web_needs_an_admin_a_withdrawal_and_the_typed_id(app, client, signed_in):
    archive = app.extensions["archive"]
    archivist, admin = signed_in("archivist"), signed_in("admin")
    url = f"/staff/testimonies/{OH1}/purge"
    assert archivist.get(url).status_code == 403
    assert archivist.post(url, data={"confirmation": OH1, "csrf_token": csrf_from(archivist, "/signin")}).status_code == 403
    page = admin.get(url).get_data(as_text=True)
    assert "Only a withdrawn testimony may be purged" in page
    response = post(admin, url, {"confirmation": OH1})
    assert response.status_code == 400 and "only a withdrawn testimony may be purged" in response.get_data(as_text=True)
    archive.consent.withdraw(SYSTEM, OH1, "The narrator asked.")
    page = admin.get(url).get_data(as_text=True)
    assert "This cannot be undone" in page
    response = post(admin, url, {"confirmation": "OH-2015-000"})
    assert response.status_code == 400
    assert field_errors(response) == {"confirmation": [f"type the accession id {OH1} to confirm the purge"]}
    assert admin.post(url, data={"confirmation": OH1}).status_code == 400                   # no CSRF token
    assert archive.testimonies.get(SYSTEM, OH1)["title"]                                     # nothing purged
    response = post(admin, url, {"confirmation": OH1})
    assert response.status_code == 302
    assert archive.testimonies.get(SYSTEM, OH1)["title"] == ""
    gone = client.get(f"/testimonies/{OH1}")
    assert gone.status_code == 410 and "withdrawn at the narrator" in gone.get_data(as_text=True).lower()


ROUTES = [("GET", "/staff/records"), ("GET", "/staff/records/collections/new"),
          ("POST", "/staff/records/collections/new"), ("GET", "/staff/records/collections/leaving-raqqa"),
          ("POST", "/staff/records/collections/leaving-raqqa"), ("GET", "/staff/records/testimonies/new"),
          ("POST", "/staff/records/testimonies/new"), ("GET", f"/staff/testimonies/{OH1}/edit"),
          ("POST", f"/staff/testimonies/{OH1}/edit"), ("POST", f"/staff/testimonies/{OH1}/narrators"),
          ("POST", f"/staff/testimonies/{OH1}/narrators/N-0001/unlink"),
          ("GET", "/staff/records/narrators/new"), ("POST", "/staff/records/narrators/new"),
          ("GET", "/staff/records/narrators/N-0001"), ("POST", "/staff/records/narrators/N-0001"),
          ("GET", "/staff/records/authorities/new"), ("POST", "/staff/records/authorities/new"),
          ("GET", "/staff/records/authorities/place:raqqa"), ("POST", "/staff/records/authorities/place:raqqa"),
          ("GET", f"/staff/testimonies/{OH1}/consent"), ("POST", f"/staff/testimonies/{OH1}/consent"),
          ("POST", f"/staff/testimonies/{OH1}/consent/form"),
          ("GET", f"/staff/testimonies/{OH1}/purge"), ("POST", f"/staff/testimonies/{OH1}/purge")]


def test_the_public_and_researchers_reach_none_of_these_pages_and_every_post_needs_csrf(app, signed_in):
    archive = app.extensions["archive"]
    before = archive.transfer.export(SYSTEM, "admin")
    complete = {**NEW, "slug": "x-coll", "key": "N-X", "public_name": "X", "label": "X", "type": "place",
                "narrator": "N-0002", "status": "granted", "scope": "open", "date": "2019-01-01",
                "obtained_by": "X", "confirmation": OH1, "legal_name": "CSRF Legal"}
    researcher, public, archivist = signed_in("researcher"), signed_in("public"), signed_in("archivist")
    token = csrf_from(researcher, "/signin")
    for method, url in ROUTES:
        if method == "GET":
            assert public.get(url).status_code == 302 and public.get(url).headers["Location"].startswith("/signin")
            assert researcher.get(url).status_code == 403, url
        else:
            assert public.post(url, data=complete).status_code in (400, 403), url
            assert researcher.post(url, data={**complete, "csrf_token": token}).status_code == 403, url
            assert archivist.post(url, data=complete).status_code == 400, url                   # no token
    assert archive.transfer.export(SYSTEM, "admin") == before
