"""Photos and recordings as a reader may see and hear them: only derivatives, only where consent permits."""
from __future__ import annotations

from flask import Response, request, send_file

from ..identity import archive, audience, current
from .routes import bp


@bp.get("/media/<asset>/<size>.png")
@audience("public")
def media_derivative(asset: str, size: str):
    # Anything the caller may not see is a NotFound, the same 404 as an asset that never existed.
    # (Cache-Control: no-store for signed-in readers is set for every response in app/security.py.)
    data = archive().media.derivative(current(), asset, size)
    return Response(data, mimetype="image/png")


@bp.get("/media/<asset>/audio")
@audience("public")
def media_audio(asset: str):
    # The caller's audience's derivative (its ranges silenced); Range requests answered with 206.
    found = archive().media.audio(current(), asset)
    return send_file(found["path"], mimetype=found["mime"], conditional=True, etag=True, max_age=0)


@bp.get("/media/<asset>/video")
@audience("public")
def media_video(asset: str):
    # As for audio: the audience's derivative (MP4 or WebM), its sound's ranges silenced; 206 for Range.
    found = archive().media.video(current(), asset)
    return send_file(found["path"], mimetype=found["mime"], conditional=True, etag=True, max_age=0)


@bp.get("/media/<asset>/captions.vtt")
@audience("public")
def media_captions(asset: str):
    text = archive().media.captions(current(), asset, request.args.get("transcript") or None)
    return Response(text, mimetype="text/vtt")
