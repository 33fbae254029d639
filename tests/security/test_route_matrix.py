"""Every route x every audience x every consent state, against a table written out by hand.

A new route fails this suite until someone decides, here, who may use it.
"""
from __future__ import annotations

import pytest

from archive.audience import Audience
from archive.errors import PermissionDenied
from archive.identity import Identity
from tests.conftest import csrf_from, sign_in

AUDIENCES = ("public", "researcher", "archivist", "admin")
STAFF_PAGE = {"public": 302, "researcher": 403, "archivist": 200, "admin": 200}
STAFF_POST = {"public": 403, "researcher": 403}   # staff outcomes are tested in the web suite
EVERYONE = {a: 200 for a in AUDIENCES}

# accession id -> what each audience gets from a testimony URL
STATES = {
    "CAN-OPEN":      {"public": 200, "researcher": 200, "archivist": 200, "admin": 200},
    "CAN-RESEARCH":  {"public": 404, "researcher": 200, "archivist": 200, "admin": 200},
    "CAN-EMBARGO":   {"public": 404, "researcher": 404, "archivist": 200, "admin": 200},
    "CAN-PENDING":   {"public": 404, "researcher": 404, "archivist": 200, "admin": 200},
    "CAN-WITHDRAWN": {"public": 410, "researcher": 410, "archivist": 200, "admin": 200},
    "CAN-ARCHIVE":   {"public": 404, "researcher": 404, "archivist": 200, "admin": 200},
    "CAN-DRAFT":     {"public": 404, "researcher": 404, "archivist": 200, "admin": 200},
    "CAN-NOSUCH":    {"public": 404, "researcher": 404, "archivist": 404, "admin": 404},
}

# endpoint -> (method, expected). "testimony" means: by STATES; "staff-testimony": staff pages per state.
MATRIX = {
    "public.home": ("GET", EVERYONE),
    "public.search": ("GET", EVERYONE),
    "public.about": ("GET", EVERYONE),
    "public.collections": ("GET", EVERYONE),
    "public.collection": ("GET", EVERYONE),
    "public.testimony": ("GET", "testimony"),
    "auth.signin": ("GET", EVERYONE),
    "auth.signout": ("POST", {a: 302 for a in AUDIENCES}),
    "api.index": ("GET", EVERYONE),
    "api.testimonies": ("GET", EVERYONE),
    "api.testimony": ("GET", "testimony"),
    "api.search": ("GET", EVERYONE),
    "api.suggest": ("GET", EVERYONE),
    "api.collections": ("GET", EVERYONE),
    "staff.dashboard": ("GET", STAFF_PAGE),
    "staff.audit": ("GET", STAFF_PAGE),
    "staff.export": ("GET", STAFF_PAGE),
    "staff.testimony": ("GET", "staff-testimony"),
    "staff.withdraw": ("GET", "staff-testimony"),
    "staff.add_redaction": ("POST", STAFF_POST),
    "staff.approve_redaction": ("POST", STAFF_POST),
    "staff.set_state": ("POST", STAFF_POST),
    "staff.reindex": ("POST", {**STAFF_POST, "archivist": 302, "admin": 302}),
}


def test_every_route_is_in_the_matrix_and_declares_its_audience(canary_app):
    endpoints = {r.endpoint for r in canary_app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(MATRIX), f"undecided: {endpoints - set(MATRIX)}; stale: {set(MATRIX) - endpoints}"
    undeclared = [e for e in endpoints if not hasattr(canary_app.view_functions[e], "__audience__")]
    assert not undeclared, f"routes without a declared audience: {undeclared}"


def test_a_route_without_a_declared_audience_is_closed(canary_app):
    canary_app.add_url_rule("/undeclared", "undeclared", lambda: "open!")
    for audience in ("public", "admin"):
        client = canary_app.test_client() if audience == "public" else sign_in(canary_app.test_client(), audience)
        assert client.get("/undeclared").status_code == 403


def _url(app, endpoint: str, accession: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {"accession_id": accession, "slug": "canaries", "key": "R-1"}
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


@pytest.mark.parametrize("audience", AUDIENCES)
def test_each_route_answers_each_audience_as_the_matrix_says(canary_app, audience):
    client = canary_app.test_client()
    if audience != "public":
        sign_in(client, audience)
    token = csrf_from(client, "/signin")
    failures = []
    for endpoint, (method, expected) in MATRIX.items():
        per_state = isinstance(expected, str)
        for accession, row in (STATES.items() if per_state else [("CAN-OPEN", expected)]):
            if expected == "staff-testimony":
                want = STAFF_PAGE[audience] if accession != "CAN-NOSUCH" or audience in ("public", "researcher") else 404
            elif per_state:
                want = row[audience]
            else:
                want = row.get(audience)
            if want is None:
                continue
            url = _url(canary_app, endpoint, accession)
            response = (client.get(url) if method == "GET"
                        else client.post(url, data={"csrf_token": token}))
            if response.status_code != want:
                failures.append(f"{method} {url}: {response.status_code}, expected {want}")
            if endpoint.startswith("api.") and response.status_code in (301, 302, 303):
                failures.append(f"{url} redirects an API client")
        if audience == "public" and endpoint.startswith("staff.") and method == "GET":
            assert "/signin" in client.get(_url(canary_app, endpoint, "CAN-OPEN")).headers.get("Location", "")
        if endpoint == "auth.signout":   # signing out ends the session and its CSRF token
            if audience != "public":
                sign_in(client, audience)
            token = csrf_from(client, "/signin")
    assert not failures, "\n".join(failures)


def test_every_service_method_is_gated(canary_app):
    archive = canary_app.extensions["archive"]
    ungated = [f"{type(s).__name__}.{name}" for s in archive.services() for name in dir(s)
               if not name.startswith("_") and callable(getattr(s, name))
               and name not in ("archive", "load_testimony", "get_testimony", "authorities",
                                "all_testimonies", "record", "revision", "sync", "resync",
                                "publication_problems")
               and not hasattr(getattr(s, name), "__gate__")]
    assert not ungated, f"service methods without a policy check: {ungated}"


def test_gated_methods_refuse_lower_identities(canary_app):
    archive = canary_app.extensions["archive"]
    researcher = Identity(Audience.RESEARCHER, username="r")
    archivist = Identity(Audience.ARCHIVIST, username="a")
    calls = [
        lambda: archive.users.add(archivist, "x", "admin", "a long password"),
        lambda: archive.users.set_role(archivist, "researcher", "admin"),
        lambda: archive.redactions.add(researcher, "CAN-OPEN", category="person", replacement="[x]", field="title"),
        lambda: archive.redactions.approve(researcher, "CAN-OPEN", "R-1"),
        lambda: archive.consent.withdraw(researcher, "CAN-OPEN", "because"),
        lambda: archive.testimonies.set_state(researcher, "CAN-OPEN", "draft"),
        lambda: archive.transfer.import_document(researcher, {}),
        lambda: archive.transfer.export(researcher, "archivist"),
        lambda: archive.index.reindex(researcher),
        lambda: archive.audit.events(researcher),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
