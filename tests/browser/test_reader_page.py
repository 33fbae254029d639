"""Real Chromium, the reader's search page (issue 16): on a 390 px phone the filters fold and the
first result shows on the first screen; ticking a value keeps the facet's other values, so a second
one can be ticked in the page; Arabic snippets are marked lang="ar" and read right to left."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_redact_select import assert_clean

pytestmark = pytest.mark.browser


def test_on_a_phone_the_filters_fold_and_results_show_on_the_first_screen(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/search?q=")
        first = page.locator("li.hit").first
        box = first.bounding_box()
        assert box and box["y"] + 40 < 844, box                           # its title is on the first screen
        assert not page.locator(".facet-panel").evaluate("d => d.open")
        page.screenshot(path=str(ARTIFACTS / "search-390.png"))
        page.click(".facet-panel > summary")
        assert page.locator("section[data-facet=language]").is_visible()
        languages = page.locator("section[data-facet=language] li a")
        count = languages.count()
        assert count >= 2
        languages.first.click()
        page.wait_for_load_state()
        page.click(".facet-panel > summary")
        assert page.locator("section[data-facet=language] li a").count() == count      # the others stay
        page.locator("section[data-facet=language] li a:not(.active)").first.click()
        page.wait_for_load_state()
        assert page.locator("section[data-facet=language] li a.active").count() == 2
    finally:
        context.close()


def test_on_a_wide_screen_the_filters_stay_open_and_arabic_reads_right_to_left(live_server, page):
    page.goto(f"{live_server}/search?q=الرقة")
    assert page.locator(".facet-panel").evaluate("d => d.open")
    assert not page.locator(".facet-panel > summary").is_visible()
    snippet = page.locator("p.snippet[lang=ar]").first
    assert snippet.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.screenshot(path=str(ARTIFACTS / "search-arabic.png"))
    assert_clean(page)
