"""A historian's path in real Chromium: search, open a hit, read the replacement, read Arabic."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_search_open_a_hit_and_read_the_replacement(live_server, page):
    page.goto(live_server + "/")
    page.fill("#q", "Raqqa")
    page.press("#q", "Enter")
    page.wait_for_selector("#result-count")
    assert "testimon" in page.inner_text("#result-count")
    hit = page.locator(".hit", has_text="OH-2015-0001")
    assert hit.locator("mark").count() > 0
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    hit.locator("a.seg-link").first.click()
    page.wait_for_load_state()
    assert "/testimonies/OH-2015-0001#seg-en-" in page.url
    fragment = page.url.split("#", 1)[1]
    assert page.eval_on_selector(f"#{fragment}", "e => e.matches(':target')")
    body = page.content()
    assert "[name withheld]" in body and "[undisclosed location]" in body
    assert "Khaled" not in body and "Haddad" not in body and "Gaziantep" not in body
    page.screenshot(path=str(ARTIFACTS / "testimony.png"), full_page=True)
    assert not page.problems, page.problems


def test_an_arabic_testimony_reads_right_to_left(live_server, page):
    page.goto(live_server + "/search?q=" + "الرقة")
    link = page.locator(".hit h2 a", has_text="ممرّضة")
    link.first.click()
    page.wait_for_load_state()
    section = page.locator("section.transcript[lang=ar]")
    assert section.evaluate("e => getComputedStyle(e).direction") == "rtl"
    box = section.bounding_box()
    line = section.locator(".segment .text").first.evaluate(
        """e => { const r = document.createRange(); r.selectNodeContents(e);
                  const rects = [...r.getClientRects()].filter(x => x.width > 1); const first = rects[0];
                  return {left: first.left, right: first.right}; }""")
    assert abs((box["x"] + box["width"]) - line["right"]) < 4, (box, line)
    assert line["left"] - box["x"] > 10, "a short first line should leave room on the left"
    page.screenshot(path=str(ARTIFACTS / "arabic.png"), full_page=True)
    assert not page.problems, page.problems


def test_an_archivist_signs_in_and_sees_the_originals_marked(live_server, page):
    page.goto(live_server + "/signin")
    page.fill("#username", "archivist")
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_server + "/staff/")
    assert page.locator("table.records").count() == 1
    page.screenshot(path=str(ARTIFACTS / "staff.png"), full_page=True)
    page.goto(live_server + "/testimonies/OH-2015-0001")
    marked = page.locator("mark.redacted-original del", has_text="Khaled Haddad")
    assert marked.count() == 1
    assert not page.problems, page.problems
