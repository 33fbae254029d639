"""Following a search hit in real Chromium (issue 16): the segment lands in view below the sticky find
bar, the words the hit matched are marked (<mark>) there, and the recording's player, whose section is
scrolled away, stays in reach docked at the foot of the window."""
from __future__ import annotations

import json
import re

import pytest

from tests.audio_samples import sine_wav
from tests.browser.conftest import ARTIFACTS, _cli, _environment

pytestmark = pytest.mark.browser

LANDING = "BROWSER-LANDING-1"
WORD = "Tallowmere"
TARGET = 24                        # the segment that holds the word, far down a long transcript


@pytest.fixture(scope="module")
def landing(live, tmp_path_factory):
    folder = tmp_path_factory.mktemp("landing")
    lines = [f"Speaker: On day {n} we walked along the river and waited for the night to fall again.\n"
             for n in range(40)]
    lines[TARGET] = f"Speaker: At dawn we reached the bridge at {WORD} and crossed before the guards came.\n"
    text = "".join(lines)
    starts = [sum(len(line) for line in lines[:n]) for n in range(len(lines))]
    document = {"format": "testimony-archive/1", "collections": [{"id": "browser-landing", "title": "Landing"}],
                "testimonies": [{
                    "id": LANDING, "collection": "browser-landing", "title": "The long walk", "languages": ["en"],
                    "state": "published", "fictional": True,
                    "narrators": [{"id": "N-LANDING-1", "public_name": "Walker"}],
                    "consent": {"status": "granted", "scope": "open", "date": "2020-01-01",
                                "permissions": {"publish_transcript": True, "publish_audio": True}},
                    "transcripts": [{"id": "en", "language": "en", "text": text, "segments": [
                        {"start": n * 2.0, "title": f"Day {n}", "text_start": starts[n]} for n in range(len(lines))]}]}]}
    path = folder / "landing.json"
    path.write_text(json.dumps(document), "utf-8")
    recording = folder / "walk.wav"
    recording.write_bytes(sine_wav(82))
    env = _environment(live.instance)
    _cli(env, "import", "--fictional", str(path))
    _cli(env, "media", "add", LANDING, str(recording), "--kind", "audio")
    return LANDING


def test_a_hit_lands_below_the_bars_marked_with_the_player_in_reach(live_server, page, landing):
    page.goto(f"{live_server}/search?q={WORD}")
    link = page.locator("li.hit", has_text=LANDING).locator("a.seg-link").first
    assert re.fullmatch(rf"/testimonies/{LANDING}\?hl={WORD}#seg-en-{TARGET}", link.get_attribute("href"))
    link.click()
    page.wait_for_url(re.compile(rf"#seg-en-{TARGET}$"))
    segment = page.locator(f"#seg-en-{TARGET}")
    segment.locator("mark.landing-hit").first.wait_for()
    assert segment.locator("mark.landing-hit").all_inner_texts() == [WORD]
    assert page.locator("mark.landing-hit").count() == 1            # only where the reader lands

    page.wait_for_function("() => document.querySelector('.player').classList.contains('docked')")
    bar = page.locator("#find-form").bounding_box()
    seg = segment.bounding_box()
    player = page.locator(".player").bounding_box()
    height = page.viewport_size["height"]
    assert bar["y"] >= -1 and bar["y"] < 2, bar                     # the find bar is stuck at the top
    assert bar["y"] + bar["height"] <= seg["y"] < height / 2, (bar, seg)
    assert 0 <= player["y"] and player["y"] + player["height"] <= height, player
    assert seg["y"] + 20 < player["y"]                                # the segment's start is not under it
    page.screenshot(path=str(ARTIFACTS / "landing-segment.png"))

    # the player, docked, still plays from a timecode of the landing segment
    page.click(f"#seg-en-{TARGET} a.tc")
    page.wait_for_function(f"() => document.querySelector('.player').currentTime >= {TARGET * 2.0 - 0.5}")
    page.evaluate("document.querySelector('.player').pause()")

    # scrolled back to the top, the player returns to its place
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("() => !document.querySelector('.player').classList.contains('docked')")
    assert not page.problems, page.problems
