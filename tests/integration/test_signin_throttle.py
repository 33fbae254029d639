"""The core never locks an account: throttling is the web layer's, by address (tests/security/
test_signin_throttle.py). Failures are audited unless the caller has audited their burst already."""
from __future__ import annotations

from archive.identity import ANONYMOUS, SYSTEM

GOOD = "a long enough password"


def test_no_number_of_failures_locks_the_account_in_the_core(archive):
    archive.users.add(SYSTEM, "omar", "researcher", GOOD)
    for _ in range(30):
        assert archive.users.authenticate(ANONYMOUS, "omar", "wrong password") is None
    assert archive.users.authenticate(ANONYMOUS, "omar", GOOD) is not None


def test_a_failure_is_audited_unless_its_burst_already_was(archive):
    archive.users.add(SYSTEM, "omar", "researcher", GOOD)
    archive.users.authenticate(ANONYMOUS, "omar", "wrong password", address="203.0.113.9")
    for _ in range(5):
        archive.users.authenticate(ANONYMOUS, "omar", "wrong password", audit_failure=False)
    archive.users.signin_throttled(ANONYMOUS, "omar", address="203.0.113.9", failures=6)
    archive.users.authenticate(ANONYMOUS, "omar", GOOD, audit_failure=False, failures_before=6)
    events = [e for e in archive.audit.events(SYSTEM, target="omar") if e["action"].startswith("signin.")]
    assert [e["action"] for e in reversed(events)] == ["signin.failed", "signin.throttled", "signin.ok"]
    assert events[2]["detail"] == {"address": "203.0.113.9"}
    assert events[1]["detail"] == {"address": "203.0.113.9", "failures": 6}
    assert events[0]["detail"] == {"failures_before": 6}
