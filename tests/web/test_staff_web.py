"""The archivist's work through the web forms, as a browser would post them (CSRF token from the page)."""
from __future__ import annotations

import json
import re

import lxml.html
import pytest

from archive.identity import SYSTEM
from tests.conftest import csrf_from
from tests.conftest import export_by_job as export

OH1 = "OH-2015-0001"
STAFF_OH1 = f"/staff/testimonies/{OH1}"


def flashes(response) -> list[str]:
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return [" ".join(p.text_content().split()) for p in doc.xpath("//p[contains(@class, 'flash')]")]


def transcript_offset(client, accession_id: str, transcript: str, needle: str) -> tuple[int, int]:
    """Code-point offsets of `needle` in a transcript, read from the archivist's API view (the same
    addressing the export and the import use: offsets into the concatenated segment texts)."""
    view = client.get(f"/api/v1/testimonies/{accession_id}").get_json()
    tr = next(t for t in view["transcripts"] if t["key"] == transcript)
    full = "".join(s["text"] for s in tr["segments"])
    start = full.index(needle)
    assert full.count(needle) == 1, needle
    return start, start + len(needle)


def propose(client, accession_id: str, **fields):
    token = csrf_from(client, f"/staff/testimonies/{accession_id}")
    data = {"field": "", "category": "person", "reason": "", "visible_to": "archivist", **fields,
            "csrf_token": token}
    return client.post(f"/staff/testimonies/{accession_id}/redactions", data=data, follow_redirects=True)


def approve(client, accession_id: str, key: str):
    token = csrf_from(client, f"/staff/testimonies/{accession_id}")
    return client.post(f"/staff/testimonies/{accession_id}/redactions/{key}/approve", data={"csrf_token": token})


def redaction(app, accession_id: str, key: str) -> dict:
    view = app.extensions["archive"].testimonies.get(SYSTEM, accession_id)
    return next(r for r in view["redactions"] if r["key"] == key)


def test_offsets_from_the_view_address_the_existing_redactions(signed_in):
    """The offset helper agrees with the example's own span redaction R-1 (385-398)."""
    assert transcript_offset(signed_in("archivist"), OH1, "en", "Khaled Haddad") == (385, 398)


def test_a_proposed_span_redaction_hides_the_word_at_once_and_needs_a_second_archivist(app, client, signed_in):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    assert "young Canadian" in client.get(f"/testimonies/{OH1}").get_data(as_text=True)
    start, end = transcript_offset(archivist, OH1, "en", "Canadian")

    response = propose(archivist, OH1, transcript="en", start=str(start), end=str(end), text="Canadian",
                       category="person", replacement="[nationality withheld]",
                       reason="identifies a person at risk")
    assert response.status_code == 200
    [message] = flashes(response)
    key = re.search(r"Redaction (R-\d+) proposed", message).group(1)
    assert redaction(app, OH1, key)["state"] == "proposed"
    assert redaction(app, OH1, key)["proposed_by"] == "archivist"

    # Already hidden from the public: page, search, snippets, suggestions, API.
    public = client.get(f"/testimonies/{OH1}").get_data(as_text=True)
    assert "Canadian" not in public
    assert "One was a young [nationality withheld]. We meet them at" in " ".join(
        lxml.html.fromstring(public).xpath("string(//article[@id='seg-en-2'])").split())
    assert "0 testimonies" in client.get("/search?q=Canadian").get_data(as_text=True)
    assert client.get("/api/v1/search?q=Canadian").get_json()["total"] == 0
    assert "Canadian" not in client.get(f"/api/v1/testimonies/{OH1}").get_data(as_text=True)
    assert all(not s.startswith("canad") for s in client.get("/api/v1/suggest?q=cana").get_json()["suggestions"])
    # The archivist reads the original, marked.
    staff_view = archivist.get(f"/testimonies/{OH1}").get_data(as_text=True)
    assert re.search(r'<mark class="redacted-original"><del>Canadian</del> <ins>\[nationality withheld\]</ins>',
                     staff_view)

    # The proposer may not approve it ...
    refused = approve(archivist, OH1, key)
    assert refused.status_code == 400
    assert "a second archivist must approve a redaction" in refused.get_data(as_text=True)
    assert redaction(app, OH1, key)["state"] == "proposed"
    # ... a second archivist may.
    accepted = approve(reviewer, OH1, key)
    assert accepted.status_code == 302 and accepted.headers["Location"] == STAFF_OH1
    assert redaction(app, OH1, key)["state"] == "approved"
    assert redaction(app, OH1, key)["approved_by"] == "reviewer"
    assert "Canadian" not in client.get(f"/testimonies/{OH1}").get_data(as_text=True)


