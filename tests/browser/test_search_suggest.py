"""The search box's autocomplete in real Chromium (issue 16): words from the reader's own index as they
type, a misspelling ("Raqa") offered its spelling ("Raqqa"), the ARIA combobox pattern driven by the
keyboard alone, within the page's Content-Security-Policy; without script the box is a plain search."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_raqa_offers_raqqa_and_the_keyboard_alone_searches_for_it(live_server, page):
    page.goto(live_server + "/")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    box.press_sequentially("Raqa", delay=30)
    options = page.locator("#q-suggestions [role=option]")
    options.first.wait_for()
    offered = options.all_inner_texts()
    assert "Raqqa" in offered, offered
    assert box.get_attribute("aria-expanded") == "true"
    assert page.locator("#q-suggestions").get_attribute("role") == "listbox"
    assert page.inner_text("#q-suggestions-status").startswith("Suggestions below the search box")
    page.screenshot(path=str(ARTIFACTS / "search-suggestions.png"))

    for _ in range(offered.index("Raqqa") + 1):
        box.press("ArrowDown")
    chosen = box.get_attribute("aria-activedescendant")
    assert page.locator(f"#{chosen}").inner_text() == "Raqqa"
    assert page.locator(f"#{chosen}").get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Raqqa$"))
    assert int(page.inner_text("#result-count").split()[0]) >= 2

    box = page.locator("#q")
    box.fill("")
    box.press_sequentially("Raq", delay=30)
    page.locator("#q-suggestions [role=option]").first.wait_for()
    box.press("Escape")
    assert page.locator("#q-suggestions").is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert not page.problems, page.problems


def test_without_script_the_box_is_a_plain_search(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        assert page.locator("#q").get_attribute("role") is None
        assert page.locator("#q-suggestions").is_hidden()
        page.fill("#q", "Raqqa")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r"/search\?q=Raqqa$"))
        assert int(page.inner_text("#result-count").split()[0]) >= 2
    finally:
        context.close()
