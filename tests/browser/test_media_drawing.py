"""Real Chromium: redaction drawn by hand on media, through the pages alone.

(a) An archivist uploads a photo carrying GPS EXIF, drags a box over it with the mouse and proposes
it; a second archivist approves; the derivative the public page shows has every pixel of the box
(scaled to its size, rounded outwards) filled, and no metadata at all.
(b) An archivist uploads a recording, marks a range on its timeline (a click to seek, the Mark start
button, Space to play, O to mark the end) and proposes it; a second archivist approves; the recording
the public page plays, fetched with Range requests, is silent in that range and only there.

Everything lives in a testimony and collection of its own, with words no other record holds, so no
other browser test's counts change."""
from __future__ import annotations

import io
import json
import math
import re
import subprocess
import wave
from fractions import Fraction

import pytest
from PIL import Image

from archive.media.audio import conceal
from tests.audio_samples import SINE_RMS, sine_wav
from tests.browser.conftest import ARCHIVIST, ARTIFACTS, _cli, _environment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ACCESSION = "MEDIA-DRAW-0001"
COLLECTION = "media-drawing"
REVIEWER = "media-drawing-reviewer"
PHOTO_SIZE = (1600, 1200)        # larger than the medium size: every derivative is scaled
LATITUDE = ((35, 1), (57, 1), (1234, 100))          # a narrator's house, to the metre
LONGITUDE = ((39, 1), (1, 1), (5678, 100))
SECONDS = 20
FILL = (0, 0, 0)
QUIET = 60
LOUD = SINE_RMS * 0.7          # the sine, through a lossy derivative


@pytest.fixture(scope="module")
def testimony(live, tmp_path_factory):
    """Published, open, and consent permits images and audio."""
    path = tmp_path_factory.mktemp("media-drawing") / "testimony.json"
    path.write_text(json.dumps({
        "format": "testimony-archive/1",
        "collections": [{"id": COLLECTION, "title": "Media drawing"}],
        "testimonies": [{
            "id": ACCESSION, "collection": COLLECTION, "title": "The lighthouse keeper's harbour",
            "languages": ["en"], "state": "published", "fictional": True,
            "narrators": [{"id": "N-MEDIA-DRAW", "public_name": "The keeper"}],
            "consent": {"status": "granted", "scope": "open", "permissions": {
                "publish_transcript": True, "publish_images": True, "publish_audio": True}},
            "transcripts": [{"id": "en", "language": "en",
                             "text": "We kept the lamp burning through the squall.\n"}]}]}), "utf-8")
    env = _environment(live.instance)
    _cli(env, "import", "--fictional", str(path))
    _cli(env, "user", "add", REVIEWER, "--role", "archivist")
    return ACCESSION


def sign_in(page, base: str, username: str, then: str) -> None:
    page.goto(base + then)
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(re.escape(then) + "$"))


def attach(page, base: str, path, kind: str, caption: str) -> str:
    """Upload through the media page; returns the new asset's key (from the page it lands on)."""
    sign_in(page, base, ARCHIVIST, f"/staff/testimonies/{ACCESSION}/media")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=kind]", kind)
    page.fill("textarea[name=caption]", caption)
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/media/[0-9a-f]{64}$"))
    return page.url.rsplit("/", 1)[1]


def approve(browser, base: str, asset: str, row_selector: str) -> str:
    """The second archivist approves in a browser of their own; returns the row's text after."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    reviewer = context.new_page()
    try:
        sign_in(reviewer, base, REVIEWER, f"/staff/media/{asset}")
        with reviewer.expect_navigation():          # (back to the same page: wait for the new one)
            reviewer.click(f"{row_selector} button:has-text('Approve')")
        assert "approved." in reviewer.inner_text("p.flash")
        return reviewer.inner_text(row_selector)
    finally:
        context.close()


# --- (a) a box drawn on a photo ------------------------------------------------------------------

def gps_jpeg(path) -> None:
    """A bright gradient (never black), with GPS coordinates, EXIF text and a comment."""
    across = Image.linear_gradient("L").rotate(90).resize(PHOTO_SIZE).point(lambda v: 120 + v // 2)
    down = Image.linear_gradient("L").resize(PHOTO_SIZE).point(lambda v: 200 - v // 4)
    image = Image.merge("RGB", (across, down, Image.new("L", PHOTO_SIZE, 160)))
    exif = Image.Exif()
    exif[0x010E] = "The keeper at his door"          # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", tuple(Fraction(*v) for v in LATITUDE)
    gps[3], gps[4] = "E", tuple(Fraction(*v) for v in LONGITUDE)
    image.save(path, "JPEG", quality=95, exif=exif, comment=b"taken at the keeper's house")
    with Image.open(path) as written:
        assert written.getexif().get_ifd(0x8825)[2], "the test photo lost its GPS block"


def outward(box, source, target) -> tuple[int, int, int, int]:
    """The box in the target's pixels, widened to every pixel it touches (exact fractions)."""
    (sw, sh), (tw, th) = source, target
    x0, y0, x1, y1 = box
    return (math.floor(Fraction(x0 * tw, sw)), math.floor(Fraction(y0 * th, sh)),
            min(tw, math.ceil(Fraction(x1 * tw, sw))), min(th, math.ceil(Fraction(y1 * th, sh))))


