"""Real Chromium: an archivist selects a name in the transcript, the redaction form gets its
code-point offsets and text, the archivist proposes it, a second archivist approves, and the
public page shows the replacement. Offsets are checked against the source files, not the page."""
from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import ARCHIVIST, ARTIFACTS, ROOT, _cli, _environment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LEILA = "DEMO-2018-0007"
SECOND = "second-archivist"
ASTRAL = "BROWSER-ASTRAL-1"
# Before the name: characters outside the Basic Multilingual Plane, two UTF-16 units each, so a
# UTF-16 offset would be wrong by three; the name carries harakat, which must stay with their letters.
ASTRAL_TEXT = ("المحاور: من كان معك؟ 🙂🙂\n"
               "الراوي: كان معي 𝔸 صديقي خَالِد الحَسَن، وكنا نعبر النهر ليلاً.\n")
ASTRAL_NAME = "خَالِد الحَسَن"


def demo_text(accession_id: str, key: str) -> str:
    demo = json.loads((ROOT / "archive" / "demo" / "demo-collection.json").read_text("utf-8"))
    record = next(t for t in demo["testimonies"] if t["id"] == accession_id)
    return next(tr["text"] for tr in record["transcripts"] if tr["id"] == key)


@pytest.fixture(scope="module")
def second_archivist(live):
    _cli(_environment(live.instance), "user", "add", SECOND, "--role", "archivist")
    return SECOND


@pytest.fixture(scope="module")
def astral_testimony(live, tmp_path_factory):
    path = tmp_path_factory.mktemp("astral") / "astral.json"
    path.write_text(json.dumps({
        "format": "testimony-archive/1", "collections": [{"id": "browser-tests", "title": "Browser tests"}],
        "testimonies": [{
            "id": ASTRAL, "collection": "browser-tests", "title": "نهر في الليل", "languages": ["ar"],
            "state": "published", "fictional": True, "narrators": [{"id": "N-ASTRAL", "public_name": "الراوي"}],
            "consent": {"status": "granted", "scope": "open", "permissions": {"publish_transcript": True}},
            "transcripts": [{"id": "ar", "language": "ar", "text": ASTRAL_TEXT}]}]}, ensure_ascii=False), "utf-8")
    _cli(_environment(live.instance), "import", "--fictional", str(path))
    return ASTRAL


def sign_in(page, base: str, username: str, then: str) -> None:
    page.goto(base + then)
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(re.escape(then) + "$"))


# The screen rectangle of `needle` inside the transcript's original-text pieces (the first match).
RECT_JS = """([key, needle]) => {
  for (const el of document.querySelectorAll(`[data-transcript="${key}"] .src`)) {
    const node = el.firstChild, at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + needle.length);
    el.scrollIntoView({block: "center"});
    const r = range.getClientRects()[0];
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  }
  return null;
}"""

# Select `length` UTF-16 units of `needle` (from its start) with the Selection API, as the keyboard would.
SELECT_JS = """([key, needle, length]) => {
  for (const el of document.querySelectorAll(`[data-transcript="${key}"] .src`)) {
    const node = el.firstChild, at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + length);
    const selection = window.getSelection();
    selection.removeAllRanges(); selection.addRange(range);
    return true;
  }
  return false;
}"""


# (functions, not expressions: the page's CSP forbids eval, which a string expression would need)
FILLED = "() => document.querySelector('#redaction-form [name=text]').value !== ''"
FILLED_WITH = "(want) => document.querySelector('#redaction-form [name=text]').value === want"


def form_values(page) -> dict:
    return {name: page.input_value(f"#redaction-form [name={name}]") for name in ("transcript", "start", "end", "text")}


