"""Issue 12, finding 7: failed sign-ins are throttled by address and by account from that address with a
growing delay, never by a hard lock a stranger could set off; a burst of failures is audited once."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import PASSWORD, csrf_from

STRANGER, STAFF, NEIGHBOUR = "203.0.113.9", "198.51.100.7", "192.0.2.44"


def attempt(client, username: str, password: str, address: str):
    token = csrf_from(client, "/signin")
    return client.post("/signin", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def fail_until_refused(client, username: str, address: str, most: int = 200) -> int:
    """Wrong passwords until the archive stops checking them; how many were checked (answered 401)."""
    for checked in range(most):
        status = attempt(client, username, "wrong password", address).status_code
        if status == 429:
            return checked
        assert status == 401
    raise AssertionError(f"{most} wrong passwords for {username} and never refused")


class Clock:
    """The limiter's idea of now, moved forward by the test instead of by waiting."""

    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time

    import limits.storage.memory

    import app.auth.throttle
    fake = Clock(time.time())
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(app.auth.throttle, "time", fake)
    return fake


def test_a_stranger_cannot_lock_staff_out(app):
    stranger = app.test_client()
    for _ in range(60):
        attempt(stranger, "admin", "wrong password", STRANGER)
    assert attempt(app.test_client(), "admin", PASSWORD, STAFF).status_code == 302


def test_failures_from_one_address_make_it_wait_even_with_the_right_password(app):
    client = app.test_client()
    checked = fail_until_refused(client, "admin", STRANGER)
    assert 3 <= checked <= 10
    refused = attempt(client, "admin", PASSWORD, STRANGER)
    assert refused.status_code == 429 and "user_id" not in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)


def test_the_delay_grows_while_the_refused_keep_trying(app):
    client = app.test_client()
    fail_until_refused(client, "admin", STRANGER)
    waits = [int(attempt(client, "admin", PASSWORD, STRANGER).headers["Retry-After"]) for _ in range(8)]
    # Past the first minute's allowance the wait is a minute; trying on through it earns the penalty's ten.
    assert waits[0] <= 60 and max(waits) >= 9 * 60, waits


def test_after_the_wait_the_right_password_gets_in(app, clock):
    client = app.test_client()
    fail_until_refused(client, "admin", STRANGER)
    wait = int(attempt(client, "admin", PASSWORD, STRANGER).headers["Retry-After"])
    clock.now += wait + 1
    assert attempt(client, "admin", PASSWORD, STRANGER).status_code == 302


def test_one_address_trying_many_accounts_is_throttled_for_all_of_them(app):
    client = app.test_client()
    for n in range(200):
        if attempt(client, f"guess{n}", "wrong password", STRANGER).status_code == 429:
            break
    else:
        raise AssertionError("200 accounts tried from one address and never refused")
    assert n >= 10  # more than one account's allowance: the address limit is what stopped it
    assert attempt(client, "researcher", PASSWORD, STRANGER).status_code == 429
    assert attempt(app.test_client(), "researcher", PASSWORD, NEIGHBOUR).status_code == 302


def test_the_account_key_ignores_case(app):
    client = app.test_client()
    checked = fail_until_refused(client, "admin", STRANGER)
    assert attempt(client, "ADMIN", "wrong password", STRANGER).status_code == 429, checked


def test_ipv6_neighbours_in_one_network_share_a_limit(app):
    client = app.test_client()
    for n in range(200):
        address = f"2001:db8:1:2::{n + 1:x}"
        if attempt(client, f"guess{n}", "wrong password", address).status_code == 429:
            break
    else:
        raise AssertionError("one /64 network never refused")
    assert attempt(app.test_client(), "researcher", PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_a_burst_of_failures_is_audited_once_with_its_count(app):
    from archive.identity import SYSTEM

    client = app.test_client()
    checked = fail_until_refused(client, "admin", STRANGER)
    for _ in range(20):
        attempt(client, "admin", PASSWORD, STRANGER)
    assert attempt(app.test_client(), "admin", PASSWORD, STAFF).status_code == 302
    events = app.extensions["archive"].audit.events(SYSTEM, target="admin")
    actions = [e["action"] for e in events]
    assert actions.count("signin.failed") == 1, actions
    assert actions.count("signin.throttled") == 1, actions
    throttled = next(e for e in events if e["action"] == "signin.throttled")
    assert throttled["detail"]["failures"] == checked and throttled["detail"]["address"] == STRANGER
    failed = next(e for e in events if e["action"] == "signin.failed")
    assert failed["detail"]["address"] == STRANGER
    assert actions.count("signin.ok") == 1


def test_the_limiter_can_keep_its_counts_in_redis_for_several_servers(tmp_path):
    from app import create_app
    from archive.identity import SYSTEM

    redis = pytest.importorskip("redis").Redis.from_url("redis://127.0.0.1:6379")
    try:
        redis.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"no Redis at 127.0.0.1:6379: {exc}")
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True, "SESSION_COOKIE_SECURE": False,
                "SECRET_KEY": "test-only-key", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                "RATELIMIT_KEY_PREFIX": prefix}
    one, two = create_app(settings), create_app(settings)  # two servers of one archive
    one.extensions["archive"].init()
    one.extensions["archive"].users.add(SYSTEM, "admin", "admin", PASSWORD)
    try:
        checked = fail_until_refused(one.test_client(), "admin", STRANGER)
        assert checked >= 3
        # The other server knows: the next try there is refused without a password check.
        assert attempt(two.test_client(), "admin", PASSWORD, STRANGER).status_code == 429
        assert attempt(two.test_client(), "admin", PASSWORD, STAFF).status_code == 302
        assert any(redis.scan_iter(f"*{prefix}*"))
    finally:
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
        one.extensions["archive"].close()
        two.extensions["archive"].close()


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(tmp_path):
    from app import create_app
    from archive.identity import SYSTEM

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True, "SESSION_COOKIE_SECURE": False,
                      "SECRET_KEY": "test-only-key", "PROXY_HOPS": 1})
    app.extensions["archive"].init()
    app.extensions["archive"].users.add(SYSTEM, "admin", "admin", PASSWORD)
    proxy = "10.0.0.2"
    try:
        stranger = app.test_client()
        stranger.environ_base["HTTP_X_FORWARDED_FOR"] = STRANGER
        for n in range(200):
            if attempt(stranger, f"guess{n}", "wrong password", proxy).status_code == 429:
                break
        staff = app.test_client()
        staff.environ_base["HTTP_X_FORWARDED_FOR"] = STAFF
        assert attempt(staff, "admin", PASSWORD, proxy).status_code == 302
        actions = app.extensions["archive"].audit.events(SYSTEM)
        assert any(e["detail"].get("address") == STRANGER for e in actions if e["action"] == "signin.throttled")
    finally:
        app.extensions["archive"].close()
