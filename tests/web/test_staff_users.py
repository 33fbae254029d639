"""Account management for admins in the browser (issue 16): list, add (with a one-time link to set the
first password), change role, disable and enable, reset a password with a one-time link. Every change
is audited; non-admins are refused; links are single-use, expire, and only their hash is stored."""
from __future__ import annotations

import datetime as dt
import re

import lxml.html
import pytest
from sqlalchemy import select, update

from archive.identity import SYSTEM
from archive.model import PasswordReset
from tests.conftest import PASSWORD, csrf_from, sign_in

USERS = "/staff/users"


def post(client, url: str, data: dict | None = None, page: str = USERS):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_from(client, page)})


def link_of(response) -> str:
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return doc.get_element_by_id("reset-url").get("value")


def audited(app, action: str, target: str) -> list[dict]:
    return [e for e in app.extensions["archive"].audit.events(SYSTEM, limit=500, target=target)
            if e["action"] == action]


@pytest.mark.parametrize("role", ["public", "researcher", "archivist"])
def test_only_admins_reach_the_account_pages(signed_in, role):
    client = signed_in(role)
    assert client.get(USERS).status_code in ((302,) if role == "public" else (403,))
    token = csrf_from(client, "/signin")
    for url in (USERS, f"{USERS}/researcher/role", f"{USERS}/researcher/disable", f"{USERS}/researcher/enable",
                f"{USERS}/researcher/reset"):
        response = client.post(url, data={"csrf_token": token, "username": "intruder", "role": "admin"})
        assert response.status_code == 403, (role, url)
        assert "reset" not in response.get_data(as_text=True).lower() or response.status_code == 403
    assert "intruder" not in {u["username"] for u in signed_in("admin").application.extensions["archive"].users.list(SYSTEM)}


def test_an_admin_adds_an_account_whose_holder_sets_the_password_once(app, signed_in):
    admin = signed_in("admin")
    listed = admin.get(USERS)
    assert listed.status_code == 200 and "archivist" in listed.get_data(as_text=True)
    refused = post(admin, USERS, {"username": "x", "role": "archivist"})
    assert refused.status_code == 400 and "2-120 letters" in refused.get_data(as_text=True)
    added = post(admin, USERS, {"username": "new.archivist", "role": "archivist"})
    assert added.status_code == 200
    url = link_of(added)
    path = re.sub(r"^https?://[^/]+", "", url)
    assert path.startswith("/reset/")
    token = path.rsplit("/", 1)[1]
    with app.extensions["archive"].db.session() as session:
        stored = session.scalars(select(PasswordReset.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)       # only the hash is kept

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "new.archivist" in page.get_data(as_text=True)
    mismatch = visitor.post(path, data={"password": "a long new password", "again": "another one entirely",
                                        "csrf_token": csrf_from(visitor, path)})
    assert mismatch.status_code == 400 and "the two passwords differ" in mismatch.get_data(as_text=True)
    done = visitor.post(path, data={"password": "a long new password", "again": "a long new password",
                                    "csrf_token": csrf_from(visitor, path)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/signin")
    # single use: the same link is dead now, for a GET and a POST alike
    again = app.test_client()
    assert again.get(path).status_code == 404
    replay = again.post(path, data={"password": "an attacker's password", "again": "an attacker's password",
                                    "csrf_token": csrf_from(again, "/signin")})
    assert replay.status_code == 404
    assert app.extensions["archive"].users.authenticate(SYSTEM, "new.archivist", "a long new password") is not None
    assert app.extensions["archive"].users.authenticate(SYSTEM, "new.archivist", "an attacker's password") is None
    assert audited(app, "user.add", "new.archivist") and audited(app, "user.password_reset", "new.archivist")


def test_role_disable_enable_and_reset_are_audited_and_take_effect(app, signed_in):
    admin, researcher = signed_in("admin"), signed_in("researcher")
    assert post(admin, f"{USERS}/researcher/role", {"role": "archivist"}).status_code == 302
    assert researcher.get("/staff/").status_code == 200                     # the next request sees the new role
    assert post(admin, f"{USERS}/researcher/disable").status_code == 302
    assert researcher.get("/staff/").status_code == 302                     # signed out at the next request
    assert app.test_client().post("/signin", data={"username": "researcher", "password": PASSWORD,
                                                   "csrf_token": csrf_from(app.test_client(), "/signin")}).status_code != 302
    assert post(admin, f"{USERS}/researcher/enable").status_code == 302
    sign_in(app.test_client(), "researcher")

    first = link_of(post(admin, f"{USERS}/researcher/reset"))
    second = link_of(post(admin, f"{USERS}/researcher/reset"))
    visitor = app.test_client()
    assert visitor.get(re.sub(r"^https?://[^/]+", "", first)).status_code == 404   # a new link spends the old
    path = re.sub(r"^https?://[^/]+", "", second)
    assert visitor.get(path).status_code == 200
    with app.extensions["archive"].db.session() as session:                 # expired: refused
        session.execute(update(PasswordReset).values(expires_at=dt.datetime(2000, 1, 1)))
    assert visitor.get(path).status_code == 404
    for action in ("user.set_role", "user.disable", "user.enable", "user.reset_link"):
        events = audited(app, action, "researcher")
        assert events and all(e["actor"] == "admin" for e in events), action
        assert all("token" not in str(e) for e in events)


def test_an_admin_cannot_demote_or_disable_themself(signed_in):
    admin = signed_in("admin")
    assert post(admin, f"{USERS}/admin/role", {"role": "researcher"}).status_code == 400
    assert post(admin, f"{USERS}/admin/disable").status_code == 400
    assert admin.get(USERS).status_code == 200


def test_a_sign_in_is_audited_as_the_user_who_signed_in(app, signed_in):
    signed_in("archivist")
    events = audited(app, "signin.ok", "archivist")
    assert events and events[0]["actor"] == "archivist"
