"""Real Chromium: a recording attached (through the CLI, as an operator would) to a published testimony
whose consent permits audio; the reader clicks a segment's timecode, the audio jumps there, plays
(muted) and the highlighted segment follows the playback into the next one; a #seg- link seeks on load;
the keyboard moves the player."""
from __future__ import annotations

import pytest

from tests.audio_samples import sine_wav
from tests.browser.conftest import ARCHIVIST, ARTIFACTS, _cli, _environment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LISTEN = "DEMO-2016-0006"          # open, publish_audio true; segments start at 0, 53.5, 115, 170 s
PLAYING = "el => el.classList.contains('playing') && el.getAttribute('aria-current') === 'time'"


@pytest.fixture(scope="module")
def recording(live, tmp_path_factory, browser):
    path = tmp_path_factory.mktemp("recording") / "interview.wav"
    path.write_bytes(sine_wav(195))
    _cli(_environment(live.instance), "media", "add", LISTEN, str(path), "--kind", "audio")
    # Readers hear it once an archivist has confirmed where each transcript redaction is heard: here,
    # on the recording's timeline, from each estimate as offered.
    context = browser.new_context()
    try:
        staff = context.new_page()
        media = f"/staff/testimonies/{LISTEN}/media"
        staff.goto(live.url + media)
        staff.fill("#username", ARCHIVIST)
        staff.fill("#password", PASSWORD)
        with staff.expect_navigation():
            staff.click("form.stacked button[type=submit]")
        with staff.expect_navigation():
            staff.click("a:has-text('Redact')")
        for n in range(staff.locator("button.placement-use").count()):
            staff.locator("button.placement-use").nth(n).click()
            with staff.expect_navigation():
                staff.click("#range-form button[type=submit]")
        assert staff.locator("#placement-table", has_text="not confirmed").count() == 0
    finally:
        context.close()
    return path


def current_time(page) -> float:
    return page.eval_on_selector("audio.player", "a => a.currentTime")


def highlighted(page) -> list[str]:
    return page.eval_on_selector_all(".segment.playing", "els => els.map(e => e.id)")


def test_a_timecode_click_plays_from_there_and_the_highlight_follows(page, live_server, recording):
    page.goto(f"{live_server}/testimonies/{LISTEN}")
    page.eval_on_selector("audio.player", "a => { a.muted = true; }")
    page.wait_for_function("() => document.querySelector('audio.player').readyState >= 1")
    assert highlighted(page) == []

    page.click("#seg-en-1 a.tc")                       # 00:53
    page.wait_for_function("() => { const a = document.querySelector('audio.player');"
                           " return !a.paused && a.currentTime > 53.6; }")
    assert 53.5 <= current_time(page) < 58
    assert highlighted(page) == ["seg-en-1"]
    assert page.eval_on_selector("#seg-en-1", PLAYING)
    assert page.evaluate("location.hash") == "#seg-en-1"

    # close to the segment's end, then let it play across into the next one
    page.eval_on_selector("audio.player", "a => { a.currentTime = 113.6; }")
    page.wait_for_function("() => document.querySelector('audio.player').currentTime > 115.1", timeout=15_000)
    page.wait_for_function("() => document.querySelector('#seg-en-2').classList.contains('playing')")
    assert highlighted(page) == ["seg-en-2"]
    assert page.eval_on_selector("#seg-en-1", "el => el.getAttribute('aria-current')") is None
    page.screenshot(path=str(ARTIFACTS / "audio-player.png"))

    # keyboard: Space pauses and plays, the arrows move 5 seconds
    page.focus("audio.player")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('audio.player').paused")
    before = current_time(page)
    page.keyboard.press("ArrowLeft")
    assert current_time(page) == pytest.approx(before - 5, abs=0.01)
    page.wait_for_function("() => document.querySelector('#seg-en-1').classList.contains('playing')")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert current_time(page) == pytest.approx(before + 5, abs=0.01)
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.querySelector('audio.player').paused")
    assert page.problems == []


def test_a_search_hit_link_seeks_to_its_segment_on_load(page, live_server, recording):
    page.goto(f"{live_server}/testimonies/{LISTEN}#seg-en-3")
    page.wait_for_function("() => document.querySelector('audio.player').currentTime === 170")
    page.wait_for_function("() => document.querySelector('#seg-en-3').classList.contains('playing')")
    assert page.eval_on_selector("audio.player", "a => a.paused")       # seeks, never plays unasked
    tracks = page.eval_on_selector("audio.player", "a => Array.from(a.textTracks).map(t => [t.kind, t.mode])")
    assert tracks == [["captions", "showing"]]
    assert page.problems == []
