"""The redaction editor and the sensitive-term register through the web, as a browser posts them:
offsets on the rendered transcript, terms, redact all, edit and two-person removal, the preview,
the dashboard panels; CSRF and who may reach each route."""
from __future__ import annotations

import re

import lxml.html
import pytest

from archive.identity import SYSTEM
from tests.conftest import csrf_from
from tests.conftest import backend  # noqa: F401  (this module runs on both databases: tests/web/conftest.py)

LEILA = "DEMO-2018-0007"          # published, English; "my brother Anas" is not redacted
OH1 = "OH-2015-0001"              # R-1 "Khaled Haddad" (archivist), R-2 "the farm near Suluk" (researcher)
PAGE = f"/staff/testimonies/{LEILA}"


def html(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    return [" ".join(p.text_content().split()) for p in html(response).xpath("//p[contains(@class, 'flash')]")]


def post(client, url: str, page: str = PAGE, **data):
    return client.post(url, data={**data, "csrf_token": csrf_from(client, page)}, follow_redirects=True)


def full_text(app, accession_id: str, key: str) -> str:
    record = next(t for t in app.extensions["archive"].transfer.export(SYSTEM, "admin")["testimonies"]
                  if t["id"] == accession_id)
    return next(tr["text"] for tr in record["transcripts"] if tr["id"] == key)


def redactions(app, accession_id: str) -> dict[str, dict]:
    return {r["key"]: r for r in app.extensions["archive"].testimonies.get(SYSTEM, accession_id)["redactions"]}


def terms(app, accession_id: str | None = None) -> list[dict]:
    return app.extensions["archive"].sensitive.list(SYSTEM, accession_id)


# -- the transcript as the editor renders it ------------------------------------------------------------

@pytest.mark.parametrize("accession_id, key", [(OH1, "en"), ("DEMO-2016-0002", "ar"), ("DEMO-2017-0010", "fr")])
def test_every_piece_of_original_text_carries_its_code_point_offset(app, signed_in, accession_id, key):
    doc = html(signed_in("archivist").get(f"/staff/testimonies/{accession_id}"))
    text = full_text(app, accession_id, key)
    section = doc.xpath(f"//section[@data-transcript='{key}']")[0]
    pieces = section.xpath(".//*[contains(concat(' ', @class, ' '), ' src ')]")
    assert pieces
    joined = ""
    for piece in pieces:
        start = int(piece.get("data-start"))
        assert text[start:start + len(piece.text_content())] == piece.text_content()
        joined += piece.text_content()
    # every character the archivist may read is there once: the admin-only spans are the only gaps
    hidden = sum(int(e.get("data-end")) - int(e.get("data-start"))
                 for e in section.xpath(".//span[contains(@class, 'redacted')]"))
    assert len(joined) + hidden == len(text)


def test_the_page_holds_the_editor_and_no_inline_script(signed_in):
    page = signed_in("archivist").get(PAGE).get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    assert doc.xpath("//form[@id='redaction-form']//input[@name='start']")
    assert doc.xpath("//script/@src") == ["/static/js/redact-select.js"]
    assert not doc.xpath("//script[not(@src)]") and not re.search(r"\son[a-z]+=", page)
    assert doc.xpath("//a[@href='/staff/testimonies/DEMO-2018-0007/preview']")


# -- sensitive terms -------------------------------------------------------------------------------------

def test_a_term_added_on_the_page_is_found_redacted_all_approved_by_a_second_archivist_then_published(
        app, signed_in, client):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    post(archivist, f"{PAGE}/state", state="in_review")
    done = post(archivist, f"{PAGE}/sensitive-terms", term="Anas", variants="أنس\nAnass\n", category="third party")
    assert "Sensitive term 'Anas' added to DEMO-2018-0007 with 2 variant(s)." in flashes(done)
    (term,) = terms(app, LEILA)
    assert term["variants"] == ["أنس", "Anass"]
    doc = html(done)
    row = doc.xpath(f"//tr[@id='term-{term['id']}']")[0]
    assert row.xpath("string(.//strong[@class='unredacted'])") == "1"
    assert "Anas" in doc.xpath("string(//section[@id='sensitive-terms']//table[2])")

    refused = archivist.post(f"{PAGE}/state", data={"state": "published", "csrf_token": csrf_from(archivist, PAGE)})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True).replace("&#39;", "'")
    assert "sensitive terms unredacted: 'Anas' ×1 (transcript en)" in body

    done = post(archivist, f"{PAGE}/sensitive-terms/{term['id']}/redact-all", replacement="[Narrator's brother]",
                category="third party", reason="a deserter", visible_to="archivist")
    assert any("1 redaction(s) proposed as \"[Narrator's brother]\"" in m for m in flashes(done))
    (new,) = [r for r in redactions(app, LEILA).values() if r["replacement"] == "[Narrator's brother]"]
    assert new["state"] == "proposed" and new["proposed_by"] == "archivist"

    mine = post(archivist, f"{PAGE}/redactions/{new['key']}/approve")
    assert mine.status_code == 400 and redactions(app, LEILA)[new["key"]]["state"] == "proposed"
    post(reviewer, f"{PAGE}/redactions/{new['key']}/approve")
    assert redactions(app, LEILA)[new["key"]]["approved_by"] == "reviewer"
    published = post(reviewer, f"{PAGE}/state", state="published")     # the archivist submitted it
    assert f"{LEILA} is now published." in flashes(published)
    public = client.get(f"/testimonies/{LEILA}").get_data(as_text=True)
    assert "[Narrator&#39;s brother]" in public and "Anas" not in public