def assert_bare(png: bytes) -> None:
    """No metadata of any kind, read back, and not the GPS block's bytes anywhere."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert dict(image.getexif()) == {}
    assert not set(image.info) & {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment",
                                  "Description", "dpi"}, image.info
    assert b"eXIf" not in png and b"iTXt" not in png and b"tEXt" not in png and b"zTXt" not in png
    assert b"keeper" not in png
    for value in (*LATITUDE, *LONGITUDE):
        for order in ("little", "big"):
            rational = value[0].to_bytes(4, order) + value[1].to_bytes(4, order)
            assert value[1] == 1 or rational not in png


def test_a_box_dragged_on_a_photo_is_filled_in_the_public_derivative_without_metadata(
        live_server, browser, page, testimony, tmp_path):
    path = tmp_path / "harbour.jpg"
    gps_jpeg(path)
    asset = attach(page, live_server, path, "photo", "The harbour wall")
    page.wait_for_function("() => document.getElementById('redact-image').naturalWidth > 0")

    # a real drag with the mouse, from 20 %/25 % to 55 %/60 % of the photo as displayed
    shown = page.locator("#redact-image").bounding_box()
    page.mouse.move(shown["x"] + shown["width"] * 0.20, shown["y"] + shown["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(shown["x"] + shown["width"] * 0.40, shown["y"] + shown["height"] * 0.40, steps=5)
    page.mouse.move(shown["x"] + shown["width"] * 0.55, shown["y"] + shown["height"] * 0.60, steps=5)
    page.mouse.up()
    box = [int(page.input_value(f"#box-form [name={n}]")) for n in ("x0", "y0", "x1", "y1")]
    width, height = PHOTO_SIZE
    expected = [width * 0.20, height * 0.25, width * 0.55, height * 0.60]
    assert all(abs(got - want) <= 2 for got, want in zip(box, expected)), (box, expected)
    page.select_option("#box-form [name=category]", "place")
    page.fill("#box-form [name=reason]", "the house number shows")
    page.select_option("#box-form [name=visible_to]", "archivist")
    page.screenshot(path=str(ARTIFACTS / "media-drawing-box.png"))
    with page.expect_navigation():
        page.click("#box-form button[type=submit]")
    assert page.url.endswith(f"/staff/media/{asset}")
    assert "Box B-1 proposed" in page.inner_text("p.flash")
    assert page.problems == []

    row = "tr:has(td:text-is('B-1'))"
    assert f"approved by {REVIEWER}" in approve(browser, live_server, asset, row)

    public = browser.new_context()
    reader = public.new_page()
    try:
        reader.goto(f"{live_server}/testimonies/{ACCESSION}")
        image = reader.locator("section.photos img")
        link = reader.locator("section.photos a")
        assert image.count() == 1
        for url in (image.get_attribute("src"), link.get_attribute("href")):   # the thumbnail, then the medium
            response = public.request.get(live_server + url)
            assert response.status == 200 and response.headers["content-type"] == "image/png"
            png = response.body()
            assert_bare(png)
            derived = Image.open(io.BytesIO(png)).convert("RGB")
            assert derived.size[0] < width                   # a scaled copy: the box was scaled too
            x0, y0, x1, y1 = outward(box, PHOTO_SIZE, derived.size)
            inside = [derived.getpixel((x, y)) for y in range(y0, y1) for x in range(x0, x1)]
            assert len(inside) > 100 and set(inside) == {FILL}, url
            # around the box, the photo itself
            for xy in ((x0 - 3, y0 - 3), (x1 + 2, y1 + 2), (2, 2), (derived.size[0] - 3, derived.size[1] - 3)):
                assert sum(derived.getpixel(xy)) > 300, (url, xy)
    finally:
        public.close()


# --- (b) a range marked on a recording's timeline -----------------------------------------------

def clock_seconds(text: str) -> float:
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + float(seconds)


def decoded(data: bytes) -> tuple[list[int], int]:
    """The recording decoded by ffmpeg to a mono 16-bit WAV, read with the wave module."""
    done = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-ac", "1",
                           "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"], input=data, capture_output=True,
                          timeout=120, check=True)
    with wave.open(io.BytesIO(done.stdout)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    return memoryview(frames).cast("h").tolist(), rate


def rms(decoded_samples: tuple[list[int], int], start: float, end: float) -> float:
    values, rate = decoded_samples
    window = values[int(start * rate):int(end * rate)]
    assert window, (start, end)
    return math.sqrt(sum(v * v for v in window) / len(window))


def fetch_by_ranges(context, url: str) -> bytes:
    """The whole file in two Range requests, each checked (206, Content-Range, length)."""
    first = context.request.get(url, headers={"Range": "bytes=0-1023"})
    assert first.status == 206, first.status
    total = int(re.fullmatch(r"bytes 0-1023/(\d+)", first.headers["content-range"]).group(1))
    rest = context.request.get(url, headers={"Range": f"bytes=1024-{total - 1}"})
    assert rest.status == 206 and rest.headers["content-range"] == f"bytes 1024-{total - 1}/{total}"
    data = first.body() + rest.body()
    assert len(data) == total
    return data


def position(page) -> float:
    return page.eval_on_selector("#range-audio", "a => a.currentTime")


def test_a_range_marked_on_the_timeline_is_silent_in_the_public_recording(live_server, browser, page, testimony,
                                                                         tmp_path):
    path = tmp_path / "keeper.wav"
    path.write_bytes(sine_wav(SECONDS))
    asset = attach(page, live_server, path, "audio", "The keeper speaks")
    page.eval_on_selector("#range-audio", "a => { a.muted = true; }")
    page.wait_for_function("() => document.getElementById('range-audio').readyState >= 1")
    timeline = page.locator("#range-timeline")
    bar = timeline.bounding_box()
    middle = bar["y"] + bar["height"] / 2

    # a drag across the timeline draws a range at once (10 % to 20 %: 0:02 to 0:04)
    page.mouse.move(bar["x"] + bar["width"] * 0.10, middle)
    page.mouse.down()
    page.mouse.move(bar["x"] + bar["width"] * 0.20, middle, steps=5)
    page.mouse.up()
    assert abs(clock_seconds(page.input_value("#range-form [name=start]")) - 2) < 0.2
    assert abs(clock_seconds(page.input_value("#range-form [name=end]")) - 4) < 0.2

    # a click on the timeline moves the position (25 %: 0:05); Mark start takes it
    page.mouse.click(bar["x"] + bar["width"] * 0.25, middle)
    assert abs(position(page) - 5) < 0.2
    page.click("#mark-start")
    start = clock_seconds(page.input_value("#range-form [name=start]"))
    assert start == pytest.approx(position(page), abs=0.001) and abs(start - 5) < 0.2
    assert page.input_value("#range-form [name=end]") == ""      # the old end lay before the new start

    # on the focused timeline: Space plays, O marks the end where playback is, Space pauses
    timeline.focus()
    page.keyboard.press("Space")
    page.wait_for_function(f"() => document.getElementById('range-audio').currentTime > {start + 3}",
                           timeout=15_000)
    page.keyboard.press("o")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('range-audio').paused")
    end = clock_seconds(page.input_value("#range-form [name=end]"))
    assert start + 3 <= end < start + 8
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('#range-timeline > div'))
        .filter(d => d.style.outline).map(d => [d.style.display, parseFloat(d.style.left)])[0]""")
    assert drawn[0] == "block" and drawn[1] == pytest.approx(100 * start / SECONDS, abs=0.1)

    page.select_option("#range-form [name=category]", "person")
    page.fill("#range-form [name=reason]", "the keeper names his brother")
    page.select_option("#range-form [name=visible_to]", "archivist")
    page.screenshot(path=str(ARTIFACTS / "media-drawing-range.png"))
    with page.expect_navigation():
        page.click("#range-form button[type=submit]")
    assert page.url.endswith(f"/staff/media/{asset}#ranges")
    assert re.search(r"Range A-1 \(0:0\d\.\d{3}–0:\d\d\.\d{3}\) proposed", page.inner_text("p.flash"))
    assert "proposed" in page.inner_text("#range-A-1 td.state")
    assert page.locator("#range-timeline > div", has_text="A-1").count() == 1
    assert page.problems == []

    assert f"approved by {REVIEWER}" in approve(browser, live_server, asset, "#range-A-1")

    public = browser.new_context()
    reader = public.new_page()
    try:
        reader.goto(f"{live_server}/testimonies/{ACCESSION}")
        src = reader.locator("section.recording audio.player").get_attribute("src")
        assert src == f"/media/{asset}/audio"
        heard = decoded(fetch_by_ranges(public, live_server + src))
    finally:
        public.close()
    # silent in the range widened to the grid (archive/media/audio.py conceal), and only there
    ((silent_from, silent_to),) = conceal([(start, end)])
    assert rms(heard, silent_from + 0.05, silent_to - 0.05) < QUIET
    assert rms(heard, 0.5, silent_from - 0.3) > LOUD
    if silent_to + 0.8 < SECONDS:
        assert rms(heard, silent_to + 0.3, SECONDS - 0.5) > LOUD

    # the archivists' copy keeps the voice: the range hides it from lower audiences only
    staff = decoded(fetch_by_ranges(page.context, live_server + src))
    assert rms(staff, start + 0.05, end - 0.05) > LOUD


