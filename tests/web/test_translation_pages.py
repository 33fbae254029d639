"""Translations on the pages (issue 14): the testimony page reads a translation beside its original,
segment by segment, each column with its language and direction and the original marked; a search hit
in the translation links to its segment, which is said at the original's moment; the staff form links
a translation, and refuses (on the editor, with the segment and span) one that would show readers a
name its original redacts."""
from __future__ import annotations

import lxml.html

from archive.identity import SYSTEM
from tests.conftest import csrf_from
from tests.translation_fixtures import ACCESSION, CANARY, document, write

PAGE = f"/testimonies/{ACCESSION}"
EDITOR = f"/staff/testimonies/{ACCESSION}/segments"


def html(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def test_the_translation_is_read_beside_its_original_and_a_hit_lands_on_its_moment(app, client, tmp_path):
    doc = document(timed=False)
    for n, seg in enumerate(doc["testimonies"][0]["transcripts"][0]["segments"]):
        seg.update(start=10.0 * n, end=10.0 * (n + 1))
    app.extensions["archive"].transfer.import_file(SYSTEM, write(tmp_path, doc))
    page = client.get(PAGE)
    assert page.status_code == 200 and CANARY not in page.get_data(as_text=True)
    rows = html(page).xpath("//section[@class='parallel']/div[@class='pair']")
    assert len(rows) == 2
    for n, row in enumerate(rows):
        original, translation = row.xpath("./div[contains(@class, 'transcript')]")
        assert (original.get("lang"), original.get("dir"), translation.get("lang"), translation.get("dir")) == \
            ("en", "ltr", "sk", "ltr")
        assert original.xpath("./article/@id") == [f"seg-en-{n}"] and translation.xpath("./article/@id") == [f"seg-sk-{n}"]
        # The untimed translation is said when its original is: the player seeks there from its link.
        assert translation.xpath("./article/@data-start") == [str(10.0 * n)]
    head = html(page).xpath("//section[@class='parallel']/div[contains(@class, 'parallel-head')]")[0]
    assert "Original" in head.xpath("./p[contains(@class, 'original-label')]")[0].text_content()
    assert "T. Prekladateľ" in head.xpath("./p[contains(@class, 'translation-label')]")[0].text_content()
    results = html(client.get("/search", query_string={"q": "rieke"}))
    [link] = results.xpath("//a[@class='seg-link']/@href")
    assert link.startswith(PAGE) and link.endswith("#seg-sk-0")


def test_the_form_links_a_translation_or_says_which_segment_and_span_stop_it(app, signed_in, tmp_path):
    app.extensions["archive"].transfer.import_file(SYSTEM, write(tmp_path, document(counterpart=None, linked=False)))
    archivist = signed_in("archivist")
    data = {"transcript": "sk", "translation_of": "en", "translator": "T. P.", "machine": "y",
            "csrf_token": csrf_from(archivist, EDITOR)}
    refused = archivist.post(f"{EDITOR}/translation", data=data)
    assert refused.status_code == 400
    alert = html(refused).get_element_by_id("translation-sk-refusal").text_content()
    assert "redaction R-1" in alert and "segment 0" in alert and "translation sk" in alert
    assert "translation" not in [t["kind"] for t in app.extensions["archive"].testimonies.get(
        SYSTEM, ACCESSION)["transcripts"]]
    # An unpublished copy takes the link (and says, for staff, why readers would not get it yet).
    app.extensions["archive"].testimonies.set_state(SYSTEM, ACCESSION, "draft", two_person=False)
    assert archivist.post(f"{EDITOR}/translation", data=data).status_code == 302
    editor = html(archivist.get(EDITOR))
    assert editor.xpath("//select[@id='translation-sk-of']/option[@selected]/@value") == ["en"]
    assert "redaction R-1" in editor.xpath("//p[contains(@class, 'translation-gap')]")[0].text_content()
