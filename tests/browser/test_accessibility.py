"""axe-core (Deque's accessibility engine, the copy bundled by the pinned axe-playwright-python) run in real
Chromium on every page type of every audience: the public's, a researcher's, and an admin's staff pages.
Any violation, whatever its impact, fails the test and is listed with the elements it concerns.

The page's Content-Security-Policy forbids injected scripts; this test's browser context alone bypasses it
(Playwright's bypass_csp) so axe can be injected; the other browser tests keep the policy and report any
violation of it."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from tests.browser.conftest import _cli, _environment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ADMIN, RESEARCHER = "axe-admin", "axe-researcher"
IN_REVIEW = "DEMO-2017-0009"       # not published: a recording can be attached without a publication check

# (path, expected status). Each page type once, for each audience that has it.
PUBLIC = [("/", 200), ("/search?q=Raqqa", 200), ("/search?q=Raqa", 200), ("/search?q=%D8%A7%D9%84%D8%B1%D9%82%D8%A9", 200),
          ("/search?q=Raqqa&collection=leaving-raqqa", 200), ("/search/help", 200),
          ("/testimonies/OH-2015-0001", 200), ("/testimonies/DEMO-2016-0006", 200),
          ("/testimonies/OH-2015-0001?hl=Raqqa#seg-en-0", 200),
          ("/testimonies/OH-2015-0001/cite", 200), ("/testimonies/DEMO-2017-0011", 410),
          ("/collections", 200), ("/collections/leaving-raqqa", 200), ("/about", 200), ("/signin", 200),
          ("/no-such-page", 404)]
RESEARCHERS = [("/search?q=Raqqa", 200), ("/testimonies/DEMO-2015-0003", 200)]
STAFF = ["/staff/", "/staff/testimonies/OH-2015-0001", f"/staff/testimonies/{IN_REVIEW}",
         f"/staff/testimonies/{IN_REVIEW}/edit", f"/staff/testimonies/{IN_REVIEW}/segments",
         f"/staff/testimonies/{IN_REVIEW}/media", "{asset}", f"/staff/testimonies/{IN_REVIEW}/consent",
         "/staff/testimonies/OH-2015-0001/preview", "/staff/testimonies/OH-2015-0001/history",
         f"/staff/testimonies/{IN_REVIEW}/withdraw", "/staff/jobs", "{job}", "/staff/users", "/staff/intake",
         "/staff/records", "/staff/records/testimonies/new", "/staff/records/narrators/new",
         "/staff/records/collections/new", "/staff/records/authorities/new", "/staff/audit",
         "/staff/sensitive-terms"]


@pytest.fixture(scope="module")
def accounts(live, tmp_path_factory):
    from tests.audio_samples import sine_wav
    env = _environment(live.instance)
    _cli(env, "user", "add", ADMIN, "--role", "admin")
    _cli(env, "user", "add", RESEARCHER, "--role", "researcher")
    recording = tmp_path_factory.mktemp("axe") / "short.wav"
    recording.write_bytes(sine_wav(4))
    _cli(env, "media", "add", IN_REVIEW, str(recording), "--kind", "audio")   # a media page and a job page


def violations(page, base: str, path: str, status: int) -> list[str]:
    response = page.goto(base + path)
    assert response.status == status, f"{path} answered {response.status}"
    found = page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")
    return [f"{path}: {v['id']} ({v['impact']}) {v['help']}: " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in found]


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")


def test_axe_finds_no_violation_on_any_page_of_any_audience(live_server, browser, accounts):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_init_script(AXE_SCRIPT)       # into every page this context loads, before the page's own scripts
    try:
        page = context.new_page()
        found = [v for path, status in PUBLIC for v in violations(page, live_server, path, status)]
        # the search box with its suggestions open (the combobox's listbox and options)
        page.goto(live_server + "/")
        page.locator("#q").press_sequentially("Raqa", delay=20)
        page.locator("#q-suggestions [role=option]").first.wait_for()
        found += [f"/ (suggestions open): {v['id']} ({v['impact']}) {v['help']}" for v in
                  page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")]

        sign_in(page, live_server, RESEARCHER)
        found += [v for path, status in RESEARCHERS for v in violations(page, live_server, path, status)]

        context.clear_cookies()
        sign_in(page, live_server, ADMIN)
        page.goto(live_server + f"/staff/testimonies/{IN_REVIEW}/media")
        asset = page.locator("a[href^='/staff/media/']").first.get_attribute("href")
        page.goto(live_server + "/staff/jobs")
        job = page.locator("a[href^='/staff/jobs/']").first.get_attribute("href")
        assert re.fullmatch(r"/staff/media/\w+", asset) and re.fullmatch(r"/staff/jobs/\w+", job), (asset, job)
        checked = len(PUBLIC) + 1 + len(RESEARCHERS) + len(STAFF)
        found += [v for path in STAFF for v in violations(page, live_server, path.format(asset=asset, job=job), 200)]
    finally:
        context.close()
    assert not found, f"axe-core found {len(found)} violations on {checked} pages:\n" + "\n".join(found)
