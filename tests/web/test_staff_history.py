"""History, restore, the segment editor and the audit log's filters through the web: pages as an
archivist reads them, forms as a browser posts them, CSRF, and who may reach each route."""
from __future__ import annotations

import re

import lxml.html
import pytest
from sqlalchemy import func, select

from archive import model
from archive.identity import SYSTEM
from tests.conftest import csrf_from

OH1 = "OH-2015-0001"            # en: 3 segments; R-1 "Khaled Haddad" (archivist), R-2 (researcher)
ARABIC = "DEMO-2016-0002"       # ar, with harakat
HISTORY = f"/staff/testimonies/{OH1}/history"
SEGMENTS = f"/staff/testimonies/{OH1}/segments"


def html(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    return [" ".join(p.text_content().split()) for p in html(response).xpath("//p[contains(@class, 'flash')]")]


def post(client, url: str, page: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_from(client, page)})


def segments(app, accession_id: str = OH1, key: str = "en") -> list[dict]:
    record = next(t for t in app.extensions["archive"].transfer.export(SYSTEM, "admin")["testimonies"]
                  if t["id"] == accession_id)
    return next(tr for tr in record["transcripts"] if tr["id"] == key)["segments"]


def revisions(app, accession_id: str = OH1) -> int:
    with app.extensions["archive"].db.session() as session:
        return session.scalar(select(func.count()).select_from(model.Revision)
                              .where(model.Revision.accession_id == accession_id))


def no_inline_script(body: str) -> None:
    doc = lxml.html.fromstring(body)
    assert all(s.get("src") for s in doc.xpath("//script")), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", body), "event-handler attribute"


def describe(client, seq: int, title: str, accession_id: str = OH1, key: str = "en", page: str = SEGMENTS):
    return post(client, f"/staff/testimonies/{accession_id}/segments/describe", page, transcript=key, seq=str(seq),
                title=title)


# -- history and diffs ----------------------------------------------------------------------------------------

def test_history_lists_revisions_and_the_diff_marks_what_changed(app, signed_in):
    archivist = signed_in("archivist")
    assert describe(archivist, 1, "Crossing the river").status_code == 302
    page = archivist.get(HISTORY)
    assert page.status_code == 200
    no_inline_script(page.get_data(as_text=True))
    rows = html(page).xpath("//table[contains(@class, 'revisions')]/tbody/tr")
    assert [r.xpath("td")[3].text_content() for r in rows] == ["segment 1 of en: title edited",
                                                                "imported from archive-v1.json"]
    link = rows[0].xpath(".//a[text()='What it changed']")[0].get("href")
    diff = archivist.get(link)
    assert diff.status_code == 200
    body = diff.get_data(as_text=True)
    no_inline_script(body)
    doc = html(diff)
    assert [d.text_content() for d in doc.xpath("//section[@id='transcript-en']//del")] == ["The first crossing"]
    assert [i.text_content() for i in doc.xpath("//section[@id='transcript-en']//ins")] == ["Crossing the river"]
    # the restore form restores the left side of the diff, with its CSRF token
    form = doc.xpath("//section[@id='restore']//form")[0]
    assert form.xpath(".//input[@name='csrf_token']") and form.xpath(".//input[@name='revision']")


def test_a_transcript_diff_in_arabic_is_marked_word_by_word_and_reads_right_to_left(app, signed_in):
    archive = app.extensions["archive"]
    first = archive.history.revisions(SYSTEM, ARABIC)[-1]["id"]
    # a restore over a changed text: change the text behind the archive's back, as an old revision would hold it
    with archive.db.session() as session:
        tr = session.scalar(select(model.Transcript).join(model.Testimony)
                            .where(model.Testimony.accession_id == ARABIC))
        old_word = tr.text.split()[3]
        tr.text = tr.text.replace(old_word, "كلمةٌ", 1)
    archivist = signed_in("archivist")
    page = archivist.get(f"/staff/testimonies/{ARABIC}/history/diff", query_string={"from": first})
    assert page.status_code == 200
    doc = html(page)
    words = doc.xpath("//p[contains(@class, 'word-diff')]")[0]
    assert words.get("dir") == "auto" and words.get("lang") == "ar"
    assert [d.text_content() for d in words.xpath(".//del")] == [old_word]
    assert [i.text_content() for i in words.xpath(".//ins")] == ["كلمةٌ"]


