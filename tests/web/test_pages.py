"""The public pages as an anonymous visitor reads them: home, search, testimonies, collections, errors."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

PUBLIC_IDS = {"DEMO-2015-0001", "DEMO-2016-0002", "DEMO-2016-0006", "DEMO-2016-0008", "DEMO-2017-0010",
              "DEMO-2018-0007", "OH-2015-0001"}
ARABIC_IDS = {"DEMO-2016-0002", "DEMO-2016-0008"}
SECRETS = ("Khaled", "Haddad", "Suluk", "Gaziantep, Turkey", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1")


def page(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, f"GET {url} -> {response.status_code}"
    text = response.get_data(as_text=True)
    return lxml.html.fromstring(text), text


def squash(node) -> str:
    return " ".join(node.text_content().split())


def hit_ids(doc) -> list[str]:
    return [squash(a) for a in doc.xpath("//li[@class='hit']/h2/span[@class='accession']")]


def facet_links(doc, kind: str) -> dict[str, str]:
    """The facet's values as shown (label -> link) for one kind ("Language", "Place", ...)."""
    section = doc.xpath(f"//aside[@class='facets']//section[h2='{kind}']")
    assert section, f"no {kind} facet"
    return {squash(a).lstrip("✓ "): a.get("href") for a in section[0].xpath(".//a")}


def test_home_page_counts_what_the_public_may_read_and_offers_search(client):
    doc, text = page(client, "/")
    assert doc.xpath("//form[@role='search' and @action='/search']//input[@name='q' and @id='q']")
    lead = squash(doc.xpath("//section[@class='hero']/p[@class='lead']")[0])
    assert lead.startswith("7 testimonies, 3 collections, in Arabic, English, French.")
    links = doc.xpath("//ul[@class='collections']/li/a/@href")
    assert links == ["/collections/crossings", "/collections/leaving-raqqa", "/collections/mosul-witnesses"]
    assert doc.xpath("//header[@class='site']//a[@href='/signin']")
    for secret in SECRETS:
        assert secret not in text


def test_search_shows_count_highlighted_snippets_and_facets(client):
    doc, text = page(client, "/search?q=Raqqa")
    assert squash(doc.get_element_by_id("result-count")) == "3 testimonies for “Raqqa”"
    ids = hit_ids(doc)
    assert ids[0] == "OH-2015-0001" and set(ids[1:]) == {"DEMO-2015-0001", "DEMO-2016-0002"}
    first = doc.xpath("//li[@class='hit'][1]")[0]
    assert [m.text for m in first.xpath(".//p[@class='snippet']/mark")][:1] == ["Raqqa"]
    seg_links = first.xpath(".//a[@class='seg-link']/@href")
    # (hl= carries the words the snippet marked, for the page to mark where the reader lands)
    assert seg_links and all(re.fullmatch(r"/testimonies/OH-2015-0001(\?hl=Raqqa)?#seg-en-\d+", h) for h in seg_links)
    assert "?hl=Raqqa#" in seg_links[0]
    assert first.xpath(".//a[@class='seg-link']/span[@class='tc']")[0].text == "0:00:00"
    # The snippet of a segment with a redaction carries the replacement, never the original.
    assert "[name withheld]" in text
    for secret in SECRETS:
        assert secret not in text
    links = {label: (urlsplit(href).path, parse_qs(urlsplit(href).query))
             for label, href in facet_links(doc, "Language").items()}
    assert links == {"English": ("/search", {"q": ["Raqqa"], "language": ["en"]}),
                     "Arabic": ("/search", {"q": ["Raqqa"], "language": ["ar"]})}
    assert "Raqqa" in facet_links(doc, "Place") and "Tel Abyad" in facet_links(doc, "Place")
    assert {"Collection", "Language", "Place", "Subject", "Year"} <= {squash(h) for h in doc.xpath("//aside//h2")}


def test_an_arabic_query_finds_the_arabic_and_english_testimonies(client):
    doc, _ = page(client, "/search?q=الرقة")
    assert {"OH-2015-0001", "DEMO-2016-0002"} <= set(hit_ids(doc))
    assert doc.xpath("//li[@class='hit']//p[@class='snippet' and @dir='auto']/mark")


def test_language_filter_returns_only_arabic_testimonies(client):
    doc, _ = page(client, "/search?q=&language=ar")
    assert set(hit_ids(doc)) == ARABIC_IDS
    assert squash(doc.get_element_by_id("result-count")) == "2 testimonies"
    active = doc.xpath("//aside//a[@aria-current='true']")
    assert [squash(a) for a in active] == ["✓ Arabic"]
    assert active[0].get("href") == "/search"                  # clicking it again removes the filter
    assert doc.xpath("//aside//a[text()='Clear filters']/@href") == ["/search"]


