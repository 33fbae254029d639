"""The JSON API: each audience gets exactly its view, the same as the pages; no redirects, JSON errors."""
from __future__ import annotations

import re

import pytest

from archive.identity import SYSTEM
from tests.conftest import backend  # noqa: F401  (this module runs on both databases: tests/web/conftest.py)

PUBLIC = {"DEMO-2015-0001", "DEMO-2016-0002", "DEMO-2016-0006", "DEMO-2016-0008", "DEMO-2017-0010",
          "DEMO-2018-0007", "OH-2015-0001"}
RESEARCHER = PUBLIC | {"DEMO-2015-0003"}                       # consent scope "researchers"
STAFF = RESEARCHER | {"OH-2015-0002", "DEMO-2015-0004",        # embargoed until 2030 / 2031
                      "DEMO-2017-0005",                        # scope "archive"
                      "DEMO-2017-0009",                        # in review, consent pending
                      "DEMO-2017-0011"}                        # withdrawn
EXPECTED = {"public": PUBLIC, "researcher": RESEARCHER, "archivist": STAFF, "admin": STAFF}
SECRETS = ("Khaled", "Haddad", "Suluk", "Gaziantep, Turkey", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1")


def get_json(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, f"GET {url} -> {response.status_code}"
    assert response.mimetype == "application/json", url
    return response.get_json()


@pytest.mark.parametrize("role", ["public", "researcher", "archivist", "admin"])
def test_the_list_holds_exactly_what_each_audience_may_see(signed_in, role):
    body = get_json(signed_in(role), "/api/v1/testimonies")
    ids = [t["id"] for t in body["testimonies"]]
    assert len(ids) == len(set(ids)) == body["total"]
    assert set(ids) == EXPECTED[role]
    assert set(body["testimonies"][0]) == {"id", "title", "collection", "languages", "interview_date"}


def test_audiences_nest_public_researcher_archivist(signed_in):
    counts = [get_json(signed_in(role), "/api/v1/testimonies")["total"] for role in ("public", "researcher", "archivist")]
    assert counts == [7, 8, 13]


def test_the_list_can_be_limited_to_a_collection(client):
    body = get_json(client, "/api/v1/testimonies?collection=leaving-raqqa")
    assert {t["id"] for t in body["testimonies"]} == {"DEMO-2015-0001", "DEMO-2016-0002", "OH-2015-0001"}
    assert all(t["collection"] == "leaving-raqqa" for t in body["testimonies"])
    assert get_json(client, "/api/v1/testimonies?collection=no-such")["total"] == 0


@pytest.mark.parametrize("role, status", [("public", 404), ("researcher", 404), ("archivist", 200), ("admin", 200)])
def test_the_embargoed_testimony_exists_only_for_staff(signed_in, role, status):
    body = get_json(signed_in(role), "/api/v1/testimonies/OH-2015-0002", status=status)
    if status == 404:
        assert body == {"error": "Not found", "detail": None}     # the same answer as for an unknown id
        assert body == get_json(signed_in(role), "/api/v1/testimonies/OH-2099-9999", status=404)
    else:
        assert body["accession_id"] == "OH-2015-0002" and body["consent"]["embargo_until"] == "2030-01-01"


def test_a_testimony_as_each_audience_reads_it(signed_in):
    public = signed_in("public").get("/api/v1/testimonies/OH-2015-0001")
    text = public.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in text, secret
    view = public.get_json()
    assert view["accession_id"] == "OH-2015-0001" and view["interview_place"] == "[undisclosed location]"
    assert all("legal_name" not in n and "contact" not in n and "risk_notes" not in n for n in view["narrators"])
    assert "sensitive_terms" not in view or view["sensitive_terms"] == []
    assert "[name withheld]" in text and "[place withheld]" in text

    researcher = signed_in("researcher").get("/api/v1/testimonies/OH-2015-0001").get_data(as_text=True)
    assert "the farm near Suluk" in researcher and "Khaled" not in researcher
    assert "EXAMPLE-LEGAL-NAME-1" not in researcher

    staff_view = signed_in("archivist").get("/api/v1/testimonies/OH-2015-0001").get_json()
    assert staff_view["narrators"][0]["legal_name"] == "EXAMPLE-LEGAL-NAME-1"
    assert staff_view["interview_place"] == "Gaziantep, Turkey"


def test_a_withdrawn_testimony_is_gone_with_its_tombstone(signed_in):
    for role in ("public", "researcher"):
        body = get_json(signed_in(role), "/api/v1/testimonies/DEMO-2017-0011", status=410)
        assert body == {"error": "Gone", "tombstone": {"accession_id": "DEMO-2017-0011",
                                                       "message": "Withdrawn at the narrator's request.",
                                                       "withdrawn_at": "2019-05-14"}}
    assert get_json(signed_in("archivist"), "/api/v1/testimonies/DEMO-2017-0011")["state"] == "withdrawn"


def test_search_answers_a_documented_shape(client):
    body = get_json(client, "/api/v1/search?q=Raqqa")
    assert set(body) == {"query", "total", "page", "pagesize", "testimonies", "facets", "suggestion", "error",
                         "sort", "expanded"}
    # The other names of the place the archive knows, found in the public's own index, were searched too.
    assert body["sort"] == "relevance" and ["Al-Raqqa", "Al-Raqqah", "ar-Raqqah", "Rakka", "الرقة",
                                            "الرَّقَّة"] in body["expanded"]
    assert body["query"] == "Raqqa" and body["error"] is None and body["page"] == 1 and body["pagesize"] > 0
    assert body["total"] == 3 == len(body["testimonies"])
    # (The shape, not the ranking: the engines rank by their own scores, judged by tests/quality/.)
    found = {t["accession_id"]: t for t in body["testimonies"]}
    assert "OH-2015-0001" in found
    scores = [t["score"] for t in body["testimonies"]]
    assert scores == sorted(scores, reverse=True)     # by relevance, best first, whatever the engine's scale
    hit_keys = {"doc_id", "kind", "seq", "transcript", "start", "end", "title", "snippet_html", "score"}
    for testimony in body["testimonies"]:
        assert set(testimony) == {"accession_id", "title", "score", "hits"}
        assert testimony["hits"]
        for hit in testimony["hits"]:
            assert set(hit) == hit_keys
            assert hit["kind"] in ("segment", "meta")
    segment = next(h for h in found["OH-2015-0001"]["hits"] if h["kind"] == "segment")
    assert segment["transcript"] == "en" and isinstance(segment["seq"], int) and segment["start"] == 0.0
    assert "<mark>Raqqa</mark>" in segment["snippet_html"]
    assert set(body["facets"]) == {"collection", "language", "place", "subject", "role", "decade", "year", "audio"}
    assert ["en", 2] in body["facets"]["language"] and ["ar", 1] in body["facets"]["language"]
    text = client.get("/api/v1/search?q=Raqqa").get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in text


def test_search_snippets_escape_the_text_and_mark_only_the_match(client):
    body = get_json(client, "/api/v1/search?q=Raqqa")
    for testimony in body["testimonies"]:
        for hit in testimony["hits"]:
            assert re.sub(r"</?mark>", "", hit["snippet_html"]).count("<") == 0


@pytest.mark.parametrize("role, expected", [("public", set()), ("researcher", {"OH-2015-0001"}),
                                            ("archivist", {"OH-2015-0001"})])
def test_search_for_a_researcher_only_passage(signed_in, role, expected):
    body = get_json(signed_in(role), "/api/v1/search?q=Suluk")
    assert {t["accession_id"] for t in body["testimonies"]} == expected


def test_search_filters_and_errors(client):
    arabic = get_json(client, "/api/v1/search?q=&language=ar")
    assert {t["accession_id"] for t in arabic["testimonies"]} == {"DEMO-2016-0002", "DEMO-2016-0008"}
    broken = get_json(client, "/api/v1/search?q=title:(")
    assert broken["error"].startswith("Unbalanced parentheses") and broken["total"] == 0 and broken["testimonies"] == []
    tolerant = get_json(client, "/api/v1/search?q=Raqqa&page=abc")
    assert tolerant["page"] == 1 and tolerant["total"] == 3


def test_suggest(signed_in, client):
    body = get_json(client, "/api/v1/suggest?q=raq")
    assert set(body) == {"suggestions"}
    assert "raqqa" in body["suggestions"]
    assert all(s.startswith("raq") for s in body["suggestions"])
    assert "الرقة" in get_json(client, "/api/v1/suggest?q=الر")["suggestions"]
    assert get_json(client, "/api/v1/suggest?q=")["suggestions"] == []
    for prefix in ("khal", "hadd", "sulu"):
        assert get_json(client, f"/api/v1/suggest?q={prefix}")["suggestions"] == [], prefix
    assert not any(s.startswith("خالد") for s in get_json(client, "/api/v1/suggest?q=خال")["suggestions"])
    assert "suluk" in get_json(signed_in("researcher"), "/api/v1/suggest?q=sulu")["suggestions"]


def test_collections(client):
    body = get_json(client, "/api/v1/collections")
    counts = {c["id"]: c["count"] for c in body["collections"]}
    assert counts == {"crossings": 3, "leaving-raqqa": 3, "mosul-witnesses": 1}


def test_the_index_lists_the_endpoints(client):
    body = get_json(client, "/api/v1/")
    assert "/api/v1/testimonies" in body["endpoints"] and "/api/v1/search?q=" in body["endpoints"]


def api_urls(app) -> list[str]:
    fill = {"accession_id": "OH-2015-0002", "transcript": "en", "caption_format": "vtt"}
    return [re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: fill[m.group(1)], rule.rule)
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]


def test_the_api_never_redirects_to_sign_in(app, signed_in):
    urls = api_urls(app) + ["/api/v1/nope", "/api/v1/testimonies/DEMO-2017-0011", "/api/v1/search?q=title:("]
    assert len(urls) >= 8
    disabled = signed_in("researcher")
    app.extensions["archive"].users.disable(SYSTEM, "researcher")     # a session that just lost its account
    for client in (app.test_client(), disabled):
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 404, 410), url
            assert "Location" not in response.headers, url
            # (the description's page is for people: HTML; everything else answers JSON)
            assert response.mimetype == ("text/html" if url == "/api/v1/docs" else "application/json"), url


def test_api_errors_are_json(client):
    assert get_json(client, "/api/v1/nope", status=404) == {"error": "Not found", "detail": None}
    response = client.post("/api/v1/testimonies")
    assert response.status_code in (400, 405) and response.mimetype == "application/json"


def test_signed_in_api_responses_are_not_cached(signed_in):
    response = signed_in("researcher").get("/api/v1/testimonies")
    assert "no-store" in response.headers["Cache-Control"]