def test_term_edit_and_removal_through_the_forms(app, signed_in):
    archivist = signed_in("archivist")
    post(archivist, f"{PAGE}/sensitive-terms", term="Anas", variants="", category="person")
    (term,) = terms(app, LEILA)
    done = post(archivist, f"/staff/sensitive-terms/{term['id']}/edit", term="Anas", variants="أنس",
                category="third party")
    assert "Sensitive term 'Anas' saved." in flashes(done) and done.request.path == PAGE
    assert terms(app, LEILA)[0]["variants"] == ["أنس"] and terms(app, LEILA)[0]["category"] == "third party"
    bad = archivist.post(f"/staff/sensitive-terms/{term['id']}/edit",
                         data={"term": "", "category": "person", "csrf_token": csrf_from(archivist, PAGE)})
    assert bad.status_code == 400 and "term" in bad.get_data(as_text=True)
    done = post(archivist, f"/staff/sensitive-terms/{term['id']}/remove")
    assert terms(app, LEILA) == [] and done.request.path == PAGE
    history = [" ".join(li.text_content().split()) for li in html(done).xpath("//ol[@class='history']/li")]
    assert any(f"sensitive term {term['id']} removed" in h for h in history)


def test_the_archive_wide_register(app, signed_in):
    archivist = signed_in("archivist")
    page = "/staff/sensitive-terms"
    done = post(archivist, page, page, term="Raqqa", variants="Al-Raqqah\nالرقة", category="place")
    assert "Archive-wide sensitive term 'Raqqa' added with 2 variant(s)." in flashes(done)
    (term,) = terms(app)
    doc = html(done)
    listed = " ".join(doc.xpath("string(//section[h2='Testimonies where a sensitive term shows unredacted'])").split())
    assert "DEMO-2015-0001" in listed and "DEMO-2016-0002" in listed and "Raqqa" in listed
    dashboard = html(archivist.get("/staff/"))
    assert "DEMO-2016-0002" in dashboard.xpath("string(//section[@id='unredacted'])")
    duplicate = archivist.post(page, data={"term": "raqqa", "category": "place",
                                           "csrf_token": csrf_from(archivist, page)})
    assert duplicate.status_code == 400 and "already a sensitive term" in duplicate.get_data(as_text=True)
    post(archivist, f"/staff/sensitive-terms/{term['id']}/remove", page)
    assert terms(app) == []


# -- editing and removing redactions ---------------------------------------------------------------------

def test_editing_a_redaction_makes_it_a_proposal_and_cannot_lower_who_sees_it(app, signed_in):
    archivist = signed_in("archivist")
    page = f"/staff/testimonies/{OH1}"
    assert redactions(app, OH1)["R-1"]["state"] == "approved"
    done = post(archivist, f"{page}/redactions/R-1/edit", page, replacement="[the driver]", reason="named",
                category="person", visible_to="admin")
    assert any("Redaction R-1 changed" in m for m in flashes(done))
    r1 = redactions(app, OH1)["R-1"]
    assert (r1["replacement"], r1["state"], r1["visible_to"], r1["approved_by"]) == \
        ("[the driver]", "proposed", "admin", None)
    lower = archivist.post(f"{page}/redactions/R-1/edit", data={
        "replacement": "[the driver]", "category": "person", "visible_to": "researcher",
        "csrf_token": csrf_from(archivist, page)})
    assert lower.status_code == 400 and "lowering who may see the original" in lower.get_data(as_text=True)
    assert redactions(app, OH1)["R-1"]["visible_to"] == "admin"


def test_removing_a_redaction_takes_a_second_archivist(app, signed_in, client):
    archivist, reviewer = signed_in("archivist"), signed_in("reviewer")
    page = f"/staff/testimonies/{OH1}"
    done = post(archivist, f"{page}/redactions/R-2/remove", page)
    assert any("Removal of R-2 proposed" in m for m in flashes(done))
    assert redactions(app, OH1)["R-2"]["state"] == "removal_proposed"
    assert "Suluk" not in client.get(f"/testimonies/{OH1}").get_data(as_text=True)     # still hidden
    doc = html(done)
    # the one who proposed the removal is not offered its confirmation; the rule refuses it anyway
    assert not doc.xpath(f"//tr[@id='redaction-R-2']//form[contains(@action, 'confirm-removal')]")
    assert "Removal awaits a second archivist" in doc.xpath("string(//tr[@id='redaction-R-2'])")
    assert html(reviewer.get(page)).xpath(f"//tr[@id='redaction-R-2']//form[contains(@action, 'confirm-removal')]")
    own = archivist.post(f"{page}/redactions/R-2/confirm-removal", data={"csrf_token": csrf_from(archivist, page)})
    assert own.status_code == 400 and "second archivist" in own.get_data(as_text=True)
    post(reviewer, f"{page}/redactions/R-2/keep", page)
    assert redactions(app, OH1)["R-2"]["state"] == "proposed"
    post(archivist, f"{page}/redactions/R-2/remove", page)
    done = post(reviewer, f"{page}/redactions/R-2/confirm-removal", page)
    assert "Redaction R-2 removed: its original shows again wherever its audience may read it." in flashes(done)
    assert "R-2" not in redactions(app, OH1)
    assert "Suluk" in client.get(f"/testimonies/{OH1}").get_data(as_text=True)


