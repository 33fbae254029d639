"""Signing in and out, sessions that follow the account, CSRF on every POST, security headers, cookies."""
from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest

from archive.identity import SYSTEM
from tests.conftest import PASSWORD, TODAY, csrf_from, sign_in

FILL = {"accession_id": "OH-2015-0001", "key": "R-1", "asset": "0" * 64, "term_id": "1", "job": "A" * 22}
SESSION_COOKIE = "archive_session"


def set_cookies(response) -> dict[str, dict]:
    """Set-Cookie headers by cookie name: {"value": ..., "httponly": bool, "secure": bool, "samesite": ...}."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            lowered = header.lower()
            found[name] = {"value": morsel.value, "httponly": "; httponly" in lowered, "secure": "; secure" in lowered,
                           "samesite": morsel["samesite"]}
    return found


def session_of(app, client) -> dict:
    """The decoded session the client's cookie carries (empty without one)."""
    cookie = client.get_cookie(SESSION_COOKIE)
    if cookie is None:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)
    return dict(serializer.loads(cookie.value))


def post_signin(client, username: str, password: str, **kwargs):
    token = csrf_from(client, "/signin")
    return client.post("/signin", data={"username": username, "password": password, "csrf_token": token}, **kwargs)


# --- signing in and out ---------------------------------------------------------------------------