def test_two_values_of_one_facet_are_ored_and_other_facets_anded(client):
    english, _ = page(client, "/search?q=&language=en")
    french, _ = page(client, "/search?q=&language=fr")
    both, _ = page(client, "/search?q=&language=en&language=fr")
    assert set(english.xpath("//li[@class='hit']/h2/span/text()")) == {"DEMO-2015-0001", "DEMO-2016-0006",
                                                                       "DEMO-2018-0007", "OH-2015-0001"}
    assert set(hit_ids(french)) == {"DEMO-2017-0010"}
    assert set(hit_ids(both)) == set(hit_ids(english)) | set(hit_ids(french))
    narrowed, _ = page(client, "/search?q=&language=en&language=fr&collection=leaving-raqqa")
    assert set(hit_ids(narrowed)) == {"DEMO-2015-0001", "OH-2015-0001"}


def test_facet_links_toggle_one_value_and_keep_the_rest(client):
    doc, _ = page(client, "/search?q=Raqqa&language=en")
    place = facet_links(doc, "Place")["Tel Abyad"]
    assert parse_qs(urlsplit(place).query) == {"q": ["Raqqa"], "language": ["en"], "place": ["place:tel-abyad"]}
    follow, _ = page(client, place)
    assert set(hit_ids(follow)) == {"OH-2015-0001", "DEMO-2015-0001"}


@pytest.mark.parametrize("query, message", [("title:(", "Unbalanced parentheses"),
                                            ('"unclosed', "Unbalanced quotation marks")])
def test_malformed_queries_get_a_helpful_message(client, query, message):
    doc, _ = page(client, "/search?" + f"q={query}")
    alert = doc.xpath("//p[@role='alert']")
    assert alert and message in squash(alert[0])
    assert doc.xpath("//input[@id='q']/@value") == [query]       # the query stays in the box to be fixed
    assert not doc.xpath("//li[@class='hit']")


ODD_QUERIES = ["(((", "AND", "OR OR", "*", "place:", "a" * 600, "title:) NOT (", "\\", "lang:", "~2", "^", "[a TO"]


def test_odd_queries_never_fail(client):
    for query in ODD_QUERIES:
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200, query
        assert "Something went wrong" not in response.get_data(as_text=True), query


def test_a_bad_page_number_is_tolerated(client):
    for value in ["abc", "-3", "0", "1e9", ""]:
        doc, _ = page(client, f"/search?q=Raqqa&page={value}")
        assert squash(doc.get_element_by_id("result-count")).startswith("3 testimonies"), value


def test_a_page_past_the_end_is_empty_not_an_error(client):
    doc, _ = page(client, "/search?q=Raqqa&page=99")
    assert squash(doc.get_element_by_id("result-count")).startswith("3 testimonies")
    assert hit_ids(doc) == []


