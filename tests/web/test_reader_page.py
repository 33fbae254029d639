"""The reader's page and the dashboard (issue 16): CSV export typed once with a BOM, the dashboard
without a command-line hint and with the index rebuild out of the primary buttons."""
from __future__ import annotations

import lxml.html


def test_the_csv_export_says_its_type_once_and_starts_with_a_bom(client):
    response = client.get("/search/export.csv", query_string={"q": "Raqqa"})
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert response.data.startswith(b"\xef\xbb\xbf") and response.data.count(b"\xef\xbb\xbf") == 1
    assert response.data[3:].decode("utf-8").startswith("accession_id") or b"," in response.data[:200]


def test_the_dashboard_keeps_maintenance_apart_and_shows_no_command_line(signed_in):
    page = signed_in("archivist").get("/staff/").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    assert "python -m app" not in page
    primary = [a.text_content().strip() for a in doc.xpath("//nav[@class='dashboard-actions']//a")]
    assert "Rebuild search indexes" not in primary and "New testimony" in primary
    rebuild = doc.xpath("//details[@id='maintenance']//button")
    assert rebuild and "secondary" in rebuild[0].get("class")
    # exports are asked for in a form of their own, apart from the work buttons (a job makes them)
    assert doc.xpath("//form[contains(@class, 'dashboard-exports')]//button[contains(@class, 'secondary')]")
    assert "Accounts" not in primary
    admin = lxml.html.fromstring(signed_in("admin").get("/staff/").get_data(as_text=True))
    assert "Accounts" in [a.text_content().strip() for a in admin.xpath("//nav[@class='dashboard-actions']//a")]


def _facet(doc, name: str) -> dict[str, tuple[int, bool]]:
    """The facet's values as listed: label -> (count, ticked)."""
    out = {}
    for li in doc.xpath(f"//section[@data-facet='{name}']//li"):
        a = li.xpath(".//a")[0]
        out[a.get("href")] = (int(li.xpath("string(.//span[@class='count'])")), a.get("aria-current") == "true")
    return out


def test_a_ticked_facet_keeps_its_other_values_with_their_counts(client):
    doc = lxml.html.fromstring(client.get("/search", query_string={"q": ""}).get_data(as_text=True))
    before = doc.xpath("//section[@data-facet='language']//li")
    assert len(before) >= 2, "the demo's search needs two languages"
    first = before[0].xpath(".//a")[0].get("href")
    ticked = lxml.html.fromstring(client.get(first).get_data(as_text=True))
    after = _facet(ticked, "language")
    assert len(after) == len(before)                                         # the others stay listed
    assert sum(1 for _, on in after.values() if on) == 1
    counts = sorted(int(li.xpath("string(.//span[@class='count'])")) for li in before)
    assert sorted(c for c, _ in after.values()) == counts                    # with the counts they had
    # ticking a second value of the same facet widens the search (values are alternatives)
    second = next(href for href, (_, on) in after.items() if not on)
    both = lxml.html.fromstring(client.get(second).get_data(as_text=True))
    assert sum(1 for _, on in _facet(both, "language").values() if on) == 2
    total = lambda d: int(d.xpath("string(//p[@id='result-count'])").split()[0])       # noqa: E731
    assert total(both) >= total(ticked)


def test_titles_and_snippets_carry_their_known_language(client):
    doc = lxml.html.fromstring(client.get("/search", query_string={"q": "الرقة"}).get_data(as_text=True))
    snippets = doc.xpath("//p[@class='snippet'][@lang='ar']")
    assert snippets and all(p.get("dir") == "rtl" for p in snippets)
    titles = doc.xpath("//li[@class='hit']/h2/a[@lang]")
    assert all(a.get("dir") == ("rtl" if a.get("lang") == "ar" else "ltr") for a in titles)
    english = lxml.html.fromstring(client.get("/search", query_string={"q": "meeting"}).get_data(as_text=True))
    assert english.xpath("//p[@class='snippet'][@lang='en'][@dir='ltr']")
