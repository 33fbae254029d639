"""CSRF on every form, security headers on every response, no caching of anything restricted."""
from __future__ import annotations

from flask import Flask, g, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # Same-origin only: Flask-WTF's HTTPS check wants a Referer on our own forms, and no other
    # site ever learns which testimony or search a reader came from.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.endpoint == "static":
        return response
    identity = g.get("identity")
    anonymous_page = identity is not None and identity.audience == 0 and response.status_code == 200
    if anonymous_page:
        response.headers["Cache-Control"] = "no-cache"
        # A page's interface language follows the language cookie, else the browser's Accept-Language.
        response.headers["Vary"] = "Cookie, Accept-Language" if response.mimetype == "text/html" else "Cookie"
    else:
        # Anything a signed-in person sees may hold restricted material: never keep it in a cache.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)