def test_restore_through_the_web_writes_a_new_revision(app, signed_in):
    archivist = signed_in("archivist")
    first = app.extensions["archive"].history.revisions(SYSTEM, OH1)[-1]["id"]
    describe(archivist, 0, "Zebrafinch")
    count = revisions(app)
    diff_page = f"{HISTORY}/diff?from={first}"
    response = post(archivist, f"{HISTORY}/restore", diff_page, revision=str(first))
    assert response.status_code == 302 and response.headers["Location"].endswith(HISTORY)
    assert f"{OH1} restored from #{first}" in flashes(archivist.get(HISTORY))[0]
    assert segments(app)[0]["title"] == "Raqqa under the group" and revisions(app) == count + 1


def test_a_refused_restore_says_why_and_changes_nothing(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    first = archive.history.revisions(SYSTEM, OH1)[-1]["id"]
    text = next(t for t in archive.transfer.export(SYSTEM, "admin")["testimonies"] if t["id"] == OH1)
    start = text["transcripts"][0]["text"].index("Raqqa")
    response = post(archivist, f"/staff/testimonies/{OH1}/redactions", f"/staff/testimonies/{OH1}", transcript="en",
                    start=str(start), end=str(start + 5), text="Raqqa", field="", category="place",
                    replacement="[city]", reason="", visible_to="archivist")
    assert response.status_code == 302
    count = revisions(app)
    public = signed_in("public").get(f"/api/v1/testimonies/{OH1}").get_json()
    refused = post(archivist, f"{HISTORY}/restore", f"{HISTORY}/diff?from={first}", revision=str(first))
    assert refused.status_code == 400
    message = " ".join(html(refused).text_content().split())
    assert "cannot restore" in message and "restoring would show it again" in message
    assert revisions(app) == count
    assert signed_in("public").get(f"/api/v1/testimonies/{OH1}").get_json() == public
    assert "[city]" in str(public)


def test_a_withdrawn_testimony_has_no_restore_form_and_refuses_one(app, signed_in):
    archivist = signed_in("archivist")
    withdrawn = "DEMO-2017-0011"
    first = app.extensions["archive"].history.revisions(SYSTEM, withdrawn)[-1]["id"]
    page = archivist.get(f"/staff/testimonies/{withdrawn}/history/diff?from={first}")
    assert page.status_code == 200 and not html(page).xpath("//section[@id='restore']")
    refused = post(archivist, f"/staff/testimonies/{withdrawn}/history/restore",
                   f"/staff/testimonies/{withdrawn}/history", revision=str(first))
    assert refused.status_code == 400 and "consent was withdrawn" in refused.get_data(as_text=True)


# -- the segment editor ---------------------------------------------------------------------------------------

def test_the_editor_has_a_form_per_segment_and_splits_at_a_chosen_place(app, signed_in):
    archivist = signed_in("archivist")
    page = archivist.get(SEGMENTS)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    no_inline_script(body)
    doc = html(page)
    assert doc.xpath("//script/@src") == ["/static/js/segment-split.js"]
    articles = doc.xpath("//article[contains(@class, 'segment-edit')]")
    assert len(articles) == 3 and all(len(a.xpath(".//form")) == (4 if n < 2 else 3) for n, a in enumerate(articles))
    choice = articles[0].xpath(".//select[@name='offset']/option/@value")[0]
    response = post(archivist, f"{SEGMENTS}/split", SEGMENTS, transcript="en", seq="0", offset=choice, at="",
                    start="", title="After the greeting")
    assert response.status_code == 302 and response.headers["Location"].endswith("#seg-en-1")
    after = segments(app)
    assert len(after) == 4 and after[1]["text_start"] == int(choice) and after[1]["title"] == "After the greeting"
    # an offset typed wins over the list
    response = post(archivist, f"{SEGMENTS}/split", SEGMENTS, transcript="en", seq="3", offset="", at="700", start="")
    assert response.status_code == 302 and segments(app)[4]["text_start"] == 700


def test_merge_retime_and_describe_through_the_web(app, signed_in):
    archivist = signed_in("archivist")
    assert post(archivist, f"{SEGMENTS}/merge", SEGMENTS, transcript="en", seq="1").status_code == 302
    assert [s["title"] for s in segments(app)] == ["Raqqa under the group", "The first crossing"]
    assert post(archivist, f"{SEGMENTS}/retime", SEGMENTS, transcript="en", seq="1", start="63.5",
                end="239").status_code == 302
    assert (segments(app)[1]["start"], segments(app)[1]["end"]) == (63.5, 239)
    response = post(archivist, f"{SEGMENTS}/describe", SEGMENTS, transcript="en", seq="1", title="Crossing",
                    synopsis="How they crossed.", keywords="river, night")
    assert response.status_code == 302
    assert (segments(app)[1]["synopsis"], segments(app)[1]["keywords"]) == ("How they crossed.", ["river", "night"])


def test_a_refused_segment_change_says_what_and_where(app, signed_in):
    archivist = signed_in("archivist")
    before, count = segments(app), revisions(app)
    bad = post(archivist, f"{SEGMENTS}/retime", SEGMENTS, transcript="en", seq="1", start="100", end="90")
    assert bad.status_code == 400
    text = " ".join(html(bad).text_content().split())
    assert "record OH-2015-0001 transcript en segment 1, field end" in text and "must come before" in text
    inside = post(archivist, f"{SEGMENTS}/split", SEGMENTS, transcript="en", seq="1", at="0", offset="")
    assert inside.status_code == 400
    nowhere = post(archivist, f"{SEGMENTS}/split", SEGMENTS, transcript="en", seq="1", at="", offset="")
    assert nowhere.status_code == 400 and "choose where to split" in nowhere.get_data(as_text=True)
    assert segments(app) == before and revisions(app) == count


# -- the audit log ------------------------------------------------------------------------------------------

def test_the_audit_log_filters_and_pages(app, signed_in):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    describe(archivist, 0, "One")
    describe(archivist, 0, "Two")
    with archive.db.session() as session:        # enough entries for three pages
        for n in range(120):
            archive.audit.record(session, SYSTEM, "test.filler", f"T-{n}")
    page = archivist.get("/staff/audit")
    assert page.status_code == 200
    no_inline_script(page.get_data(as_text=True))
    rows = html(page).xpath("//table[@class='records']/tbody/tr")
    assert len(rows) == 50
    older = html(page).xpath("//a[@rel='next']/@href")[0]
    assert "page=2" in older
    filtered = archivist.get("/staff/audit", query_string={"actor": "archivist", "action": "segment"})
    rows = html(filtered).xpath("//table[@class='records']/tbody/tr")
    assert [r.xpath("td")[2].text_content() for r in rows] == ["segment.describe", "segment.describe"]
    assert {r.xpath("td")[1].text_content() for r in rows} == {"archivist"}
    third = archivist.get("/staff/audit", query_string={"action": "test.filler", "page": "3"})
    doc = html(third)
    assert len(doc.xpath("//table[@class='records']/tbody/tr")) == 20
    assert "action=test.filler" in doc.xpath("//a[@rel='prev']/@href")[0] and not doc.xpath("//a[@rel='next']")
    target = archivist.get("/staff/audit", query_string={"target": "T-7"})
    assert [r.xpath("td")[3].text_content() for r in html(target).xpath("//table[@class='records']/tbody/tr")] == ["T-7"]
    bad = archivist.get("/staff/audit", query_string={"since": "last tuesday"})
    assert bad.status_code == 400 and "From (UTC day)" in bad.get_data(as_text=True)
    backwards = archivist.get("/staff/audit", query_string={"since": "2026-01-02", "until": "2026-01-01"})
    assert backwards.status_code == 400 and "after it ends" in backwards.get_data(as_text=True)


# -- CSRF and access ------------------------------------------------------------------------------------------

POSTS = {f"{HISTORY}/restore": {"revision": "1"},
         f"{SEGMENTS}/split": {"transcript": "en", "seq": "0", "at": "54"},
         f"{SEGMENTS}/merge": {"transcript": "en", "seq": "0"},
         f"{SEGMENTS}/retime": {"transcript": "en", "seq": "0", "start": "0", "end": "60"},
         f"{SEGMENTS}/describe": {"transcript": "en", "seq": "0", "title": "x"}}
GETS = (HISTORY, f"{HISTORY}/diff", f"{HISTORY}/diff?from=1", SEGMENTS, "/staff/audit?action=segment")


def test_every_post_demands_a_csrf_token(app, signed_in):
    archivist = signed_in("archivist")
    before, count = segments(app), revisions(app)
    for url, data in POSTS.items():
        response = archivist.post(url, data=data)
        assert response.status_code == 400, url
        assert "did not come from this site" in response.get_data(as_text=True), url
        assert archivist.post(url, data={**data, "csrf_token": "forged"}).status_code == 400, url
    assert segments(app) == before and revisions(app) == count


@pytest.mark.parametrize("audience", ["public", "researcher"])
def test_below_archivist_nothing_is_reachable(app, signed_in, audience):
    client = signed_in(audience)
    token = csrf_from(client, "/signin")
    before, count = segments(app), revisions(app)
    for url in GETS:
        response = client.get(url)
        assert response.status_code == (302 if audience == "public" else 403), url
        assert "Khaled" not in response.get_data(as_text=True)
    for url, data in POSTS.items():
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert segments(app) == before and revisions(app) == count
