"""A read-only instance (archive/readonly.py) in the browser and the API: readers are served, staff are
told that edits are off, and every write is refused in one place, before any route runs."""
from __future__ import annotations

from flask import Flask, current_app, request

from archive.readonly import MESSAGE

from .errors import _render

# Sign-out writes nothing on the server (the session lives in its signed cookie): it stays open.
_STILL_OPEN = frozenset({"auth.signout", "static"})


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_writes():
        if (current_app.extensions["archive"].read_only and request.method not in ("GET", "HEAD", "OPTIONS")
                and request.endpoint not in _STILL_OPEN):
            # Sign-in too: it is audited, and an unaudited sign-in would open restricted records (legal
            # names, risk notes) to reads the audit log could not record either.
            return _render(503, MESSAGE + ".")
        return None

    @app.context_processor
    def _read_only():
        return {"read_only": current_app.extensions["archive"].read_only, "read_only_message": MESSAGE}
