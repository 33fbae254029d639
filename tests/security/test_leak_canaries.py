"""The leak suite: canaries planted wherever something must stay hidden, then searched for in every
page, search, suggestion, API response, export and index file that a lower audience can reach."""
from __future__ import annotations

import html
import itertools
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from archive.audience import Audience
from archive.identity import Identity
from archive.search.analysis import light_normalize
from tests.conftest import csrf_from, sign_in
from tests.integration.test_search_index import all_index_bytes
from tests.security import canary_data

LOWER = ("public", "researcher")
NOT_FOUND_ID = "CAN-NOSUCH"


def encodings(word: str) -> set[str]:
    forms = {word, light_normalize(word)}
    out = set()
    for f in forms:
        out |= {f, html.escape(f), json.dumps(f)[1:-1], json.dumps(f, ensure_ascii=False)[1:-1],
                quote(f), quote_plus(f), quote(f.lower())}
    return {o.lower() for o in out}


def leaks(text: str, hidden: set[str]) -> set[str]:
    low = text.lower()
    return {w for w in hidden if any(e in low for e in encodings(w))}


def as_text(response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + response.get_data(as_text=True)


def client_for(app, audience: str):
    client = app.test_client()
    return client if audience == "public" else sign_in(client, audience)


def fill(rule, values: dict[str, list[str]]):
    names = sorted(rule.arguments)
    unknown = [n for n in names if n not in values]
    assert not unknown, f"the leak suite cannot fill {unknown} in {rule.rule}: extend it"
    for combo in itertools.product(*(values[n] for n in names)):
        url = rule.rule
        for name, value in zip(names, combo):
            url = re.sub(r"<(?:[^:<>]+:)?%s>" % name, quote(value), url)
        yield url


def route_values(archive) -> dict[str, list[str]]:
    from archive.identity import SYSTEM
    staff = archive.testimonies.list(SYSTEM)
    return {"accession_id": [v["accession_id"] for v in staff] + [NOT_FOUND_ID],
            "slug": sorted({v["collection"]["id"] for v in staff}) + ["nosuch"],
            "key": ["R-1", "R-2", "R-3", "R-9"]}


def queries(word: str) -> list[str]:
    return [word, word.lower(), word[:4] + "*", f'"{word}"', f"narrator:{word}", f"place:{word}",
            f"subject:{word}", f"title:{word}"]


@pytest.mark.parametrize("audience", LOWER)
def test_no_canary_reaches_a_lower_audience_anywhere(canary_app, audience):
    hidden = canary_data.hidden_from(audience)
    assert hidden and len(hidden) > 10
    client = client_for(canary_app, audience)
    archive = canary_app.extensions["archive"]
    values = route_values(archive)
    found: dict[str, set[str]] = {}
    requested = 0

    def check(url, response, echoed: str | None = None):
        """Scan a response; a search page echoes its own query, so that one word is checked apart."""
        nonlocal requested
        requested += 1
        assert response.status_code < 500, f"{url} -> {response.status_code}"
        bad = leaks(as_text(response), hidden - {echoed})
        if bad:
            found[url] = bad

    token = csrf_from(client, "/signin")
    for rule in canary_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for url in fill(rule, values):
            if "GET" in rule.methods:
                check(url, client.get(url))
            if "POST" in rule.methods and rule.endpoint not in ("auth.signin", "auth.signout"):
                without = client.post(url)
                with_token = client.post(url, data={"csrf_token": token, "reason": "x", "state": "published"})
                assert without.status_code in (400, 403), f"POST {url} without CSRF -> {without.status_code}"
                assert with_token.status_code in (302, 400, 403), f"POST {url} -> {with_token.status_code}"
                if with_token.status_code == 302:
                    assert "/signin" in with_token.headers["Location"]
                check(url, without)
                check(url, with_token)
    for word in sorted(hidden):
        for q in queries(word):
            page = client.get("/search", query_string={"q": q})
            check(f"/search?q={q}", page, echoed=word)
            assert "0 testimonies" in page.get_data(as_text=True), f"{q!r} matches for {audience}"
            response = client.get("/api/v1/search", query_string={"q": q})
            check(f"/api/v1/search?q={q}", response, echoed=word)
            result = response.get_json()
            assert result["total"] == 0 and result["testimonies"] == [], f"{q!r} matches for {audience}"
            assert word.lower() not in (result["suggestion"] or "").lower()
            assert not leaks(json.dumps(result["facets"], ensure_ascii=False), {word})
        for n in (3, 4, 5):
            check(f"/api/v1/suggest?q={word[:n]}", client.get("/api/v1/suggest", query_string={"q": word[:n]}))
    for facet in ("place", "subject", "collection"):
        check(f"/search?{facet}=…", client.get("/search", query_string={facet: "place:can-pending"}))
    exported = archive.transfer.export(Identity(Audience.parse(audience)), audience)
    bad = leaks(json.dumps(exported, ensure_ascii=False) + json.dumps(exported), hidden)
    if bad:
        found["transfer.export"] = bad
    assert requested > 300
    assert not found, f"canaries reached {audience}: {found}"


def test_the_scan_finds_what_an_audience_may_see(canary_app):
    """The scanner is not blind: researchers do see the researcher-level canary, archivists all."""
    researcher = client_for(canary_app, "researcher")
    assert "Quelmaris" in researcher.get("/testimonies/CAN-OPEN").get_data(as_text=True)
    archivist = client_for(canary_app, "archivist")
    page = archivist.get("/testimonies/CAN-OPEN").get_data(as_text=True)
    assert {"Zorvathel", "Brontovex", "Tarvesh"} <= {w for w in canary_data.CANARIES if w in page}


def test_lower_index_files_hold_no_canary(canary_app):
    archive = canary_app.extensions["archive"]
    dirs = archive.indexes.index_dirs()
    for audience in LOWER:
        data = all_index_bytes(dirs[audience]).lower()
        present = {w for w in canary_data.hidden_from(audience)
                   if w.lower().encode() in data or light_normalize(w).lower().encode() in data}
        assert not present, f"{audience} index files hold {present}"
    staff = all_index_bytes(dirs["staff"]).lower()
    assert b"zorvathel" in staff and "خزرقيل".encode() in staff


def test_hidden_testimonies_look_exactly_like_missing_ones(canary_app):
    client = canary_app.test_client()
    for prefix in ("/testimonies/", "/api/v1/testimonies/"):
        missing = client.get(prefix + NOT_FOUND_ID)
        for accession in set(canary_data.HIDDEN_ACCESSIONS) - {"CAN-WITHDRAWN"}:
            hidden = client.get(prefix + accession)
            assert (hidden.status_code, hidden.get_data()) == (missing.status_code, missing.get_data())
    tombstone = client.get("/testimonies/CAN-WITHDRAWN")
    assert tombstone.status_code == 410
    assert "withdrawn at the narrator's request" in html.unescape(tombstone.get_data(as_text=True)).lower()


def _public_sees(app, word: str) -> bool:
    client = app.test_client()
    archive = app.extensions["archive"]
    data = all_index_bytes(archive.indexes.index_dirs()["public"]).lower()
    seen = [client.get("/api/v1/search", query_string={"q": word}).get_json()["total"] > 0,
            client.get("/api/v1/search", query_string={"q": word[:5] + "*"}).get_json()["total"] > 0,
            any(s.lower().startswith(word[:5].lower())
                for s in client.get("/api/v1/suggest", query_string={"q": word[:5]}).get_json()["suggestions"]),
            word.lower().encode() in data]
    return any(seen)


def test_a_redaction_added_through_the_web_is_gone_from_public_search_at_once(canary_app):
    assert _public_sees(canary_app, "Canadian")
    archivist = client_for(canary_app, "archivist")
    text = canary_app.extensions["archive"].transfer.export(Identity(Audience.ADMIN), "admin")
    transcript = next(t for t in text["testimonies"] if t["id"] == "OH-2015-0001")["transcripts"][0]["text"]
    start = transcript.index("Canadian")
    token = csrf_from(archivist, "/staff/testimonies/OH-2015-0001")
    response = archivist.post("/staff/testimonies/OH-2015-0001/redactions", data={
        "csrf_token": token, "transcript": "en", "start": start, "end": start + 8, "text": "Canadian",
        "field": "", "category": "identifier", "replacement": "[nationality withheld]", "reason": "identifying",
        "visible_to": "archivist"})
    assert response.status_code == 302
    assert not _public_sees(canary_app, "Canadian")
    page = canary_app.test_client().get("/testimonies/OH-2015-0001").get_data(as_text=True)
    assert "[nationality withheld]" in page and "Canadian" not in page


def test_withdrawal_through_the_web_removes_everything_but_the_tombstone(canary_app):
    archive = canary_app.extensions["archive"]
    assert _public_sees(canary_app, "apostates")
    archivist = client_for(canary_app, "archivist")
    token = csrf_from(archivist, "/staff/testimonies/OH-2015-0001/withdraw")
    response = archivist.post("/staff/testimonies/OH-2015-0001/withdraw",
                              data={"csrf_token": token, "reason": "The narrator asked."})
    assert response.status_code == 302
    assert not _public_sees(canary_app, "apostates")
    researcher = client_for(canary_app, "researcher")
    assert researcher.get("/api/v1/search", query_string={"q": "apostates"}).get_json()["total"] == 0
    data = all_index_bytes(archive.indexes.index_dirs()["researcher"]).lower()
    assert b"apostates" not in data and b"omar" not in data
    page = canary_app.test_client().get("/testimonies/OH-2015-0001")
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 410 and "OH-2015-0001" in body
    assert "withdrawn at the narrator's request" in body.lower()
    assert not {"Omar", "Raqqa", "smuggler", "Driving defectors"} & {w for w in ("Omar", "Raqqa", "smuggler", "Driving defectors") if w in body}
