"""Real Chromium, the interface in Arabic (issue 16): the header's switch turns the whole layout right to
left (the site's name on the right, the results beside the filters mirrored), the interface's words are
Arabic, and a testimony keeps its own language and direction. Screenshots: artifacts/arabic-*.png."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_redact_select import assert_clean

pytestmark = pytest.mark.browser


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box, selector
    return box


def test_the_arabic_interface_is_mirrored_on_the_search_and_testimony_pages(live_server, page):
    page.goto(f"{live_server}/search?q=Raqqa")
    english_brand = _box(page, "header.site .brand")
    assert english_brand["x"] < 200                                        # left to right: the name on the left
    page.click("nav.languages a[hreflang=ar]")                            # the switch, a plain link
    page.wait_for_url(f"{live_server}/search?q=Raqqa")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert page.locator("h1").inner_text() == "بحث"
    width = page.viewport_size["width"]
    brand, nav = _box(page, "header.site .brand"), _box(page, "header.site nav")
    assert brand["x"] + brand["width"] > width - 200 and nav["x"] < brand["x"]     # the header's first item on the right
    filters, results = _box(page, "aside.facets"), _box(page, "section.results")
    assert filters["x"] > results["x"]                                     # the filters beside the results, on the right
    assert page.locator("body").evaluate("b => getComputedStyle(b).direction") == "rtl"
    page.screenshot(path=str(ARTIFACTS / "arabic-search.png"))

    page.click("li.hit h2 a >> nth=0")                                       # the choice persists
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    metadata = page.locator("dl.metadata dt").first
    term, value = metadata.bounding_box(), page.locator("dl.metadata dd").first.bounding_box()
    assert term["x"] > value["x"]                                          # label on the right of its value
    transcript = page.locator("section.transcript, div.transcript").first
    language = transcript.get_attribute("lang")
    assert transcript.evaluate("e => getComputedStyle(e).direction") == ("rtl" if language == "ar" else "ltr")
    page.screenshot(path=str(ARTIFACTS / "arabic-testimony.png"))
    assert_clean(page)
