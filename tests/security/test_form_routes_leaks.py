"""Leak cases for the routes of issue 16's forms and accounts: the record picker, the accounts page
and the one-time reset page. Below archivist they answer nothing; the picker answers archivists with
keys and public names only (a narrator's legal name, the restricted field, neither matches nor shows),
whatever disguise the query wears."""
from __future__ import annotations

import pytest

from tests.security import canaries
from tests.security.conftest import client_as
from tests.security.disguises import LOOKALIKES

ROUTES = ["/staff/users", "/reset/not-a-token"]


def _disguised(word: str) -> str:
    """The word with its first look-alike letter swapped in (Latin a -> Cyrillic а, ...)."""
    for i, letter in enumerate(word.lower()):
        if letter in LOOKALIKES:
            return word[:i] + LOOKALIKES[letter][0] + word[i + 1:]
    return word


def _queries(words, prefixes: bool = True) -> list[str]:
    return sorted({q for w in words for q in ((w, w[:6], _disguised(w)) if prefixes else (w, _disguised(w)))})


@pytest.mark.parametrize("audience", ["public", "researcher"])
def test_below_archivist_the_picker_and_account_pages_answer_nothing(security_app, audience):
    client = client_as(security_app, audience)
    hidden = canaries.hidden_from(audience)
    for kind in ("narrator", "place", "person"):
        for query in _queries(sorted(hidden)[:6]):
            response = client.get("/staff/records/pick", query_string={"kind": kind, "q": query})
            # (the sign-in redirect repeats the address asked for: the query typed is not a leak)
            body = response.get_data(as_text=True) + response.headers.get("Location", "")
            assert response.status_code in (302, 403), (audience, kind, query)
            assert not [w for w in hidden if w in body and w not in query], (audience, kind, query)
    for url in ROUTES:
        body = client.get(url).get_data(as_text=True)
        assert not [w for w in hidden if w in body], (audience, url)


def test_the_picker_never_matches_or_shows_a_legal_name(security_app):
    client = client_as(security_app, "archivist")
    legal = ["CNRYLEGAL", "الكناريقانوني"]
    restricted = [w for w in canaries.hidden_from("researcher") if w.startswith(("CNRYLEGAL", "CNRYCONTACT", "CNRYRISK"))
                  or "LEGAL" in w]
    assert restricted, "the canaries hold no legal name"
    for query in _queries(legal + restricted, prefixes=False):
        results = client.get("/staff/records/pick", query_string={"kind": "narrator", "q": query}).get_json()["results"]
        assert results == [], query
    everyone = client.get("/staff/records/pick", query_string={"kind": "narrator", "q": ""}).get_data(as_text=True)
    assert not [w for w in restricted if w in everyone]