def test_a_script_in_the_query_is_echoed_escaped(client):
    doc, text = page(client, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert doc.xpath("//input[@id='q']/@value") == ["<script>alert(1)</script>"]
    # (the page's own scripts are files under /static/; nothing inline)
    assert not doc.xpath("//script[not(@src)]")
    assert all(src.startswith("/static/") for src in doc.xpath("//script/@src"))


def test_testimony_page_shows_metadata_segments_and_replacements(client):
    doc, text = page(client, "/testimonies/OH-2015-0001")
    assert squash(doc.xpath("//h1")[0]) == "Driving defectors to the border"
    meta = dict(zip([squash(d) for d in doc.xpath("//dl[@class='metadata']/dt")],
                    [squash(d) for d in doc.xpath("//dl[@class='metadata']/dd")]))
    assert meta["Interview date"] == "June 2015"          # in the reader's locale (issue 16)
    assert meta["Interview place"] == "[undisclosed location]"
    assert meta["Languages"] == "English"
    assert meta["Narrator"] == "Omar (smuggler)"
    assert meta["Places"] == "Raqqa, Tel Abyad"
    assert meta["Consent"].startswith("Open to the public")
    segments = doc.xpath("//section[@class='transcript']/article[@class='segment']")
    assert [s.get("id") for s in segments] == ["seg-en-0", "seg-en-1", "seg-en-2"]
    assert [s.xpath(".//a[@class='tc']")[0].text for s in segments] == ["0:00:00", "0:01:02", "0:03:01"]
    assert [s.xpath(".//a[@class='tc']/@href")[0] for s in segments] == ["#seg-en-0", "#seg-en-1", "#seg-en-2"]
    assert segments[0].xpath(".//h3")[0].text == "Raqqa under the group"
    replaced = [squash(s) for s in doc.xpath("//span[@class='redacted']")]
    assert replaced == ["[name withheld]", "[place withheld]"]
    assert "A cousin, [name withheld], asked me" in squash(segments[1])
    assert not doc.xpath("//mark[contains(@class, 'redacted-original')]")
    for secret in SECRETS + ("the farm near",):
        assert secret not in text


def test_a_researcher_reads_what_is_visible_to_researchers(signed_in):
    doc, text = page(signed_in("researcher"), "/testimonies/OH-2015-0001")
    assert "the farm near Suluk" in text
    assert "Khaled" not in text and "EXAMPLE-LEGAL-NAME-1" not in text
    assert [squash(s) for s in doc.xpath("//span[@class='redacted']")] == ["[name withheld]"]


def test_arabic_transcript_is_marked_right_to_left(client):
    doc, _ = page(client, "/testimonies/DEMO-2016-0002")
    sections = doc.xpath("//section[contains(@class, 'transcript')]")
    assert [(s.get("lang"), s.get("dir")) for s in sections] == [("ar", "rtl")]
    assert doc.xpath("//h1")[0].get("dir") == "auto"
    assert all(s.get("id").startswith("seg-ar-") for s in sections[0].xpath("article"))
    english, _ = page(client, "/testimonies/OH-2015-0001")
    assert [(s.get("lang"), s.get("dir")) for s in english.xpath("//section[contains(@class, 'transcript')]")] \
        == [("en", "ltr")]


def test_collections_and_a_collection_page(client):
    doc, _ = page(client, "/collections")
    counts = {squash(li.xpath("a")[0]): squash(li.xpath("span[@class='count']")[0])
              for li in doc.xpath("//ul[@class='collections']/li")}
    assert counts == {"Crossings: the Aegean and the Balkan route": "3 testimonies",
                      "Leaving Raqqa, 2014-2016": "3 testimonies", "Témoins de Mossoul": "1 testimony"}
    doc, text = page(client, "/collections/leaving-raqqa")
    assert squash(doc.xpath("//h1")[0]) == "Leaving Raqqa, 2014-2016"
    ids = [squash(s) for s in doc.xpath("//article[@class='card']//span[@class='accession']")]
    assert ids == ["DEMO-2015-0001", "DEMO-2016-0002", "OH-2015-0001"]   # not the embargoed OH-2015-0002
    assert doc.xpath("//a[text()='Search within this collection']/@href") == ["/search?collection=leaving-raqqa"]
    assert "Leaving after a promotion" not in text


HIDDEN_OR_MISSING = ["/testimonies/NOPE-0000", "/testimonies/OH-2015-0002", "/testimonies/DEMO-2017-0009",
                     "/testimonies/DEMO-2015-0003", "/testimonies/DEMO-2015-0004", "/testimonies/DEMO-2017-0005",
                     "/collections/nope", "/no/such/page"]


def test_unknown_and_hidden_records_are_the_same_404(client):
    bodies = set()
    for url in HIDDEN_OR_MISSING:
        doc, text = page(client, url, status=404)
        assert squash(doc.xpath("//h1")[0]) == "Not found", url
        bodies.add(squash(doc.xpath("//main")[0]))
    assert bodies == {"Not found There is nothing here that you can see. Home"}


def test_the_withdrawn_testimony_answers_410_with_its_tombstone(client, signed_in):
    for reader in (client, signed_in("researcher")):
        doc, text = page(reader, "/testimonies/DEMO-2017-0011", status=410)
        assert squash(doc.xpath("//section[@class='tombstone']/p[@class='accession']")[0]) == "DEMO-2017-0011"
        assert "Withdrawn at the narrator's request." in squash(doc.xpath("//h1")[0])
        assert "Withdrawn on May 14, 2019." in text
        assert "Le téléphone dans le réservoir" not in text and "Samer" not in text
    staff = signed_in("archivist").get("/testimonies/DEMO-2017-0011")
    assert staff.status_code == 200


def test_about_page(client):
    doc, _ = page(client, "/about")
    assert squash(doc.xpath("//h1")[0]) == "About this archive"
    assert doc.xpath("//span[@class='redacted']")


def test_the_public_never_sees_the_staff_link_and_staff_do(client, signed_in):
    doc, _ = page(client, "/")
    assert not doc.xpath("//nav//a[@href='/staff/']")
    doc, _ = page(signed_in("archivist"), "/")
    assert doc.xpath("//nav//a[@href='/staff/']")
    assert squash(doc.xpath("//span[contains(@class, 'role')]")[0]) == "archivist · archivist"
