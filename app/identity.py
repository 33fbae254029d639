"""Who is asking, and the gate every route passes: each declares its lowest audience; default deny."""
from __future__ import annotations

import functools

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from archive.audience import Audience
from archive.identity import ANONYMOUS, Identity


def archive():
    return current_app.extensions["archive"]


def audience(lowest: str):
    """Declare the lowest audience that may use a route; the gate in `before_request` enforces it."""
    level = Audience.parse(lowest)

    def decorate(view):
        view.__audience__ = level
        return view

    return decorate


def current() -> Identity:
    return g.get("identity", ANONYMOUS)


def _load_identity() -> None:
    user_id = session.get("user_id")
    g.identity = archive().users.identity_for(ANONYMOUS, user_id) if user_id else ANONYMOUS
    if user_id and g.identity is ANONYMOUS:
        session.clear()


def _gate():
    if request.endpoint is None:
        return None        # 404 follows
    view = current_app.view_functions.get(request.endpoint)
    lowest = getattr(view, "__audience__", None)
    if lowest is None:
        if request.endpoint == "static":
            return None
        abort(403)         # a route that declares nothing is closed
    if current().audience < lowest:
        if current().audience == Audience.PUBLIC and request.method == "GET" and not request.blueprint == "api":
            return redirect(url_for("auth.signin", next=request.full_path))
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(_load_identity)
    app.before_request(_gate)

    @app.context_processor
    def inject():
        return {"identity": current(), "Audience": Audience, "site_name": app.config["SITE_NAME"]}


def signed_in(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current().audience == Audience.PUBLIC:
            abort(403)
        return view(*args, **kwargs)
    return wrapper
