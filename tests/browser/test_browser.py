"""Real Chromium against the real server: search, read a redacted testimony, Arabic right to left,
an archivist signing in through the form. Screenshots go to artifacts/ for a human to look at."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARCHIVIST, ARTIFACTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# The visual lines of an element's text: one {top, bottom, left, right} per line, from its text nodes' rects.
LINES_JS = """e => {
  const lines = [];
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1) continue;
      const middle = (r.top + r.bottom) / 2;
      let line = lines.find(l => middle > l.top && middle < l.bottom);
      if (!line) { line = {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; lines.push(line); }
      line.left = Math.min(line.left, r.left); line.right = Math.max(line.right, r.right);
    }
  }
  return lines.sort((a, b) => a.top - b.top);
}"""


def assert_clean(page) -> None:
    assert not page.problems, "console errors or CSP violations:\n" + "\n".join(page.problems)


def text_lines(locator) -> tuple[dict, list[dict]]:
    box = locator.evaluate("e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right}; }")
    return box, locator.evaluate(LINES_JS)


def test_search_from_the_home_page_and_open_a_hit_at_its_segment(live_server, page):
    page.goto(live_server + "/")
    page.fill("#q", "Raqqa")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=Raqqa"))
    count = page.inner_text("#result-count")
    assert re.fullmatch(r"\d+ testimon(y|ies) for “Raqqa”", count.strip()), count
    assert int(count.split()[0]) >= 2
    hit = page.locator("li.hit", has_text="OH-2015-0001")
    assert hit.count() == 1
    assert hit.locator(".snippet mark").first.inner_text().lower() == "raqqa"
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

    link = hit.locator("a.seg-link").first
    href = link.get_attribute("href")
    assert re.fullmatch(r"/testimonies/OH-2015-0001\?hl=Raqqa#seg-en-\d+", href), href
    link.click()
    page.wait_for_url(re.compile(r"/testimonies/OH-2015-0001\?hl=Raqqa#seg-en-\d+$"))
    fragment = page.url.split("#", 1)[1]
    target = page.locator(f"#{fragment}")
    assert target.evaluate("e => e.matches(':target')")
    assert page.evaluate("document.querySelector(':target').id") == fragment
    assert target.is_visible()
    assert page.locator("h1").inner_text() == "Driving defectors to the border"

    body = page.content()
    assert "[name withheld]" in body and "[undisclosed location]" in body
    for secret in ("Khaled", "Haddad", "Suluk", "Gaziantep", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1"):
        assert secret not in body, secret
    assert page.locator("span.redacted", has_text="[name withheld]").count() == 1
    assert page.locator("mark.redacted-original").count() == 0

    # English reads left to right: every line starts at the text's left edge.
    box, lines = text_lines(page.locator("section.transcript[lang=en] .segment .text").first)
    assert lines and all(abs(line["left"] - box["left"]) < 2 for line in lines), (box, lines)
    page.screenshot(path=str(ARTIFACTS / "testimony.png"), full_page=True)
    assert_clean(page)


def test_an_arabic_search_opens_a_transcript_laid_out_right_to_left(live_server, page):
    page.goto(live_server + "/search")
    page.fill("#q", "الرقة")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("#result-count")
    hit = page.locator("li.hit", has_text="DEMO-2016-0002")
    assert hit.count() == 1
    assert hit.locator(".snippet mark").count() >= 1
    assert hit.locator(".snippet").first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    hit.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/testimonies/DEMO-2016-0002$"))

    section = page.locator("section.transcript[lang=ar]")
    assert section.count() == 1
    assert section.get_attribute("dir") == "rtl"
    assert section.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("html").get_attribute("dir") == "ltr"      # the page chrome stays left to right

    checked = 0
    for text in section.locator(".segment .text").all():
        box, lines = text_lines(text)
        assert lines, "an Arabic segment rendered no text"
        # Right to left: each line starts at the right edge of its block ...
        for line in lines:
            assert abs(box["right"] - line["right"]) < 8, (box, line)   # a redaction's padding at most
        # ... and a line shorter than the block leaves its gap on the left, not on the right.
        short = [line for line in lines if line["right"] - line["left"] < (box["right"] - box["left"]) * 0.8]
        for line in short:
            assert line["left"] - box["left"] > 20, (box, line)
        checked += len(short)
    assert checked >= 1, "no short line to tell right-aligned from justified text"
    page.screenshot(path=str(ARTIFACTS / "arabic.png"), full_page=True)
    assert_clean(page)


def test_an_archivist_signs_in_through_the_form_and_sees_the_originals_marked(live_server, page):
    page.goto(live_server + "/staff/")
    page.wait_for_url(re.compile(r"/signin\?next="))              # anonymous: sent to sign in
    assert page.locator("form.stacked input[name=csrf_token]").count() == 1
    page.fill("#username", ARCHIVIST)
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/$"))                     # back to the page asked for
    assert page.locator("header.site .role").inner_text() == f"{ARCHIVIST} · archivist"
    cookie = next(c for c in page.context.cookies() if c["name"] == "archive_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    assert page.locator("h1").inner_text() == "Archivist's dashboard"
    rows = page.locator("table.records tbody tr")
    assert rows.count() >= 13          # the 13 seeded testimonies (other browser tests may add more)
    assert page.locator("table.records", has_text="OH-2015-0002").count() == 1
    page.screenshot(path=str(ARTIFACTS / "staff.png"), full_page=True)

    page.goto(live_server + "/testimonies/OH-2015-0001")
    original = page.locator("mark.redacted-original del", has_text="Khaled Haddad")
    assert original.count() == 1
    assert original.locator("xpath=..").locator("ins").inner_text() == "[name withheld]"
    assert page.locator(".staff-note:not(.media-note)").count() == 1
    assert "Gaziantep, Turkey" in page.locator("dl.metadata").inner_text()
    assert_clean(page)

    page.click("header.site button:has-text('Sign out')")
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/testimonies/OH-2015-0001")
    assert "Khaled" not in page.content()
    assert_clean(page)


def test_the_csp_listener_reports_a_blocked_inline_script(live_server, page):
    """The clean-page checks above mean something: an inline script is refused and reported."""
    page.goto(live_server + "/about")
    assert not page.problems
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    assert page.evaluate("window.__ran === undefined")
    for _ in range(100):                  # the violation event is dispatched asynchronously
        if any(p.startswith("CSP violation: script-src") for p in page.problems):
            break
        page.wait_for_timeout(50)
    assert any(p.startswith("CSP violation: script-src") for p in page.problems), page.problems
    assert any(p.startswith("console error:") and "Content Security Policy" in p for p in page.problems)


def test_the_server_is_gunicorn_with_two_workers(live):
    log = live.log_text()
    assert "Starting gunicorn" in log, log
    assert log.count("Booting worker") >= 2, log
    assert "Traceback" not in log, log


def test_faceted_search_then_a_segment_hit_lands_on_its_segment(live_server, page):
    page.goto(live_server + "/search?q=crossing")
    total = int(page.inner_text("#result-count").split()[0])
    facet = page.locator("section.facet[data-facet='language'] a", has_text="English")
    facet.click()
    page.wait_for_url(re.compile(r"language=en"))
    assert page.locator("section.facet[data-facet='language'] a[aria-current='true']").inner_text().strip() == "✓ English"
    filtered = int(page.inner_text("#result-count").split()[0])
    assert 0 < filtered <= total
    page.select_option("#sort", "-date")
    page.click("form.sort button")
    page.wait_for_url(re.compile(r"sort=-date"))
    assert "language=en" in page.url                    # the permalink keeps every choice
    link = page.locator("a.seg-link").first
    href = link.get_attribute("href")
    link.click()
    fragment = href.split("#", 1)[1]
    page.wait_for_url(re.compile("#" + re.escape(fragment) + "$"))
    target = page.locator(f"#{fragment}")
    box = target.bounding_box()
    viewport = page.viewport_size
    assert box is not None and 0 <= box["y"] < viewport["height"], (box, viewport)
    assert target.evaluate("e => e.matches(':target')")
    assert_clean(page)


def test_find_in_transcript_counts_and_steps_through_matches(live_server, page):
    page.goto(live_server + "/testimonies/OH-2015-0001")
    page.fill("#find-input", "the")
    page.press("#find-input", "Enter")
    status = page.locator("#find-status")
    status.wait_for()
    first = status.inner_text()
    match = re.fullmatch(r"1 of (\d+)", first)
    assert match and int(match.group(1)) >= 2, first
    hits = page.locator("mark.find-hit")
    assert hits.count() == int(match.group(1))
    assert page.locator("mark.find-current").inner_text().lower() == "the"
    page.click("#find-next")
    assert status.inner_text() == f"2 of {match.group(1)}"
    page.click("#find-prev")
    page.click("#find-prev")
    assert status.inner_text() == f"{match.group(1)} of {match.group(1)}"   # wraps around
    page.fill("#find-input", "zzznothing")
    page.press("#find-input", "Enter")
    assert status.inner_text() == "No matches" and page.locator("mark.find-hit").count() == 0
    page.screenshot(path=str(ARTIFACTS / "find-in-transcript.png"), full_page=False)
    assert_clean(page)


def test_citation_page_gives_three_styles_with_the_segment_timecode(live_server, page):
    page.goto(live_server + "/testimonies/OH-2015-0001")
    page.locator("a.cite-segment").nth(1).click()
    page.wait_for_url(re.compile(r"/cite\?segment=en-1"))
    chicago = page.inner_text("#cite-chicago p")
    assert "Omar" in chicago and "at 0:01:02" in chicago and "/testimonies/OH-2015-0001#seg-en-1" in chicago
    assert "@misc{OH20150001-en-1," in page.inner_text("#cite-bibtex pre")
    assert "Khaled" not in page.content()
    assert_clean(page)