# --- (c) a transcript redaction placed on the timeline from its estimate --------------------------

PLACED = "DEMO-2015-0001"       # published, open, publish_audio; four transcript redactions in timed segments


def place_every_redaction(page) -> list[str]:
    """On a recording's staff page: for each transcript redaction, "Start from the estimate", nudge
    the start by ear (here: a fixed 0.2 s), confirm. Returns the flash messages."""
    flashes = []
    count = page.locator("button.placement-use").count()
    for n in range(count):
        button = page.locator("button.placement-use").nth(n)
        key, estimate = button.get_attribute("data-redaction"), float(button.get_attribute("data-start"))
        button.click()
        assert page.input_value("#range-form [name=redaction]") == key
        assert clock_seconds(page.input_value("#range-form [name=start]")) == pytest.approx(estimate, abs=0.001)
        # the player waits a little before the estimate, where listening starts
        assert position(page) == pytest.approx(max(0.0, estimate - 2), abs=0.3)
        page.fill("#range-form [name=start]", f"{estimate + 0.2:.3f}")
        with page.expect_navigation():
            page.click("#range-form button[type=submit]")
        flashes.append(page.inner_text("p.flash"))
    return flashes


def test_a_transcript_redaction_is_confirmed_from_its_estimate_and_only_then_heard(live_server, browser, page,
                                                                                  tmp_path):
    path = tmp_path / "teacher.wav"
    path.write_bytes(sine_wav(230))
    sign_in(page, live_server, ARCHIVIST, f"/staff/testimonies/{PLACED}/media")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=kind]", "audio")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/media/[0-9a-f]{64}$"))
    asset = page.url.rsplit("/", 1)[1]
    assert page.locator("p.flash", has_text="hear this recording only once you confirm").count() == 1
    page.eval_on_selector("#range-audio", "a => { a.muted = true; }")
    page.wait_for_function("() => document.getElementById('range-audio').readyState >= 1")
    assert page.locator("#placement-table tbody tr").count() == 4
    assert page.locator("#placement-table", has_text="not confirmed").count() == 1

    public = browser.new_context()
    reader = public.new_page()
    try:
        reader.goto(f"{live_server}/testimonies/{PLACED}")
        assert reader.locator("audio.player").count() == 0          # nothing to hear yet
        flashes = place_every_redaction(page)
        assert all(re.search(r"confirmed for DEMO-R-00\d", f) for f in flashes), flashes
        assert page.locator("#placement-table", has_text="not confirmed").count() == 0
        assert page.problems == []
        reader.goto(f"{live_server}/testimonies/{PLACED}")
        assert reader.locator("audio.player").get_attribute("src") == f"/media/{asset}/audio"
    finally:
        public.close()
