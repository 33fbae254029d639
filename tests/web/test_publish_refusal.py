"""A refused publication comes back on the testimony's own page (400), each reason beside the way to
resolve it, not on an error page whose only way out was "Home" (found by tests/browser/test_whole_path.py)."""
from __future__ import annotations

import lxml.html

from archive.identity import SYSTEM
from tests.conftest import csrf_from

PENDING = "DEMO-2017-0009"          # in review, consent pending, one proposed redaction (DEMO-R-026)
STAFF = f"/staff/testimonies/{PENDING}"


def publish(client, accession_id: str):
    token = csrf_from(client, f"/staff/testimonies/{accession_id}")
    return client.post(f"/staff/testimonies/{accession_id}/state", data={"state": "published", "csrf_token": token})


def test_the_refusal_lists_each_reason_with_its_way_out_on_the_testimony_page(app, signed_in):
    archivist = signed_in("archivist")
    token = csrf_from(archivist, STAFF)
    archivist.post(f"{STAFF}/sensitive-terms", data={"term": "Aleppo", "variants": "حلب", "category": "place",
                                                     "csrf_token": token})
    response = publish(archivist, PENDING)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    doc = lxml.html.fromstring(body)
    assert doc.xpath("string(//h1)").startswith(f"{PENDING}:")            # the testimony's page, not an error page
    assert "cannot publish: consent is pending; redactions awaiting review: DEMO-R-026" in body
    items = doc.xpath("//*[@id='publish-refused']//li")
    assert [li.get("data-reason") for li in items] == ["consent", "redactions", "sensitive"]
    links = [li.xpath("string(.//a/@href)") for li in items]
    assert links == [f"{STAFF}/consent", "#redactions", "#sensitive-terms"]
    # each in-page link leads to the form that resolves it
    assert doc.xpath("//*[@id='redaction-DEMO-R-026']//button[normalize-space()='Approve']")
    assert doc.xpath("//*[@id='sensitive-terms']//form[contains(@action, '/redact-all')]")
    # the state menu shows the state the testimony is in, not the refused choice
    assert doc.xpath("//select[@name='state']/option[@selected]/@value") == ["in_review"]
    assert app.extensions["archive"].testimonies.get(SYSTEM, PENDING)["state"] == "in_review"


def test_other_refusals_keep_the_error_page(signed_in):
    archivist = signed_in("archivist")
    response = publish(archivist, "DEMO-2017-0011")                      # withdrawn
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert "a withdrawn testimony stays withdrawn" in doc.xpath("string(//section[@class='error'])")
    assert not doc.xpath("//*[@id='publish-refused']")
