"""The web layer's tests run on the SQLite database once.

What a page or a form does is the same on either database: the routes call the services, and the
services, the leak suite (tests/security) and the access matrix run on both databases. Running every
page test twice cost 205 more tests and about a minute of `make test`. The modules whose web flows hold the
archive's promises on writes and reads across the database (the API, the redaction editor's two-person
review, recordings re-encoded after a redaction) still run on both: they import the two-database
`backend` fixture from tests/conftest.py, which overrides this one.
"""
from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param
