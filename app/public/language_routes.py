"""The header's language switch: a plain link (it works without script) that keeps the choice in a
cookie and goes back to the page it was followed from."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, request

from ..auth.routes import _safe_next
from ..i18n import COOKIE, LANGUAGES
from ..identity import audience
from .routes import bp


@bp.get("/language/<code>")
@audience("public")
def choose_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    response = redirect(_safe_next(request.args.get("next") or _same_site_referrer()))
    # A preference, not a secret: readable by no script, kept a year, sent only to this site.
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


def _same_site_referrer() -> str | None:
    """The page the link was followed from, when it is on this site (error pages name no address)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")