def test_with_the_two_person_rule_off_a_removal_is_immediate(app, signed_in):
    app.config["TWO_PERSON_RULE"] = False
    archivist = signed_in("archivist")
    page = f"/staff/testimonies/{OH1}"
    assert "Remove" in html(archivist.get(page)).xpath("string(//tr[@id='redaction-R-2'])")
    post(archivist, f"{page}/redactions/R-2/remove", page)
    assert "R-2" not in redactions(app, OH1)


# -- the preview -----------------------------------------------------------------------------------------

def test_the_preview_shows_the_original_beside_the_researcher_and_public_views(app, signed_in):
    archivist = signed_in("archivist")
    doc = html(archivist.get(f"/staff/testimonies/{OH1}/preview"))
    columns = {c.get("data-audience"): " ".join(c.text_content().split())
               for c in doc.xpath("//section[@class='preview-column']")}
    assert list(columns) == ["archivist", "researcher", "public"]
    assert "Khaled Haddad" in columns["archivist"] and "EXAMPLE-LEGAL-NAME-1" in columns["archivist"]
    assert "the farm near Suluk" in columns["researcher"]          # R-2 is visible to researchers
    for audience in ("researcher", "public"):
        assert "[name withheld]" in columns[audience]
        assert "Khaled" not in columns[audience] and "EXAMPLE-LEGAL-NAME-1" not in columns[audience]
    assert "Suluk" not in columns["public"] and "Gaziantep" not in columns["public"]
    pending = html(archivist.get("/staff/testimonies/DEMO-2017-0009/preview"))
    assert "taking the pending consent as granted" in pending.text_content()
    assert app.extensions["archive"].testimonies.get(SYSTEM, "DEMO-2017-0009")["state"] == "in_review"


# -- the dashboard ---------------------------------------------------------------------------------------

def test_the_dashboard_panels(signed_in):
    archivist = signed_in("archivist")
    post(archivist, f"{PAGE}/state", state="draft")
    doc = html(archivist.get("/staff/"))
    text = {s.get("id"): " ".join(s.text_content().split()) for s in doc.xpath("//section[@class='panel']")}
    assert LEILA in text["my-drafts"]
    assert "DEMO-2017-0009" in text["review-queue"] and "DEMO-R-026" in text["review-queue"]
    assert "DEMO-2017-0009" in text["consent-pending"]
    assert "OH-2015-0002" not in text["embargoes"]                 # lifts in 2030, beyond 90 days
    assert "testimony.state" in text["recent-activity"]
    assert "None: every occurrence of a sensitive term is redacted." in text["unredacted"]
    assert LEILA not in " ".join(s.text_content() for s in html(signed_in("reviewer").get("/staff/"))
                                 .xpath("//section[@id='my-drafts']"))


# -- CSRF and access -------------------------------------------------------------------------------------

WRITES = [f"{PAGE}/redactions/R-1/edit", f"{PAGE}/redactions/R-1/remove", f"{PAGE}/redactions/R-1/confirm-removal",
          f"{PAGE}/redactions/R-1/keep", f"{PAGE}/sensitive-terms", "/staff/sensitive-terms",
          "/staff/sensitive-terms/1/edit", "/staff/sensitive-terms/1/remove", f"{PAGE}/sensitive-terms/1/redact-all"]
FULL = {"term": "Anas", "variants": "", "category": "person", "replacement": "[x]", "reason": "",
        "visible_to": "admin"}


@pytest.mark.parametrize("url", WRITES)
def test_every_write_demands_a_csrf_token_and_an_archivist(app, signed_in, client, url):
    before = app.extensions["archive"].transfer.export(SYSTEM, "admin")
    archivist = signed_in("archivist")
    response = archivist.post(url, data=FULL)
    assert response.status_code == 400 and "The form expired" in response.get_data(as_text=True)
    for who, status in (("researcher", 403), ("public", 403)):
        visitor = client if who == "public" else signed_in(who)
        token = csrf_from(visitor, "/signin")
        assert visitor.post(url, data={**FULL, "csrf_token": token}).status_code == status, who
    assert app.extensions["archive"].transfer.export(SYSTEM, "admin") == before


@pytest.mark.parametrize("url", [f"{PAGE}/preview", "/staff/sensitive-terms", PAGE])
def test_staff_pages_refuse_researchers_and_send_the_public_to_sign_in(signed_in, client, url):
    assert signed_in("researcher").get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
    assert signed_in("archivist").get(url).status_code == 200
