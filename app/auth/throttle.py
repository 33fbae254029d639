"""Sign-in throttling with Flask-Limiter: by address, and by account from that address.

Only failures count. Past SIGNIN_LIMIT_PER_ACCOUNT failures for one account from one address, or
SIGNIN_LIMIT_PER_ADDRESS from one address whatever the account, sign-in from there is refused without
a look at the password until the window frees; refusals that keep coming count against SIGNIN_PENALTY
(Flask-Limiter's meta limits), which makes the wait longer. Nothing is counted per account alone: that
would let a stranger lock staff out, where this way the right password from elsewhere still gets in.
Counts live in RATELIMIT_STORAGE_URI, so several servers on one Redis throttle as one.

The audit log gets one `signin.failed` per burst (the first failure of an account from an address),
one `signin.throttled` per burst of refusals from an address with the failures counted, and the count
on the `signin.ok` that ends a burst: a flood of tries cannot grow the log.
"""
from __future__ import annotations

import ipaddress
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, MetaLimit

from archive.identity import ANONYMOUS, Identity

from ..identity import archive

# Failures (or refusals) this close together are one burst, audited once.
BURST_SECONDS = 15 * 60


def address() -> str:
    """Who is trying: the client address, or for IPv6 its /64, which one machine usually has whole."""
    raw = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if ip.version == 6:
        return str(ip.ipv4_mapped or ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _username() -> str:
    return (request.form.get("username") or "")[:120]


def account() -> str:
    # Case-folded: "Admin" and "admin" must not be two allowances for one guesser.
    return f"{_username().casefold()}|{address()}"


def _failed(response) -> bool:
    return response.status_code == 401


def _limiter() -> Limiter:
    return current_app.extensions["signin_limiter"]


def _key(kind: str, value: str) -> str:
    return f"signin/{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}/{kind}/{value}"


def init_app(app: Flask) -> None:
    """Throttle the sign-in form of this app (one limiter per app: its own storage and settings)."""
    limiter = Limiter(key_func=address, app=app, strategy="moving-window")
    app.extensions["signin_limiter"] = limiter
    # Flask-Limiter leaves meta limits out of RATELIMIT_KEY_PREFIX: the scope carries it, so archives
    # sharing one Redis keep their penalties apart.
    penalty_scope = f"{app.config.get('RATELIMIT_KEY_PREFIX', '')}/signin-penalty"
    view = app.view_functions["auth.signin"]
    for limit, key in ((app.config["SIGNIN_LIMIT_PER_ACCOUNT"], account),
                       (app.config["SIGNIN_LIMIT_PER_ADDRESS"], address)):
        penalty = MetaLimit(limit_provider=app.config["SIGNIN_PENALTY"], key_function=key, scope=penalty_scope)
        view = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_failed,
                             meta_limits=[penalty])(view)
    app.view_functions["auth.signin"] = view


def authenticate(username: str, password: str) -> Identity | None:
    """Check the credentials (the limiter let this try through), auditing by burst."""
    storage, burst = _limiter().storage, _key("failures", account())
    failures = storage.get(burst)
    detail = {"address": address()}
    if failures:
        detail["failures_before"] = failures
    identity = archive().users.authenticate(ANONYMOUS, username, password, audit_failure=not failures, **detail)
    if identity is None:
        storage.incr(burst, BURST_SECONDS)
    elif failures:
        storage.clear(burst)
    return identity


def refused() -> int:
    """Seconds until a try from here will be looked at again; audit the first refusal of a burst."""
    storage = _limiter().storage
    if storage.incr(_key("refusals", address()), BURST_SECONDS) == 1:
        archive().users.signin_throttled(ANONYMOUS, _username(), address=address(),
                                         failures=storage.get(_key("failures", account())))
    limit = _limiter().current_limit
    return max(1, int(limit.reset_at - time.time())) if limit else 60
