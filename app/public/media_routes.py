"""Photos as a reader may see them: only derivatives, only where consent permits images."""
from __future__ import annotations

from flask import Response

from ..identity import archive, audience, current
from .routes import bp


@bp.get("/media/<asset>/<size>.png")
@audience("public")
def media_derivative(asset: str, size: str):
    # Anything the caller may not see is a NotFound, the same 404 as an asset that never existed.
    # (Cache-Control: no-store for signed-in readers is set for every response in app/security.py.)
    data = archive().media.derivative(current(), asset, size)
    return Response(data, mimetype="image/png")
