"""The API's OpenAPI 3.1 description, generated (apispec) from the routes that serve it: each route's
docstring holds its operation (YAML after `---`), app/api/schemas.py the shapes of its answers. Built
once per app, from the routes the app has: a route added without a description shows in the test
that every /api/v1 route is described (tests/web/test_openapi.py)."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from .schemas import SCHEMAS

PREFIX = "/api/v1"
DESCRIPTION = (
    "The testimonies, search, citations and exchange formats of the archive, each as the caller's "
    "audience may see them (the same views as the pages): anonymous callers get the public's; a session "
    "signed in on the site (the archive_session cookie) gets its role's. Nothing here writes. "
    "Errors are JSON {error, detail}; a testimony withdrawn at the narrator's request answers 410 with "
    "its tombstone. No route asks for credentials (no 401) or refuses a caller by role (no 403): what a "
    "caller may not see is answered as absent (404); nothing here is rate-limited (no 429).")

# Answers every route may give, described once.
RESPONSES = {
    "NotFound": ("No such record, or none the caller may see (the two are answered alike).", "Error"),
    "BadRequest": ("An argument the route cannot use; its detail says which and why.", "Error"),
    "Gone": ("Withdrawn at the narrator's request: only the tombstone remains.", "Gone"),
    "Busy": ("The archive is busy (a long write), read-only, or its disk is full; try again.", "Error"),
}


def build(app: Flask) -> dict:
    """The OpenAPI document of `app`'s /api/v1 routes."""
    spec = APISpec(title=f"{app.config['SITE_NAME']} API", version="1", openapi_version="3.1.0",
                   plugins=[FlaskPlugin(), MarshmallowPlugin()], info={"description": DESCRIPTION})
    for schema in SCHEMAS:
        if schema.__name__ not in spec.components.schemas:    # (nested ones register themselves)
            spec.components.schema(schema.__name__, schema=schema)
    for name, (description, schema) in RESPONSES.items():
        spec.components.response(name, {"description": description,
                                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}})
    spec.components.security_scheme("session", {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME") or "archive_session",
        "description": "The session of a user signed in on the site: its role's audience instead of the public's."})
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.rule.startswith(PREFIX) and rule.endpoint.startswith("api."):
                spec.path(view=app.view_functions[rule.endpoint], app=app)
    document = spec.to_dict()
    for item in document["paths"].values():
        for op in item.values():
            op["responses"].setdefault("503", {"$ref": "#/components/responses/Busy"})
    # Signed in or not: every operation answers, each audience its own view.
    document["security"] = [{}, {"session": []}]
    return document


def document(app: Flask) -> dict:
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = build(app)
    return app.extensions["openapi"]


def operations(doc: dict) -> list[dict]:
    """The operations as the docs page lists them: path, method and the operation, in path order."""
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out.append({"path": path, "method": method.upper(), **op,
                            "parameters": [_resolve(doc, p) for p in op.get("parameters", [])],
                            "responses": {code: _resolve(doc, r) for code, r in op["responses"].items()}})
    return out


def _resolve(doc: dict, item: dict) -> dict:
    ref = item.get("$ref")
    if not ref:
        return item
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def schema_name(response: dict, media: str = "application/json") -> str | None:
    schema = (response.get("content") or {}).get(media, {}).get("schema") or {}
    return schema.get("$ref", "").rsplit("/", 1)[-1] or None