def test_a_redaction_whose_text_does_not_match_its_offsets_is_refused(app, signed_in):
    archivist = signed_in("archivist")
    start, end = transcript_offset(archivist, OH1, "en", "Canadian")
    token = csrf_from(archivist, STAFF_OH1)
    response = archivist.post(f"{STAFF_OH1}/redactions", data={
        "transcript": "en", "start": start, "end": end, "text": "Canadiax", "field": "", "category": "person",
        "replacement": "[x]", "visible_to": "archivist", "csrf_token": token})
    assert response.status_code == 400
    assert len(app.extensions["archive"].testimonies.get(SYSTEM, OH1)["redactions"]) == 3


def test_a_field_redaction_through_the_form(app, client, signed_in):
    archivist = signed_in("archivist")
    assert "Interviewer A" in client.get(f"/testimonies/{OH1}").get_data(as_text=True)
    response = propose(archivist, OH1, field="interviewers", replacement="[interviewer withheld]")
    assert response.status_code == 200, response.get_data(as_text=True)
    public = client.get(f"/testimonies/{OH1}").get_data(as_text=True)
    assert "Interviewer A" not in public and "[interviewer withheld]" in public


def test_withdrawing_consent_confirms_what_will_disappear_then_does_it(app, client, signed_in):
    archivist = signed_in("archivist")
    target = "DEMO-2016-0006"
    assert client.get(f"/testimonies/{target}").status_code == 200
    assert target in [t["id"] for t in client.get("/api/v1/testimonies").get_json()["testimonies"]]

    page = archivist.get(f"/staff/testimonies/{target}/withdraw")
    assert page.status_code == 200
    text = " ".join(lxml.html.fromstring(page.get_data(as_text=True)).text_content().split())
    view = app.extensions["archive"].testimonies.get(SYSTEM, target)
    segments = sum(len(t["segments"]) for t in view["transcripts"])
    assert view["title"] in text and f"({segments} segments)" in text
    for narrator in view["narrators"]:
        assert narrator["public_name"] in text
    assert "disappear from every public and researcher page" in text
    assert app.extensions["archive"].testimonies.get(SYSTEM, target)["consent"]["status"] == "granted"  # GET changes nothing

    token = csrf_from(archivist, f"/staff/testimonies/{target}/withdraw")
    empty = archivist.post(f"/staff/testimonies/{target}/withdraw", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 200                                   # a reason is required; nothing happens
    assert client.get(f"/testimonies/{target}").status_code == 200
    done = archivist.post(f"/staff/testimonies/{target}/withdraw",
                          data={"reason": "narrator asked by phone", "csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200
    assert any(f"Consent for {target} withdrawn" in m for m in flashes(done))

    gone = client.get(f"/testimonies/{target}")
    assert gone.status_code == 410 and view["title"] not in gone.get_data(as_text=True)
    assert signed_in("researcher").get(f"/testimonies/{target}").status_code == 410
    assert target not in [t["id"] for t in client.get("/api/v1/testimonies").get_json()["testimonies"]]
    assert client.get(f"/api/v1/testimonies/{target}").status_code == 410
    found = client.get("/api/v1/search?q=rubber+boat").get_json()
    assert target not in [t["accession_id"] for t in found["testimonies"]]
    assert archivist.get(f"/testimonies/{target}").status_code == 200   # staff keep the record
    assert "Withdraw consent…" not in archivist.get(f"/staff/testimonies/{target}").get_data(as_text=True)


@pytest.mark.parametrize("state, public_status", [("draft", 404), ("in_review", 404), ("published", 200)])
def test_setting_the_state(app, client, signed_in, state, public_status):
    archivist, target = signed_in("archivist"), "DEMO-2016-0008"
    token = csrf_from(archivist, f"/staff/testimonies/{target}")
    response = archivist.post(f"/staff/testimonies/{target}/state", data={"state": state, "csrf_token": token},
                              follow_redirects=True)
    assert response.status_code == 200
    assert f"{target} is now {state.replace('_', ' ')}." in flashes(response)
    assert app.extensions["archive"].testimonies.get(SYSTEM, target)["state"] == state
    assert client.get(f"/testimonies/{target}").status_code == public_status
    listed = target in [t["id"] for t in client.get("/api/v1/testimonies").get_json()["testimonies"]]
    assert listed == (public_status == 200)


def test_the_state_menu_starts_at_the_current_state(signed_in):
    archivist = signed_in("archivist")
    for accession_id, state in ((OH1, "published"), ("DEMO-2017-0009", "in_review")):
        doc = lxml.html.fromstring(archivist.get(f"/staff/testimonies/{accession_id}").get_data(as_text=True))
        assert doc.xpath("//select[@name='state']/option[@selected]/@value") == [state], accession_id


@pytest.mark.parametrize("accession_id, message", [
    ("DEMO-2017-0011", "a withdrawn testimony stays withdrawn"),
    ("DEMO-2017-0009", "cannot publish: consent is pending; redactions awaiting review: DEMO-R-026")])
def test_publishing_is_refused_with_the_reason(app, client, signed_in, accession_id, message):
    archivist = signed_in("archivist")
    token = csrf_from(archivist, f"/staff/testimonies/{accession_id}")
    response = archivist.post(f"/staff/testimonies/{accession_id}/state",
                              data={"state": "published", "csrf_token": token})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert client.get(f"/testimonies/{accession_id}").status_code in (404, 410)


def test_an_unknown_state_is_refused(app, signed_in):
    archivist = signed_in("archivist")
    token = csrf_from(archivist, STAFF_OH1)
    for bad in ("withdrawn", "deleted", ""):
        response = archivist.post(f"{STAFF_OH1}/state", data={"state": bad, "csrf_token": token})
        assert response.status_code == 400, bad
    assert app.extensions["archive"].testimonies.get(SYSTEM, OH1)["state"] == "published"


def test_the_public_export_is_valid_and_holds_nothing_restricted(signed_in):
    archivist = signed_in("archivist")
    response = export(archivist, "public")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert 'filename=archive-public.json' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    document = json.loads(text)
    assert document["format"] == "testimony-archive/1"
    ids = {t["id"] for t in document["testimonies"]}
    assert ids == {"DEMO-2015-0001", "DEMO-2016-0002", "DEMO-2016-0006", "DEMO-2016-0008", "DEMO-2017-0010",
                   "DEMO-2018-0007", OH1}
    for secret in ("Khaled", "Haddad", "Suluk", "Gaziantep, Turkey", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1",
                   "legal_name", "sensitive_terms\": [{"):
        assert secret not in text, secret
    researcher_export = export(archivist, "researcher").get_data(as_text=True)
    assert "the farm near Suluk" in researcher_export and "Khaled" not in researcher_export
    assert "DEMO-2015-0003" in researcher_export


def test_an_export_is_a_job_whose_file_only_its_audience_downloads(signed_in, app):
    archivist = signed_in("archivist")
    token = csrf_from(archivist, "/staff/")
    asked = archivist.post("/staff/exports", data={"audience": "researcher", "format": "bag",
                                                   "collection": "leaving-raqqa", "csrf_token": token})
    job_id = asked.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    job = app.extensions["archive"].jobs.get(SYSTEM, job_id)
    assert job["kind"] == "export" and job["state"] == "finished", job
    download = f"/staff/jobs/{job_id}/download"
    bag = archivist.get(download)
    bag.get_data()
    bag.close()
    assert bag.status_code == 200 and bag.mimetype == "application/zip"
    assert "leaving-raqqa-researcher-bag.zip" in bag.headers["Content-Disposition"]
    assert signed_in("researcher").get(download).status_code == 403      # not staff
    assert archivist.get("/staff/jobs/999999/download").status_code == 404


def test_a_bag_of_a_collection_in_the_request_is_refused_with_the_way_to_ask(signed_in):
    response = signed_in("archivist").get("/staff/export.bag.zip?collection=leaving-raqqa&audience=public")
    assert response.status_code == 400 and "made by a job" in response.get_data(as_text=True)


def test_export_is_for_staff_only(signed_in, client):
    token = csrf_from(signed_in("archivist"), "/staff/")
    assert signed_in("researcher").post("/staff/exports", data={"audience": "public", "csrf_token": token}
                                        ).status_code in (400, 403)
    assert client.post("/staff/exports", data={"audience": "public"}).status_code in (302, 400)


def test_an_unknown_export_audience_is_a_clear_400(signed_in):
    response = export(signed_in("archivist"), "everyone")
    assert response.status_code == 400
    assert "unknown audience &#39;everyone&#39;" in response.get_data(as_text=True)


def test_the_audit_page_lists_what_was_done_and_by_whom(signed_in):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    start, end = transcript_offset(archivist, OH1, "en", "Canadian")
    response = propose(archivist, OH1, transcript="en", start=str(start), end=str(end), text="Canadian",
                       replacement="[withheld]")
    key = re.search(r"Redaction (R-\d+) proposed", flashes(response)[0]).group(1)
    approve(reviewer, OH1, key)
    token = csrf_from(archivist, "/staff/testimonies/DEMO-2017-0010/withdraw")
    archivist.post("/staff/testimonies/DEMO-2017-0010/withdraw", data={"reason": "asked", "csrf_token": token})
    export(archivist, "public")

    page = archivist.get("/staff/audit")
    assert page.status_code == 200
    rows = [[" ".join(td.text_content().split()) for td in tr.xpath("td")]
            for tr in lxml.html.fromstring(page.get_data(as_text=True)).xpath("//table[@class='records']/tbody/tr")]
    seen = {(who, action, target) for _, who, action, target, _ in rows}
    assert ("archivist", "redaction.add", OH1) in seen
    assert ("reviewer", "redaction.approve", OH1) in seen
    assert ("archivist", "consent.withdraw", "DEMO-2017-0010") in seen
    assert any(action == "export" for _, who, action, _, _ in rows)
    assert any(action == "signin.ok" and target == "reviewer" for _, _, action, target, _ in rows)
    assert signed_in("researcher").get("/staff/audit").status_code == 403


def test_the_reindex_button_rebuilds_every_index(app, signed_in):
    archivist = signed_in("archivist")
    token = csrf_from(archivist, "/staff/")
    response = archivist.post("/staff/reindex", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    [message] = flashes(response)
    assert message == "Indexes rebuilt: public 7, researcher 8, staff 13", message
    assert "index disagrees with the database" not in response.get_data(as_text=True)
    report = app.extensions["archive"].index.check(SYSTEM)
    assert all(not r["missing"] and not r["unexpected"] for r in report.values())
    assert "3 testimonies" in signed_in("public").get("/search?q=Raqqa").get_data(as_text=True)


def test_the_staff_testimony_page_shows_redactions_terms_and_history(signed_in):
    page = signed_in("archivist").get(STAFF_OH1)
    assert page.status_code == 200
    doc = lxml.html.fromstring(page.get_data(as_text=True))
    keys = [tr.xpath("td[1]")[0].text for tr in doc.xpath("//section[h2='Redactions']//tbody/tr")]
    assert keys == ["R-1", "R-2", "R-3"]
    assert "Khaled Haddad (person): Khalid Haddad, خالد حداد" in " ".join(
        doc.xpath("string(//section[h2='Sensitive terms'])").split())
    assert doc.xpath("//form[contains(@action, '/state')]//input[@name='csrf_token']")
    assert doc.xpath("//form[contains(@action, '/redactions')]//input[@name='csrf_token']")
    assert doc.xpath("//section[h2='History']//li")


def test_staff_pages_are_closed_to_researchers_and_send_the_public_to_sign_in(signed_in, client):
    for url in ("/staff/", STAFF_OH1, f"{STAFF_OH1}/withdraw", "/staff/audit"):
        assert signed_in("researcher").get(url).status_code == 403, url
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/signin?next="), url
