"""A route that declares no audience is closed to everyone, admins included."""
from __future__ import annotations

from tests.conftest import sign_in


def test_a_route_without_a_declared_audience_is_closed(security_app):
    security_app.add_url_rule("/undeclared", "undeclared", lambda: "open!")
    for audience in ("public", "admin"):
        client = security_app.test_client() if audience == "public" else sign_in(security_app.test_client(), audience)
        assert client.get("/undeclared").status_code == 403