def test_the_right_password_signs_in_and_the_session_names_the_user(app, client):
    response = post_signin(client, "researcher", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert isinstance(session_of(app, client).get("user_id"), int)
    home = client.get("/").get_data(as_text=True)
    assert "researcher · researcher" in home
    assert client.get("/testimonies/DEMO-2015-0003").status_code == 200       # researchers-only testimony


WRONG = [("researcher", "wrong"), ("researcher", PASSWORD.upper()), ("nobody-here", PASSWORD),
         ("researcher", PASSWORD + " "), ("Researcher", PASSWORD)]


def test_a_wrong_password_or_unknown_user_gets_401_and_no_signed_in_session(app):
    for username, password in WRONG:
        client = app.test_client()
        response = post_signin(client, username, password)
        assert response.status_code == 401, (username, password)
        assert "Those credentials were not accepted." in response.get_data(as_text=True)
        assert "user_id" not in session_of(app, client)
        assert client.get("/testimonies/DEMO-2015-0003").status_code == 404
        assert client.get("/staff/").status_code == 302


def test_an_empty_form_is_not_a_sign_in(app, client):
    token = csrf_from(client, "/signin")
    response = client.post("/signin", data={"username": "", "password": "", "csrf_token": token})
    assert response.status_code == 200 and "user_id" not in session_of(app, client)


def test_signing_out_ends_the_session(app, signed_in):
    client = signed_in("archivist")
    token = csrf_from(client, "/")
    response = client.post("/signout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "user_id" not in session_of(app, client)
    assert client.get("/staff/").status_code == 302


def test_signing_in_replaces_the_session_rather_than_extending_it(app, client):
    client.get("/signin")
    before = session_of(app, client).get("csrf_token")
    post_signin(client, "researcher", PASSWORD)
    after = session_of(app, client)
    assert after.get("user_id") and after.get("csrf_token") != before


def test_a_user_disabled_after_signing_in_loses_access_on_the_next_request(app, signed_in):
    researcher, archivist = signed_in("researcher"), signed_in("archivist")
    assert researcher.get("/testimonies/DEMO-2015-0003").status_code == 200
    assert archivist.get("/staff/").status_code == 200
    archive = app.extensions["archive"]
    archive.users.disable(SYSTEM, "researcher")
    archive.users.disable(SYSTEM, "archivist")
    assert researcher.get("/testimonies/DEMO-2015-0003").status_code == 404
    assert "user_id" not in session_of(app, researcher)           # the stale session is cleared
    assert archivist.get("/staff/").status_code == 302
    assert archivist.get("/api/v1/testimonies/OH-2015-0002").status_code == 404
    assert "researcher · " not in researcher.get("/").get_data(as_text=True)
    # and a disabled account cannot sign in again
    assert post_signin(app.test_client(), "researcher", PASSWORD).status_code == 401


def test_a_role_change_takes_effect_on_the_next_request(app, signed_in):
    client = signed_in("archivist")
    app.extensions["archive"].users.set_role(SYSTEM, "archivist", "researcher")
    assert client.get("/staff/").status_code == 403
    assert client.get("/testimonies/DEMO-2015-0003").status_code == 200


# --- redirects after sign-in ----------------------------------------------------------------------

OFF_SITE = ["//evil.example", "https://evil.example", "https://evil.example/staff/", "//evil.example/%2F..",
            "http:evil.example", "/\t/evil.example", "javascript:alert(1)", "evil.example", "\\\\evil.example"]


def test_sign_in_refuses_to_redirect_off_site(app):
    for target in OFF_SITE:
        response = post_signin(app.test_client(), "researcher", PASSWORD, query_string={"next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_a_backslash_next_cannot_become_a_protocol_relative_url(client):
    response = post_signin(client, "researcher", PASSWORD, query_string={"next": "/\\evil.example"})
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


def test_sign_in_follows_a_local_next(client):
    response = post_signin(client, "archivist", PASSWORD, query_string={"next": "/staff/audit?x=1"})
    assert response.headers["Location"] == "/staff/audit?x=1"


def test_an_anonymous_visitor_is_sent_to_sign_in_with_the_page_asked_for(client):
    response = client.get("/staff/audit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/staff/audit")


# --- CSRF -----------------------------------------------------------------------------------------

# OAI-PMH harvesters POST their requests without a token (the protocol allows GET or POST); the
# endpoint only reads public records (tests/integration/test_oai.py, tests/security/test_oai_leaks.py).
READ_ONLY_POSTS = {"oai.endpoint"}


def post_rules(app):
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert {r.endpoint for r in rules} >= {"auth.signin", "auth.signout", "staff.withdraw", "staff.add_redaction",
                                           "staff.approve_redaction", "staff.set_state", "staff.reindex"}
    return [r for r in rules if r.endpoint not in READ_ONLY_POSTS]


def filled(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: FILL.get(m.group(1), "1"), rule.rule)


FORM = {"reason": "testing", "state": "draft", "username": "archivist", "password": PASSWORD,
        "transcript": "en", "start": "0", "end": "11", "text": "Interviewer", "category": "person",
        "replacement": "[x]", "visible_to": "archivist"}


@pytest.mark.parametrize("role", ["public", "archivist", "admin"])
def test_every_post_route_refuses_a_request_without_a_csrf_token(app, signed_in, role):
    client = signed_in(role)
    for rule in post_rules(app):
        response = client.post(filled(rule), data=FORM)
        assert response.status_code == 400, f"{role}: POST {filled(rule)} without a token -> {response.status_code}"
    archive = app.extensions["archive"]
    view = archive.testimonies.get(SYSTEM, "OH-2015-0001")
    assert view["state"] == "published" and len(view["redactions"]) == 3
    assert view["consent"]["status"] == "granted"


def test_every_post_route_refuses_another_sessions_token(app, signed_in):
    victim, attacker = signed_in("archivist"), signed_in("reviewer")
    stolen = csrf_from(attacker, "/staff/")
    for rule in post_rules(app):
        response = victim.post(filled(rule), data={**FORM, "csrf_token": stolen})
        assert response.status_code == 400, f"POST {filled(rule)} with another session's token"
    assert app.extensions["archive"].testimonies.get(SYSTEM, "OH-2015-0001")["state"] == "published"


def test_a_forged_token_is_refused_with_a_readable_message(signed_in):
    client = signed_in("archivist")
    response = client.post("/staff/reindex", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)


def test_sign_in_itself_needs_the_token(app, client):
    response = client.post("/signin", data={"username": "archivist", "password": PASSWORD})
    assert response.status_code == 400 and "user_id" not in session_of(app, client)


# --- headers --------------------------------------------------------------------------------------

PUBLIC_PAGES = ["/", "/search?q=Raqqa", "/testimonies/OH-2015-0001", "/collections", "/collections/crossings",
                "/about", "/signin", "/testimonies/DEMO-2017-0011", "/testimonies/NOPE", "/api/v1/testimonies",
                "/api/v1/search?q=raqqa", "/search?q=title:("]
STAFF_PAGES = ["/staff/", "/staff/testimonies/OH-2015-0001", "/staff/testimonies/OH-2015-0001/withdraw",
               "/staff/audit", "/staff/jobs", "/testimonies/OH-2015-0001",
               "/api/v1/testimonies/OH-2015-0002", "/"]


def assert_security_headers(response, url):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "script-src" in directives or "default-src" in directives, url
    script_src = directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src and "*" not in script_src, url
    assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin", "strict-origin-when-cross-origin"), url


def test_security_headers_on_public_pages(client):
    for url in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code in (200, 404, 410), url
        assert_security_headers(response, url)


def test_security_headers_and_no_store_for_signed_in_readers(signed_in):
    for role, urls in (("archivist", STAFF_PAGES), ("researcher", ["/", "/testimonies/DEMO-2015-0003",
                                                                   "/search?q=Suluk", "/api/v1/testimonies"])):
        client = signed_in(role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            assert_security_headers(response, url)
            assert "no-store" in response.headers.get("Cache-Control", ""), (role, url)


def test_refusals_and_redirects_are_not_cached_either(client, signed_in):
    assert "no-store" in client.get("/staff/").headers["Cache-Control"]                  # redirect to sign in
    assert "no-store" in signed_in("researcher").get("/staff/").headers["Cache-Control"]  # 403


def test_anonymous_public_pages_vary_on_the_cookie(client):
    response = client.get("/testimonies/OH-2015-0001")
    assert "no-store" not in response.headers["Cache-Control"]
    assert "Cookie" in response.headers.get("Vary", "")


def test_the_stylesheet_is_served_with_nosniff(client):
    with client.get("/static/archive.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- the session cookie ---------------------------------------------------------------------------

def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = set_cookies(post_signin(client, "researcher", PASSWORD))[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]                 # the test app turned SESSION_COOKIE_SECURE off


@pytest.fixture
def default_app(app, monkeypatch):
    """The same archive served by an app that leaves SESSION_COOKIE_SECURE at its default."""
    from app import create_app
    monkeypatch.delenv("ARCHIVE_SESSION_COOKIE_SECURE", raising=False)
    secure = create_app({key: app.config[key] for key in ("INSTANCE_PATH", "DATABASE_URL", "INDEX_DIR", "MEDIA_DIR")}
                        | {"TESTING": True, "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-only-key"})
    yield secure
    secure.extensions["archive"].close()


def https_sign_in(client, username: str):
    """Sign in over HTTPS as a browser does: the page's same-origin Referrer-Policy sends the form's URL."""
    token = csrf_from(client, "https://localhost/signin")
    return client.post("https://localhost/signin", data={"username": username, "password": PASSWORD,
                                                         "csrf_token": token},
                       headers={"Referer": "https://localhost/signin"})


def test_by_default_the_session_cookie_is_secure(default_app):
    assert default_app.config["SESSION_COOKIE_SECURE"] is True
    client = default_app.test_client()
    response = https_sign_in(client, "archivist")
    assert response.status_code == 302
    cookie = set_cookies(response)[SESSION_COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert client.get("https://localhost/staff/").status_code == 200
    assert "Strict-Transport-Security" not in client.get("http://localhost/").headers


def test_pages_let_browsers_send_a_referer_to_this_site_only(client):
    """Over HTTPS Flask-WTF also checks that a form's Referer is this site: the pages must allow a
    same-origin Referer (not "no-referrer") while telling other sites nothing."""
    response = client.get("/signin")
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin", "strict-origin-when-cross-origin")
    assert '<meta name="referrer" content="no-referrer">' not in response.get_data(as_text=True)


def test_over_https_a_form_needs_its_token_and_a_same_site_referer(default_app):
    client = default_app.test_client()
    assert https_sign_in(client, "archivist").status_code == 302
    token = csrf_from(client, "https://localhost/staff/")
    post = lambda **headers: client.post("https://localhost/staff/reindex", data={"csrf_token": token},  # noqa: E731
                                         headers=headers).status_code
    assert post(Referer="https://evil.example/staff/") == 400
    assert post(Referer="http://localhost/staff/") == 400          # a downgraded page may not post either
    assert post() == 400                                            # no Referer at all
    assert post(Referer="https://localhost/staff/") == 302


def test_sign_in_helper_and_cookie_agree(app):
    client = sign_in(app.test_client(), "reviewer")
    assert session_of(app, client).get("user_id")
    assert client.get("/staff/").status_code == 200
