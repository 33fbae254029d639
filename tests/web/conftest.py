"""The web layer's tests run on the SQLite database once.

What a page or a form does is the same on either database: the routes call the services, and the
services and the leak suite (tests/security, but for the access matrix and media leaks: tests/backends.py) run on both databases. Running every
page test twice cost 205 more tests and about a minute of `make test`. The modules whose web flows hold the
archive's promises on writes and reads across the database (the API, the redaction editor's two-person
review, recordings re-encoded after a redaction) still run on both: they import the two-database
`backend` fixture from tests/conftest.py, which overrides this one.
"""
from __future__ import annotations

from tests.backends import sqlite_only  # noqa: F401  (the `backend` fixture, SQLite only)