def test_select_a_name_redact_it_approve_it_and_the_public_sees_the_replacement(live_server, browser, page,
                                                                               second_archivist):
    text = demo_text(LEILA, "en")
    start = text.index("Anas")
    assert text.count("Anas") == 1
    sign_in(page, live_server, ARCHIVIST, f"/staff/testimonies/{LEILA}")

    # a real mouse drag across the name, as an archivist would make it
    box = page.evaluate(RECT_JS, ["en", "Anas"])
    assert box, "the name is not on the page"
    middle = (box["top"] + box["bottom"]) / 2
    page.mouse.move(box["left"] + 1, middle)
    page.mouse.down()
    page.mouse.move((box["left"] + box["right"]) / 2, middle, steps=4)
    page.mouse.move(box["right"] - 1, middle, steps=4)
    # while the button is held the drag goes on: the form must not open and move the transcript
    page.wait_for_timeout(400)
    assert form_values(page)["text"] == "" and not page.locator("#redaction-details").evaluate("d => d.open")
    page.mouse.up()
    page.wait_for_function(FILLED)
    assert form_values(page) == {"transcript": "en", "start": str(start), "end": str(start + 4), "text": "Anas"}
    assert page.locator("#redaction-details").evaluate("d => d.open")
    assert "Anas" in page.inner_text("#selection-status")
    page.screenshot(path=str(ARTIFACTS / "redact-select.png"), full_page=False)

    page.select_option("#redaction-form [name=category]", "third party")
    page.fill("#redaction-form [name=replacement]", "[Narrator's brother]")
    page.fill("#redaction-form [name=reason]", "his asylum case is open")
    page.click("#redaction-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/staff/testimonies/{LEILA}$"))
    flash = page.inner_text("p.flash")
    key = re.search(r"Redaction (R-\d+) proposed", flash).group(1)
    row = page.locator(f"#redaction-{key}")
    assert "Anas" in row.inner_text() and "proposed" in row.inner_text()
    assert_clean(page)

    # the second archivist approves, in a browser of their own
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    reviewer = context.new_page()
    try:
        sign_in(reviewer, live_server, SECOND, f"/staff/testimonies/{LEILA}")
        reviewer.click(f"#redaction-{key} button:has-text('Approve')")
        reviewer.wait_for_url(re.compile(rf"/staff/testimonies/{LEILA}$"))
        assert f"approved by {SECOND}" in reviewer.inner_text(f"#redaction-{key}")
    finally:
        context.close()

    public = browser.new_context()
    reader = public.new_page()
    try:
        reader.goto(f"{live_server}/testimonies/{LEILA}")
        assert reader.locator("span.redacted", has_text="[Narrator's brother]").count() == 1
        assert "Anas" not in reader.content()
        reader.goto(f"{live_server}/search?q=Anas")
        assert LEILA not in reader.content()
    finally:
        public.close()


def test_offsets_are_code_points_and_never_split_a_letter_from_its_harakat(live_server, page, astral_testimony):
    start = ASTRAL_TEXT.index(ASTRAL_NAME)
    assert len(ASTRAL_TEXT[:start].encode("utf-16-le")) // 2 == start + 3      # three astral characters before
    sign_in(page, live_server, ARCHIVIST, f"/staff/testimonies/{ASTRAL}")

    # the whole name, selected in UTF-16 units: the form says code points
    assert page.evaluate(SELECT_JS, ["ar", ASTRAL_NAME, len(ASTRAL_NAME)])
    page.wait_for_function(FILLED_WITH, arg=ASTRAL_NAME)
    assert form_values(page) == {"transcript": "ar", "start": str(start), "end": str(start + len(ASTRAL_NAME)),
                                 "text": ASTRAL_NAME}

    # a selection that ends between a letter and its haraka takes the haraka too
    first_word = ASTRAL_NAME.split(" ")[0]
    cut = first_word.index("ل") + 1                      # right after lam, before its kasra
    assert page.evaluate(SELECT_JS, ["ar", ASTRAL_NAME, cut])
    expected = first_word[:cut + 1]                       # lam with its kasra
    page.wait_for_function(FILLED_WITH, arg=expected)
    assert form_values(page)["end"] == str(start + len(expected))

    # select the whole name again and propose it: the server accepts the span as it is
    assert page.evaluate(SELECT_JS, ["ar", ASTRAL_NAME, len(ASTRAL_NAME)])
    page.wait_for_function(FILLED_WITH, arg=ASTRAL_NAME)
    page.fill("#redaction-form [name=replacement]", "[اسم محجوب]")
    page.click("#redaction-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/staff/testimonies/{ASTRAL}$"))
    assert re.search(r"Redaction R-\d+ proposed", page.inner_text("p.flash"))
    page.goto(f"{live_server}/staff/testimonies/{ASTRAL}/preview")
    public = page.locator("section.preview-column[data-audience=public]")
    assert "[اسم محجوب]" in public.inner_text() and "خَالِد" not in public.inner_text()
    assert "🙂🙂" in public.inner_text()
    assert_clean(page)


def test_a_selection_outside_the_transcript_changes_nothing(live_server, page):
    sign_in(page, live_server, ARCHIVIST, "/staff/testimonies/OH-2015-0001")
    page.evaluate("""() => { const h = document.querySelector('h1'); const r = document.createRange();
        r.selectNodeContents(h); const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }""")
    page.wait_for_timeout(400)
    assert form_values(page) == {"transcript": "", "start": "", "end": "", "text": ""}
    # inside a redaction whose original the archivist may read: its offsets in the transcript
    text = demo_text_example("en")
    phrase = "Khaled Haddad"
    assert page.evaluate(SELECT_JS, ["en", phrase, len(phrase)])
    page.wait_for_function(FILLED)
    start = text.index(phrase)
    assert form_values(page) == {"transcript": "en", "start": str(start), "end": str(start + len(phrase)),
                                 "text": phrase}
    assert_clean(page)


def demo_text_example(key: str) -> str:
    from tests.conftest import EXAMPLE
    record = json.loads(EXAMPLE.read_text("utf-8"))["testimonies"][0]
    return next(tr["text"] for tr in record["transcripts"] if tr["id"] == key)


def assert_clean(page) -> None:
    assert not page.problems, "console errors or CSP violations:\n" + "\n".join(page.problems)
