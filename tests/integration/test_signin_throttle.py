"""Repeated failed sign-ins for one account are refused for a while, and the refusals are audited."""
from __future__ import annotations

import pytest

from archive.errors import TooManyAttempts
from archive.identity import ANONYMOUS, SYSTEM
from archive.services.users import MAX_FAILURES

GOOD = "a long enough password"


def test_failures_lock_the_account_for_a_while(archive):
    archive.users.add(SYSTEM, "omar", "researcher", GOOD)
    archive.users.add(SYSTEM, "other", "researcher", GOOD)
    for _ in range(MAX_FAILURES):
        assert archive.users.authenticate(ANONYMOUS, "omar", "wrong password") is None
    with pytest.raises(TooManyAttempts):
        archive.users.authenticate(ANONYMOUS, "omar", GOOD)
    assert archive.users.authenticate(ANONYMOUS, "other", GOOD) is not None
    actions = [e["action"] for e in archive.audit.events(SYSTEM, target="omar")]
    assert actions.count("signin.failed") == MAX_FAILURES and "signin.throttled" in actions


def test_the_sign_in_page_answers_429_when_throttled(app, client):
    from tests.conftest import csrf_from
    for _ in range(MAX_FAILURES):
        token = csrf_from(client, "/signin")
        assert client.post("/signin", data={"username": "admin", "password": "nope", "csrf_token": token}).status_code == 401
    token = csrf_from(client, "/signin")
    response = client.post("/signin", data={"username": "admin", "password": "correct horse battery staple",
                                             "csrf_token": token})
    assert response.status_code == 429 and "too many failed sign-ins" in response.get_data(as_text=True)
