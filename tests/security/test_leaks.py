"""The leak suite: canaries planted wherever something must stay hidden (tests/security/canaries.py),
then looked for, raw and encoded, in everything a public visitor or a researcher can reach: every
route in the URL map, every search and suggestion, the API, exports, and the bytes of their indexes.
Runs on SQLite and on PostgreSQL (the `backend` parameter of tests/conftest.py).
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, quote_plus

import pytest
from werkzeug.routing import PathConverter, UnicodeConverter

from archive.audience import Audience
from archive.identity import SYSTEM, Identity
from archive.search.analysis import TOKEN_PATTERN, analyze_term, light_normalize, normalize, normalize_pattern
from tests.conftest import ROOT, csrf_from
from tests.security import canaries, media_canaries
from tests.security.conftest import audience_index_bytes, client_as
from tests.backends import engine_database  # noqa: E402

LOWER = ("public", "researcher")
LATIN_NONSENSE = "QZXJWVKQPM"
ARABIC_NONSENSE = "ظظغغضضذذ"
TOKEN = re.compile(TOKEN_PATTERN)


# -- what counts as "seeing" a canary -----------------------------------------------------------

def _is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def _bare(word: str) -> str:
    """Without combining marks (Arabic harakat, Latin accents), by Unicode alone."""
    return unicodedata.normalize("NFC", "".join(
        ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch)))


@lru_cache(maxsize=None)
def encodings(word: str) -> tuple[str, ...]:
    """The word raw, lowercased, without diacritics and normalised, each HTML-, JSON- and URL-encoded;
    all lowercased, longest first (responses are lowercased before they are searched)."""
    forms = {word, word.lower(), _bare(word), light_normalize(word), normalize(word)}
    out = set()
    for f in forms:
        out |= {f, html.escape(f), json.dumps(f)[1:-1], json.dumps(f, ensure_ascii=False)[1:-1],
                json.dumps(f, ensure_ascii=True)[1:-1], quote(f), quote_plus(f), quote(f, safe=""),
                # encoded twice: a page's address carried inside another's (the language switch's next=)
                quote(quote_plus(f)), quote(quote(f))}
    return tuple(sorted({o.lower() for o in out}, key=len, reverse=True))


def found_in(text: str, words) -> set[str]:
    low = text.lower()
    return {w for w in words if any(e in low for e in encodings(w))}


def occurrences(text: str, word: str) -> int:
    """Non-overlapping occurrences of any encoding of the word."""
    return len(re.findall("|".join(re.escape(e) for e in encodings(word)), text.lower()))


def as_text(response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + response.get_data().decode("utf-8", "replace")


def test_the_encodings_catch_what_they_should():
    word = "كَنارِيحَرَكة"
    for shown in (word, "كناريحركة", "كناريحركه", html.escape(word), json.dumps(word), quote(word),
                  json.dumps(word, ensure_ascii=False)):
        assert found_in(f"<p>{shown}</p>", {word}) == {word}, shown
    assert found_in("x cnryspanarc y", {"CNRYSPANARC"}) and found_in("a=CNRYSPANARC", {"CNRYSPANARC"})
    assert not found_in("CNRYSPANAR", {"CNRYSPANARC"})


# -- helpers over the app -----------------------------------------------------------------------

def dataset_values(archive) -> dict[str, list[str]]:
    """Every accession id, collection slug and redaction key in the archive, plus missing ones."""
    ids = sorted({v["accession_id"] for v in archive.testimonies.list(SYSTEM)} | set(canaries.accession_ids()))
    slugs = sorted({c["id"] for c in archive.testimonies.collections(SYSTEM)})
    keys = sorted({r["key"] for i in ids for r in archive.testimonies.get(SYSTEM, i)["redactions"]})
    assert len(ids) == len(canaries.accession_ids()) and len(slugs) == 4 and "R-9" in keys
    static = sorted(str(f.relative_to(ROOT / "app" / "static")) for f in (ROOT / "app" / "static").rglob("*")
                    if f.is_file())
    return {"accession_id": ids + [canaries.MISSING_ID], "slug": slugs + ["cnry-nosuch"],
            "key": keys + ["R-99"], "filename": static + ["nosuch.css"], "fmt": ["csv", "json", "xml"],
            "asset": [*media_canaries.asset_keys(archive).values(), media_canaries.MISSING_ASSET],
            "size": ["thumb", "medium", "full", "nosuch"],
            "term_id": sorted({str(t["id"]) for i in [None, *ids] for t in archive.sensitive.list(SYSTEM, i)}) + ["99999"],
            "narrator": sorted(n["id"] for n in archive.records.list_narrators(SYSTEM)) + ["N-NOSUCH"],
            # (hidden places' keys are canaries themselves, and a redirect to sign-in repeats its URL)
            "authority": sorted(a["id"] for a in archive.records.list_authorities(SYSTEM)
                                if not found_in(a["id"], canaries.CANARIES)) + ["place:nosuch"],
            "job": ["A" * 22, "nosuch"],      # intake jobs: none, and a malformed id
            # transcripts as captions (issue 14): the canaries' "t", the example's, none, and no format
            "transcript": ["t", "en", "nosuch"], "caption_format": ["vtt", "srt"],
            # accounts (issue 16): every user, none; a live one-time reset link and a made-up one
            "username": sorted(u["username"] for u in archive.users.list(SYSTEM)) + ["nosuch"],
            "token": [archive.users.reset_link(SYSTEM, "researcher")["token"], "nosuch"],
            # the job queue's pages (issue 16): every job the canary archive made, one that does not exist
            "job_id": sorted(str(j["id"]) for j in archive.jobs.latest(SYSTEM)) + ["99999"],
            # the language switch (issue 16): English keeps the sweep's pages in one language
            "code": ["en", "nosuch"]}


def urls_for(rule, values: dict[str, list[str]]) -> list[str]:
    """The rule filled with every combination of known values; fails on anything it cannot fill."""
    for name, converter in rule._converters.items():
        assert type(converter) in (UnicodeConverter, PathConverter), \
            f"{rule.rule}: the leak suite does not know how to fill a {type(converter).__name__}; extend it"
        assert name in values, f"{rule.rule}: the leak suite does not know values for <{name}>; extend it"
    urls = [rule.rule]
    for name in sorted(rule.arguments):
        urls = [re.sub(r"<(?:[^:<>]+:)?%s>" % name, quote(value, safe=""), url)
                for url in urls for value in values[name]]
    return urls


def query_strings(endpoint: str, values: dict[str, list[str]]) -> list[dict]:
    """Query arguments worth trying on a GET route, beyond none at all."""
    hidden_places = [f"place:cnry{tag.lower()}plcid" for _, tag, _ in canaries.HIDDEN.values()]
    extra = {
        "api.testimonies": [{"collection": s} for s in values["slug"]],
        "public.collection": [{"page": "2"}],
        "public.search": [{"collection": s} for s in values["slug"]] + [{"place": p} for p in hidden_places]
        + [{"subject": "CNRYPENDSUBJ"}, {"year": "2016"}, {"language": "en"}, {"q": "", "page": "2"},
           {"q": "Riverton"}, {"q": "ريفرتون"}, {"q": "", "sort": "date"}, {"q": "", "sort": "accession"}],
        "public.search_export": [{"q": ""}, {"q": "Riverton"}, {"q": "", "sort": "-date"}]
        + [{"place": p} for p in hidden_places] + [{"collection": s} for s in values["slug"]],
        "public.citation": [{"segment": s, "style": st} for s in ("en-0", "en-1", "en-2", "ar-0")
                            for st in ("chicago", "apa", "bibtex", "ris", "csl-json")]
        + [{"style": st, "download": "1"} for st in ("bibtex", "ris", "csl-json")],
        "api.citation": [{"segment": s} for s in ("en-0", "en-1", "en-2", "ar-0")],
        "oai.endpoint": [{"verb": "Identify"}, {"verb": "ListSets"}, {"verb": "ListMetadataFormats"}]
        + [{"verb": v, "metadataPrefix": "oai_dc", **extra} for v in ("ListIdentifiers", "ListRecords")
           for extra in ({}, {"set": canaries.HIDDEN_COLLECTION}, {"from": "2000-01-01"})]
        + [{"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:localhost:{i}"}
           for i in values["accession_id"]]
        + [{"verb": "ListMetadataFormats", "identifier": f"oai:localhost:{i}"} for i in values["accession_id"]],
        "api.search": [{"collection": s} for s in values["slug"]] + [{"place": p} for p in hidden_places],
        "staff.export_bag": [{"audience": a, "id": i} for a in canaries.ORDER for i in values["accession_id"][:2]],
        "staff.intake": [{"into": i} for i in values["accession_id"][:3]],
        "staff.history_diff": [{"from": "1"}, {"from": "1", "to": "2"}, {"to": "current"}],
        "staff.audit": [{"actor": "archivist"}, {"action": "redaction", "page": "2"}, {"target": canaries.OPEN_ID},
                        {"since": "2020-01-01", "until": "2030-01-01"}],
    }
    return [{}] + extra.get(endpoint, [])


def view_words(client, accession_ids, *, analysed: bool) -> dict[str, set[str]]:
    """accession id -> the words of its API view (as this client's audience reads it)."""
    out = {}
    for accession in accession_ids:
        response = client.get(f"/api/v1/testimonies/{accession}")
        assert response.status_code == 200, accession
        strings: list[str] = []

        def walk(value):
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(response.get_json())
        tokens = {m.group() for s in strings for m in TOKEN.finditer(s)}
        out[accession] = {analyze_term(t) if analysed else light_normalize(t) for t in tokens}
    return out


def api_search(client, q: str, **filters) -> dict:
    response = client.get("/api/v1/search", query_string={"q": q, **filters})
    assert response.status_code == 200, (q, filters, response.status_code)
    return response.get_json()


# -- every route --------------------------------------------------------------------------------

FORM_DATA = {"reason": "leak test", "state": "published", "category": "person", "replacement": "[x]",
             "visible_to": "researcher", "transcript": "t", "start": "0", "end": "5", "text": "Inter",
             "field": "", "username": "admin", "password": "wrong password"}


@pytest.mark.parametrize("audience", LOWER)
def test_no_route_shows_a_hidden_canary(security_app, audience):
    app = security_app
    archive = app.extensions["archive"]
    hidden = canaries.hidden_from(audience)
    assert len(hidden) > 100
    values = dataset_values(archive)
    before = archive.transfer.export(SYSTEM, "admin")["testimonies"]
    client = client_as(app, audience)
    token = csrf_from(client, "/signin")
    leaks: dict[str, set[str]] = {}
    requested = 0

    def check(label, response):
        nonlocal requested
        requested += 1
        assert response.status_code < 500, f"{label} -> {response.status_code}"
        bad = found_in(as_text(response), hidden)
        response.close()
        if bad:
            leaks[label] = bad

    rules = list(app.url_map.iter_rules())
    assert {r.endpoint for r in rules} >= {"public.testimony", "api.search", "staff.export_bag", "staff.job_download"}
    for rule in rules:
        # (static files declare nothing: the gate lets them through, as the access matrix checks)
        lowest = Audience.PUBLIC if rule.endpoint == "static" else app.view_functions[rule.endpoint].__audience__
        above = lowest > Audience.parse(audience)
        for url in urls_for(rule, values):
            if "GET" in rule.methods:
                for args in query_strings(rule.endpoint, values):
                    response = client.get(url, query_string=args)
                    echoed = {w for w in hidden if any(w in str(v) for v in args.values())}
                    if echoed:
                        # A page may repeat the filter values it was given (in its own links and forms):
                        # the same request with nonsense in their place must show that nonsense as often.
                        text = as_text(response)
                        swapped = {k: _swap(str(v), echoed) for k, v in args.items()}
                        alike = as_text(client.get(url, query_string=swapped))
                        requested += 1
                        for word in echoed:
                            if occurrences(text, word) != occurrences(alike, _nonsense(word)):
                                leaks.setdefault(f"GET {url} {args}", set()).add(word)
                        bad = found_in(text, hidden - echoed)
                        if bad:
                            leaks.setdefault(f"GET {url} {args}", set()).update(bad)
                        assert response.status_code < 500
                        response.close()
                    else:
                        check(f"GET {url} {args}", response)
                    if above:
                        assert response.status_code in (302, 403), f"GET {url} {args} -> {response.status_code}"
                        if response.status_code == 302:
                            assert audience == "public" and not rule.endpoint.startswith("api.")
                            assert response.headers["Location"].startswith("/signin")
            if "POST" in rule.methods:
                poster = client
                if rule.endpoint == "auth.signout":    # do not end this client's session
                    poster = client_as(app, audience)
                    post_token = csrf_from(poster, "/signin")
                else:
                    post_token = token
                without = poster.post(url, data=FORM_DATA)
                check(f"POST {url} without CSRF", without)
                if rule.endpoint != "oai.endpoint":   # harvesters POST without a token; it writes nothing
                    assert without.status_code in (400, 403), f"POST {url} without CSRF -> {without.status_code}"
                with_token = poster.post(url, data={**FORM_DATA, "csrf_token": post_token})
                check(f"POST {url} with CSRF", with_token)
                if above:
                    assert with_token.status_code == 403, f"POST {url} -> {with_token.status_code}"
    assert requested > 200
    assert not leaks, f"canaries reached {audience}: {leaks}"
    assert archive.transfer.export(SYSTEM, "admin")["testimonies"] == before, "a refused POST changed the archive"


# The interface's words are the web layer's, the same on either database: one backend, the sweep above runs both.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_public_pages_in_arabic_and_french_show_no_hidden_canary(security_app, language):
    """The translated interface is the same view in other words: a visitor who chose Arabic or French
    sees no canary on any public page (every record, collection and asset), nor in a search."""
    app = security_app
    hidden = canaries.hidden_from("public")
    values = dataset_values(app.extensions["archive"])
    client = client_as(app, "public")
    assert client.get(f"/language/{language}").status_code == 302
    leaks, pages = {}, 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("public.") or "GET" not in rule.methods \
                or rule.endpoint == "public.choose_language":
            continue
        extra = [{"q": "Riverton"}, {"q": "ريفرتون"}] if rule.endpoint == "public.search" else []
        for url in urls_for(rule, values):
            for args in [{}] + extra:
                response = client.get(url, query_string=args)
                assert response.status_code < 500, f"GET {url} {args} in {language}"
                if response.mimetype == "text/html":
                    pages += 1
                    assert f'<html lang="{language}"' in response.get_data(as_text=True), url
                bad = found_in(as_text(response), hidden)
                response.close()
                if bad:
                    leaks[f"GET {url} {args}"] = bad
    assert pages > 20
    assert not leaks, f"canaries reached the public in {language}: {leaks}"


# -- search, suggestions, facets, counts --------------------------------------------------------

def _swap(value: str, words) -> str:
    for word in words:
        value = value.replace(word, _nonsense(word))
    return value


def _nonsense(word: str) -> str:
    return ARABIC_NONSENSE if _is_arabic(word) else LATIN_NONSENSE


FIELDS = ("title", "narrator", "place", "subject", "summary", "text")


def _exact_queries(word: str) -> list[str]:
    """The word as typed, lowercased, as a phrase if it is one, and in every field at once."""
    term = f'"{word}"' if " " in word else word
    return [word, word.lower(), *([term] if " " in word else []),
            " OR ".join(f"{field}:{term}" for field in FIELDS)]


@pytest.mark.parametrize("backend", engine_database(), indirect=True)   # (PostgreSQL: its pass)
@pytest.mark.parametrize("audience", LOWER)
def test_searching_for_a_hidden_canary_finds_nothing_and_counts_nothing(security_app, audience):
    app = security_app
    hidden = canaries.hidden_from(audience)
    client = client_as(app, audience)
    leaks: dict[str, set[str]] = {}
    pages: dict[str, str] = {}

    def page(q: str) -> str:
        if q not in pages:
            response = client.get("/search", query_string={"q": q})
            assert response.status_code == 200, (q, response.status_code)
            pages[q] = as_text(response)
        return pages[q]

    for word in sorted(hidden):
        for q in _exact_queries(word):
            result = api_search(client, q)
            assert not result["error"], (q, result["error"])      # a refused query would prove nothing
            assert result["total"] == 0 and result["testimonies"] == [], f"{q!r} matches for {audience}"
            assert not any(values for values in result["facets"].values()), f"{q!r} has facets {result['facets']}"
            # (a "did you mean" may repeat what was typed, never add a hidden word)
            untyped = {w for w in hidden if w.lower() not in q.lower()}
            assert not found_in(result["suggestion"] or "", untyped), f"{q!r} suggests {result['suggestion']!r}"
            echoed = {k: v for k, v in result.items() if k not in ("query",)}
            bad = found_in(json.dumps(echoed) + json.dumps(echoed, ensure_ascii=False), untyped)
            if bad:
                leaks[f"/api/v1/search?q={q}"] = bad
        for fmt in ("csv", "json"):
            response = client.get(f"/search/export.{fmt}", query_string={"q": word})
            assert response.status_code == 200, (word, fmt, response.status_code)
            body = as_text(response)
            if fmt == "csv":
                assert body.count("\r\n") == 1, f"{word!r}: the CSV export has rows for {audience}"
                bad = found_in(body, hidden)
            else:
                data = json.loads(response.get_data(as_text=True))
                assert data["total"] == 0 and data["results"] == [], f"{word!r}: the JSON export has results"
                bad = found_in(json.dumps(data["results"]), hidden)
            if bad:
                leaks[f"/search/export.{fmt}?q={word}"] = bad
        # The page echoes its query: the canary may appear there exactly as often as a word that
        # exists nowhere does in the same place, and no other canary may appear at all.
        nonsense = _nonsense(word)
        text, alike = page(word), page(nonsense)
        if occurrences(text, word) != occurrences(alike, nonsense):
            leaks[f"/search?q={word}"] = {word}
        bad = found_in(text, hidden - {word} - {w for w in hidden if w in word.split()})
        if bad:
            leaks.setdefault(f"/search?q={word}", set()).update(bad)
    assert not leaks, f"searches showed {audience} canaries: {leaks}"


def _prefixes(words) -> tuple[list[str], list[str]]:
    """Short prefixes (3 to 5 letters), and each word but its last two letters, of the canaries that
    are single alphabetic tokens (phrases are made of such words; "EXAMPLE-LEGAL-NAME-1" is not one)."""
    words = [w for w in words if w.isalpha()]
    short = {w[:n] for w in words for n in (3, 4, 5)}
    return sorted(short), sorted({w[:-2] for w in words} - short)


@pytest.mark.parametrize("backend", engine_database(), indirect=True)   # (PostgreSQL: its pass)
@pytest.mark.parametrize("audience", LOWER)
def test_prefix_searches_and_suggestions_only_show_visible_words(security_app, audience):
    app = security_app
    hidden = canaries.hidden_from(audience)
    client = client_as(app, audience)
    visible_ids = canaries.visible_to(audience)
    analysed = view_words(client, visible_ids, analysed=False)
    readable = set().union(*analysed.values())
    leaks: dict[str, set[str]] = {}
    short, long = _prefixes(hidden)
    assert {"CNR", "CNRY", "كنا"} <= set(short) and len(long) > 100
    for prefix in short + long:
        # (a long prefix is tried as typed, through the API; a short one also lowercased, and as a page)
        cases = (prefix + "*", prefix.lower() + "*") if prefix in short else (prefix + "*",)
        for q in dict.fromkeys(cases):
            result = api_search(client, q)
            assert not result["error"], (q, result["error"])
            text = json.dumps(result) + json.dumps(result, ensure_ascii=False)
            if q == prefix + "*" and prefix in short:     # the page (once: it shows the same search)
                text += as_text(client.get("/search", query_string={"q": q}))
            untyped = {w for w in hidden if w.lower() not in q.lower()}    # (the page repeats the query)
            if found_in(text, untyped):
                leaks[f"search {q}"] = found_in(text, untyped)
            # (the query parser stems prefix text, so "Words*" also means "word*")
            stems = {normalize_pattern(prefix), analyze_term(prefix)}
            for hit in result["testimonies"]:
                accession = hit["accession_id"]
                assert accession in visible_ids, f"{q!r} found {accession}, hidden from {audience}"
                assert any(form.startswith(stem) for w in analysed[accession] for form in
                           (normalize(w), analyze_term(w)) for stem in stems), \
                    f"{q!r} matched {accession} on a word {audience} cannot read"
            assert result["total"] == len(result["testimonies"]) or result["total"] > result["pagesize"]
        response = client.get("/api/v1/suggest", query_string={"q": prefix})
        assert response.status_code == 200
        untyped = {w for w in hidden if w.lower() not in prefix.lower()}
        if found_in(as_text(response), untyped):
            leaks[f"suggest {prefix}"] = found_in(as_text(response), untyped)
        for suggestion in response.get_json()["suggestions"]:
            words = {light_normalize(m.group()) for m in TOKEN.finditer(suggestion)}
            assert words <= readable, f"suggest {prefix!r} offers {suggestion!r}, which {audience} cannot read"
    assert not leaks, f"prefix searches showed {audience} canaries: {leaks}"


@pytest.mark.parametrize("audience", LOWER)
def test_hit_counts_and_facets_count_only_what_the_audience_may_read(security_app, audience):
    """Ordinary words that hidden testimonies also hold: the count is what the visible views explain."""
    app = security_app
    hidden = canaries.hidden_from(audience)
    client = client_as(app, audience)
    visible_ids = canaries.visible_to(audience)
    words = view_words(client, visible_ids, analysed=True)
    found: set[str] = set()
    for word in ("crossing", "closed", "Hidden", "Narrator", "Interviewer", "river", "about", "said", "Where"):
        expected = {a for a, ws in words.items() if analyze_term(word) in ws}
        result = api_search(client, word)
        got = {t["accession_id"] for t in result["testimonies"]}
        # (views hold a few fields the index leaves out, such as interviewers: never the other way)
        assert got <= expected and result["total"] == len(got), (word, audience, got, expected)
        found |= got
    assert found >= {canaries.OPEN_ID, canaries.WITHDRAW_ID, canaries.PAST_EMBARGO_ID}   # not vacuous
    result = api_search(client, "")
    assert result["total"] == len(visible_ids)
    facets = result["facets"]
    assert not found_in(json.dumps(facets) + json.dumps(facets, ensure_ascii=False), hidden), facets
    for name, values in facets.items():
        assert sum(count for _, count in values) <= len(visible_ids) * 3, (name, values)
    collections = dict(facets.get("collection", []))
    assert canaries.HIDDEN_COLLECTION not in collections
    assert (canaries.RESEARCH_COLLECTION in collections) == (audience == "researcher")
    for args in ({"collection": canaries.HIDDEN_COLLECTION}, {"subject": "CNRYPENDSUBJ"},
                 *({"place": f"place:cnry{tag.lower()}plcid"} for _, tag, _ in canaries.HIDDEN.values())):
        assert api_search(client, "", **args)["total"] == 0, args
    listing = client.get("/api/v1/testimonies").get_json()
    assert {t["id"] for t in listing["testimonies"]} == visible_ids and listing["total"] == len(visible_ids)
    counts = {c["id"]: c["count"] for c in client.get("/api/v1/collections").get_json()["collections"]}
    assert counts == {canaries.COLLECTION: 4, canaries.EXAMPLE_COLLECTION: 1,
                      **({canaries.RESEARCH_COLLECTION: 1} if audience == "researcher" else {})}


# -- exports ------------------------------------------------------------------------------------

@pytest.mark.parametrize("audience", LOWER)
def test_exports_hold_no_hidden_canary(security_app, audience):
    app = security_app
    archive = app.extensions["archive"]
    hidden = canaries.hidden_from(audience)
    client = client_as(app, audience)
    for chosen in canaries.ORDER:
        response = client.post("/staff/exports", data={"audience": chosen, "format": "json"})
        assert response.status_code in (400, 403), (chosen, response.status_code)   # no token: CSRF refuses first
        assert not found_in(as_text(response), hidden)
    # an export an archivist made is not theirs to download either
    archivist = client_as(app, "archivist")
    made = archivist.post("/staff/exports", data={"audience": "public", "csrf_token": csrf_from(archivist, "/staff/")})
    response = client.get(made.headers["Location"] + "/download")
    assert response.status_code == (302 if audience == "public" else 403)
    assert not found_in(as_text(response), hidden)
    identity = Identity(Audience.parse(audience), username=f"leak-{audience}")
    for chosen in canaries.ORDER[:canaries.ORDER.index(audience) + 1]:
        document = archive.transfer.export(identity, chosen)
        assert {t["id"] for t in document["testimonies"]} == canaries.visible_to(chosen)
        text = json.dumps(document, default=str) + json.dumps(document, default=str, ensure_ascii=False)
        assert not found_in(text, canaries.hidden_from(chosen)), found_in(text, canaries.hidden_from(chosen))
    # the scan is not blind: the staff export holds them all
    staff = archive.transfer.export(SYSTEM, "admin")
    text = json.dumps(staff, default=str, ensure_ascii=False)
    assert found_in(text, canaries.CANARIES) == set(canaries.CANARIES)


def test_the_scans_see_what_each_audience_may_see(security_app):
    """Positive controls: the same scans find the words an audience is allowed to read."""
    for audience in LOWER:
        client = client_as(security_app, audience)
        page = as_text(client.get(f"/testimonies/{canaries.OPEN_ID}"))
        assert found_in(page, {"CNRYVISIBLE", "Ferrylantern"}) == {"CNRYVISIBLE", "Ferrylantern"}
        assert ("CNRYSPANRES" in page) == (audience == "researcher")
        assert api_search(client, "CNRYVISIBLE")["total"] == 1
        assert api_search(client, "CNRYPASTEMB")["total"] == 1
        assert api_search(client, "CNRYRESTEXT")["total"] == (1 if audience == "researcher" else 0)
    archivist = client_as(security_app, "archivist")
    page = as_text(archivist.get(f"/testimonies/{canaries.OPEN_ID}"))
    assert {"CNRYSPANARC", "كناريسري", "CNRYLEGAL", "CNRYFIELDPLACE"} <= found_in(page, canaries.CANARIES)
    assert "CNRYSPANADM" not in page      # admin-only span, replaced even for archivists
    assert api_search(archivist, "CNRYPENDTEXT")["total"] == 1


# -- index files --------------------------------------------------------------------------------

def index_forms(word: str) -> set[bytes]:
    forms = {word, word.lower(), light_normalize(word), normalize(word), analyze_term(word), normalize_pattern(word)}
    return {f.encode("utf-8") for f in forms if f}


def index_leaks(archive, audience: str, words) -> set[str]:
    data = audience_index_bytes(archive.indexes, audience)
    low = data.lower()
    return {w for w in words if any(f in data or f in low for f in index_forms(w))}


@pytest.mark.parametrize("backend", engine_database(), indirect=True)   # (PostgreSQL: its pass)
def test_lower_index_files_hold_no_hidden_canary(security_app):
    archive = security_app.extensions["archive"]
    dirs = archive.indexes.index_dirs()
    assert set(dirs) >= {"public", "researcher", "staff"}
    for audience in LOWER:
        leaked = index_leaks(archive, audience, canaries.hidden_from(audience))
        assert not leaked, f"the {audience} index files hold {sorted(leaked)}"
    assert index_leaks(archive, "public", {"CNRYVISIBLE", "Ferrylantern"}) == {"CNRYVISIBLE", "Ferrylantern"}
    assert index_leaks(archive, "researcher", {"CNRYSPANRES", "CNRYRESTEXT"}) == {"CNRYSPANRES", "CNRYRESTEXT"}
    staff = {"CNRYSPANARC", "كناريسري", "كَنارِيحَرَكة", "CNRYPENDTEXT"}
    assert index_leaks(archive, "staff", staff) == staff
    assert index_leaks(archive, "staff", canaries.hidden_from("archivist")) == set()   # admin-only span


# -- changes take effect before the response ----------------------------------------------------

def _public_traces(app, audience: str, word: str, accession: str) -> list[str]:
    """Where the audience can still find the word (of that testimony): searches, suggestions, index files."""
    client = client_as(app, audience)
    archive = app.extensions["archive"]
    traces = []
    for q in (word, word.lower(), word[:5] + "*", word[:4].lower() + "*"):
        if accession in {t["accession_id"] for t in api_search(client, q)["testimonies"]}:
            traces.append(f"search {q}")
    for n in (3, 4, 5):
        suggestions = client.get("/api/v1/suggest", query_string={"q": word[:n]}).get_json()["suggestions"]
        if any(light_normalize(word) in light_normalize(s) for s in suggestions):
            traces.append(f"suggest {word[:n]}")
    if index_leaks(archive, audience, {word}):
        traces.append("index files")
    return traces


@pytest.mark.parametrize("backend", engine_database(), indirect=True)   # (PostgreSQL: its pass)
def test_a_redaction_added_through_the_web_hides_the_word_at_once(security_app):
    app, word = security_app, "Ferrylantern"
    for audience in LOWER:
        assert len(_public_traces(app, audience, word, canaries.OPEN_ID)) == 8, audience   # there at first
    document = canaries.build()
    text = next(t for t in document["testimonies"] if t["id"] == canaries.OPEN_ID)["transcripts"][0]["text"]
    start = text.index(word)
    archivist = client_as(app, "archivist")
    token = csrf_from(archivist, f"/staff/testimonies/{canaries.OPEN_ID}")
    response = archivist.post(f"/staff/testimonies/{canaries.OPEN_ID}/redactions", data={
        "csrf_token": token, "transcript": "t", "start": str(start), "end": str(start + len(word)),
        "text": word, "field": "", "category": "identifier", "replacement": "[lamp withheld]",
        "reason": "identifying", "visible_to": "archivist"})
    assert response.status_code == 302, response.get_data(as_text=True)
    for audience in LOWER:
        assert _public_traces(app, audience, word, canaries.OPEN_ID) == [], audience
        page = client_as(app, audience).get(f"/testimonies/{canaries.OPEN_ID}").get_data(as_text=True)
        assert "[lamp withheld]" in page and not found_in(page, {word})
    assert index_leaks(app.extensions["archive"], "staff", {word}) == {word}


def _tombstone_shape(response, accession: str) -> tuple:
    body = _stable(response).replace(accession.encode(), b"ID")
    # a date as the reader's locale writes it ("May 14, 2019", "14 mai 2019") or as ISO
    return response.status_code, re.sub(rb"\d{4}-\d{2}-\d{2}|[A-Z][a-z]+ \d{1,2}, \d{4}", b"DATE", body)


def test_withdrawal_through_the_web_leaves_only_the_tombstone_at_once(security_app):
    app, accession, word = security_app, canaries.WITHDRAW_ID, "Oxbowquill"
    for audience in LOWER:
        assert len(_public_traces(app, audience, word, accession)) == 8, audience
        assert api_search(client_as(app, audience), "Lina")["total"] == 1
    archivist = client_as(app, "archivist")
    token = csrf_from(archivist, f"/staff/testimonies/{accession}/withdraw")
    response = archivist.post(f"/staff/testimonies/{accession}/withdraw",
                              data={"csrf_token": token, "reason": "The narrator asked."})
    assert response.status_code == 302
    for audience in LOWER:
        assert _public_traces(app, audience, word, accession) == [], audience
        client = client_as(app, audience)
        assert api_search(client, "Lina")["total"] == 0 and api_search(client, "dawn")["total"] == 0
        assert accession not in {t["id"] for t in client.get("/api/v1/testimonies").get_json()["testimonies"]}
        for prefix in ("/testimonies/", "/api/v1/testimonies/"):
            page = client.get(prefix + accession)
            body = html.unescape(page.get_data(as_text=True))
            assert page.status_code == 410, prefix
            assert accession in body and "withdrawn at the narrator's request" in body.lower()
            assert not found_in(body, {word, "Lina", "dawn", "The narrator asked"}), body
            # nothing else of it: the same page as the tombstone imported withdrawn, but for id and date
            other = canaries.HIDDEN["withdrawn"][0]
            assert _tombstone_shape(page, accession) == _tombstone_shape(client.get(prefix + other), other)
    assert client_as(app, "archivist").get(f"/testimonies/{accession}").status_code == 200


# -- narrators' restricted fields typed through the record forms ------------------------------

FORM_SECRETS = {"legal_name": "Cnryformlegal Verysecret", "contact": "cnryformcontact@example.org",
                "risk_notes": "Hunted by the Cnryformrisk unit"}
FORM_WORDS = {"Cnryformlegal", "Verysecret", "cnryformcontact", "Cnryformrisk", "Cnryformlegaltwo"}


def test_narrator_fields_typed_through_the_forms_reach_only_archivists(security_app):
    app, accession = security_app, canaries.OPEN_ID
    archive = app.extensions["archive"]
    archivist = client_as(app, "archivist")
    new = "/staff/records/narrators/new"
    response = archivist.post(f"{new}?into={accession}", data={
        "csrf_token": csrf_from(archivist, new), "key": "N-CNRYFORM", "public_name": "Formpseudo",
        "role": "witness", **FORM_SECRETS})
    assert response.status_code == 302, response.get_data(as_text=True)
    edit = "/staff/records/narrators/N-CNRYFORM"
    response = archivist.post(edit, data={"csrf_token": csrf_from(archivist, edit), "public_name": "Formpseudo",
                                          "role": "witness", **FORM_SECRETS, "legal_name": "Cnryformlegaltwo"})
    assert response.status_code == 302, response.get_data(as_text=True)
    # (the positive controls: staff read and search them; the public reads the pseudonym)
    assert {"Cnryformlegaltwo", "cnryformcontact"} <= found_in(as_text(archivist.get(edit)), FORM_WORDS)
    assert "Cnryformlegaltwo" in as_text(archivist.get(f"/testimonies/{accession}"))
    assert api_search(archivist, "Cnryformlegaltwo")["total"] == 1
    assert index_leaks(archive, "staff", {"Cnryformlegaltwo", "Cnryformrisk"}) == {"Cnryformlegaltwo"}
    values = dataset_values(archive)
    one = {**{k: v[:1] for k, v in values.items()}, "accession_id": [accession], "narrator": ["N-CNRYFORM"]}
    for audience in LOWER:
        client = client_as(app, audience)
        assert api_search(client, "Formpseudo")["total"] == 1
        leaks: dict[str, set[str]] = {}
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            for url in urls_for(rule, one):
                for args in query_strings(rule.endpoint, values):
                    response = client.get(url, query_string=args)
                    if rule.endpoint.startswith("staff."):
                        assert response.status_code in (302, 403), (url, audience)
                    if found_in(as_text(response), FORM_WORDS):
                        leaks[f"GET {url} {args}"] = found_in(as_text(response), FORM_WORDS)
                    response.close()
        for word in sorted(FORM_WORDS):
            for q in (word, f"narrator:{word}", word[:6] + "*"):
                result = api_search(client, q)
                untyped = {w for w in FORM_WORDS if w.lower() not in q.lower()}   # (the result repeats q)
                if result["total"] or found_in(json.dumps(result), untyped):
                    leaks[f"search {q}"] = {word}
            suggestions = client.get("/api/v1/suggest", query_string={"q": word[:5]}).get_data(as_text=True)
            if found_in(suggestions, FORM_WORDS):
                leaks[f"suggest {word[:5]}"] = found_in(suggestions, FORM_WORDS)
        for fmt in ("csv", "json"):
            exported = as_text(client.get(f"/search/export.{fmt}", query_string={"q": "Formpseudo"}))
            if found_in(exported, FORM_WORDS):
                leaks[f"export.{fmt}"] = found_in(exported, FORM_WORDS)
        assert not leaks, f"restricted narrator fields reached {audience}: {leaks}"
        assert index_leaks(archive, audience, FORM_WORDS) == set(), audience


# -- no existence oracle ------------------------------------------------------------------------

def _stable(response) -> bytes:
    """The body without the signed-in visitor's CSRF token (it carries a timestamp)."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token"', response.get_data())


@pytest.mark.parametrize("audience", LOWER)
def test_a_hidden_testimony_answers_exactly_like_a_missing_one(security_app, audience):
    client = client_as(security_app, audience)
    withdrawn = canaries.HIDDEN["withdrawn"][0]
    hidden = set(canaries.accession_ids()) - canaries.visible_to(audience) - {withdrawn}
    assert len(hidden) >= 6
    for prefix in ("/testimonies/", "/api/v1/testimonies/"):
        missing = client.get(prefix + canaries.MISSING_ID)
        assert missing.status_code == 404
        for accession in sorted(hidden):
            response = client.get(prefix + accession)
            assert (response.status_code, _stable(response), response.headers.get("Content-Type")) == \
                (missing.status_code, _stable(missing), missing.headers.get("Content-Type")), accession
        tombstone = client.get(prefix + withdrawn)
        body = html.unescape(tombstone.get_data(as_text=True))
        assert tombstone.status_code == 410 and withdrawn in body
        assert "withdrawn at the narrator's request" in body.lower()
        assert not found_in(body, canaries.hidden_from(audience))


def test_the_preview_columns_hold_only_what_their_audience_may_see(security_app):
    """The staff preview claims to show what the public and researchers read: its columns must
    hold none of their hidden canaries (and the original column must hold them, or it proves nothing).
    (A draft's preview shows it as it will read once published, so only published records here.)"""
    import lxml.html
    archivist = client_as(security_app, "archivist")
    for accession in (canaries.OPEN_ID, canaries.RESEARCH_ID, canaries.NOTRANSCRIPT_ID, canaries.PAST_EMBARGO_ID,
                      canaries.EXAMPLE_OPEN_ID):
        response = archivist.get(f"/staff/testimonies/{accession}/preview")
        assert response.status_code == 200, accession
        doc = lxml.html.fromstring(response.get_data(as_text=True))
        columns = {c.get("data-audience"): lxml.html.tostring(c, encoding="unicode")
                   for c in doc.xpath("//section[@class='preview-column']")}
        assert set(columns) == {"archivist", "researcher", "public"}, accession
        for audience in LOWER:
            leaked = found_in(columns[audience], canaries.hidden_from(audience))
            assert not leaked, f"the {audience} column of {accession}'s preview shows {leaked}"
    original = archivist.get(f"/staff/testimonies/{canaries.OPEN_ID}/preview").get_data(as_text=True)
    assert {"CNRYSPANARC", "CNRYLEGAL", "CNRYFIELDPLACE"} <= found_in(original, canaries.CANARIES)
