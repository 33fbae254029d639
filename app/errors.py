"""Error pages that reveal nothing: the same 404 for missing and hidden records."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

from archive.errors import Busy, NotFound, PermissionDenied, ValidationError
from archive.readonly import ReadOnly
from archive.reserve import DiskFull


def N_(message: str) -> str:
    """Marks a message for the catalogues; pages translate it, the JSON API keeps it in English."""
    return message


MESSAGES = {400: N_("Bad request"), 403: N_("Not allowed"), 404: N_("Not found"), 405: N_("Method not allowed"),
            413: N_("Upload too large"), 500: N_("Something went wrong"), 503: N_("Busy")}
EXPIRED_FORM = N_("The form expired or did not come from this site. Reload and try again.")


def _render(code: int, detail: str | None = None):
    # By path too: an unknown /api URL or a wrong method matches no rule, so has no blueprint.
    if (request.blueprint == "api" or request.path == "/api" or request.path.startswith("/api/")
            or request.accept_mimetypes.best == "application/json"):
        return jsonify({"error": MESSAGES.get(code, "Error"), "detail": detail}), code
    return render_template("error.html", code=code, title=gettext(MESSAGES.get(code, N_("Error"))),
                           detail=gettext(detail) if detail == EXPIRED_FORM else detail), code


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: _render(code))
    app.register_error_handler(NotFound, lambda e: _render(404))
    app.register_error_handler(PermissionDenied, lambda e: _render(403))
    app.register_error_handler(ValidationError, lambda e: _render(400, str(e)))
    # A long write held the archive (an import batch, a reindex) past a write's wait, or the disk is full.
    app.register_error_handler(Busy, lambda e: _render(503, str(e)))
    app.register_error_handler(DiskFull, lambda e: _render(503, str(e)))
    # A write reached on a read-only instance (an audited read of restricted material, say).
    app.register_error_handler(ReadOnly, lambda e: _render(503, str(e)))
    app.register_error_handler(CSRFError, lambda e: _render(400, EXPIRED_FORM))
