"""Sign-in, sessions, CSRF on every form, security headers, cookies, error pages that reveal nothing."""
from __future__ import annotations

import re

import pytest

from archive.identity import SYSTEM
from tests.conftest import PASSWORD, TODAY, csrf_from, sign_in, without_csrf
from tests.web.test_auth_csrf_headers import FILL


def test_bad_password_gets_401_and_no_session(client):
    token = csrf_from(client, "/signin")
    response = client.post("/signin", data={"username": "archivist", "password": "wrong", "csrf_token": token})
    assert response.status_code == 401 and "not accepted" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_a_disabled_account_loses_access_at_its_next_request(app):
    client = sign_in(app.test_client(), "archivist")
    assert client.get("/staff/").status_code == 200
    app.extensions["archive"].users.disable(SYSTEM, "archivist")
    assert client.get("/staff/").status_code == 302
    assert client.get("/api/v1/testimonies/OH-2015-0002").status_code == 404


def test_a_demoted_account_loses_staff_pages_at_once(app):
    client = sign_in(app.test_client(), "archivist")
    app.extensions["archive"].users.set_role(SYSTEM, "archivist", "researcher")
    assert client.get("/staff/").status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, target):
    token = csrf_from(client, "/signin")
    response = client.post("/signin", query_string={"next": target},
                           data={"username": "researcher", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client):
    token = csrf_from(client, "/signin")
    response = client.post("/signin", query_string={"next": "/staff/audit"},
                           data={"username": "archivist", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/staff/audit"


def test_every_post_route_demands_a_csrf_token(app):
    client = sign_in(app.test_client(), "admin")
    # (but /oai: harvesters POST without a token, and it only reads public records; tests/integration/test_oai.py)
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint != "oai.endpoint"]
    assert len(posts) >= 6
    for rule in posts:
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: FILL.get(m.group(1), "1"), rule.rule)
        response = client.post(url, data={"reason": "x", "state": "draft", "username": "admin", "password": PASSWORD})
        assert response.status_code == 400, f"POST {url} without a token -> {response.status_code}"
    assert app.extensions["archive"].testimonies.get(SYSTEM, "OH-2015-0001")["state"] == "published"


def test_security_headers_on_every_kind_of_page(app):
    public, staff = app.test_client(), sign_in(app.test_client(), "archivist")
    for client, url in ((public, "/"), (public, "/search?q=raqqa"), (public, "/testimonies/OH-2015-0001"),
                        (public, "/nope"), (public, "/api/v1/search?q=raqqa"), (staff, "/staff/"),
                        (staff, "/testimonies/OH-2015-0001")):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        if client is staff:
            assert "no-store" in headers["Cache-Control"], url


def test_pages_carry_no_inline_script(client):
    import lxml.html
    for url in ("/", "/search?q=Raqqa", "/testimonies/OH-2015-0001", "/signin", "/about", "/search/help",
                "/testimonies/OH-2015-0001/cite"):
        text = client.get(url).get_data(as_text=True)
        for script in lxml.html.fromstring(text).xpath("//script"):
            assert script.get("src", "").startswith("/static/") and not (script.text or "").strip(), url
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", text), url  # no event-handler attributes either


def test_session_cookie_is_secure_httponly_and_samesite_by_default(app, tmp_path):
    from app import create_app
    config = {k: app.config[k] for k in ("DATABASE_URL", "INDEX_DIR", "MEDIA_DIR", "SECRET_KEY")}
    secure_app = create_app({**config, "INSTANCE_PATH": str(tmp_path / "secure"), "TESTING": True,
                             "TODAY": TODAY.isoformat()})
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    client = secure_app.test_client()
    page = client.get("/signin", base_url="https://localhost")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"username": "researcher", "password": PASSWORD, "csrf_token": token}
    # Over HTTPS the CSRF check also wants a same-site Referer.
    assert client.post("/signin", base_url="https://localhost", data=form).status_code == 400
    response = client.post("/signin", base_url="https://localhost", data=form,
                           headers={"Referer": "https://localhost/signin"})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    secure_app.extensions["archive"].close()


def test_hidden_and_missing_testimonies_answer_alike(client):
    hidden, missing = client.get("/testimonies/OH-2015-0002"), client.get("/testimonies/OH-9999-9999")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden) == without_csrf(missing)  # the CSRF token is signed with the time


def test_a_query_is_echoed_escaped(client):
    body = client.get("/search", query_string={"q": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("query", ['title:(', '"unclosed', "((", "AND", "*", "NOT NOT x", "x NOT collection:a NOT y"])
def test_malformed_queries_get_a_message_not_a_500(client, query):
    response = client.get("/search", query_string={"q": query, "page": "abc"})
    assert response.status_code == 200
