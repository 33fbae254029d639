"""The `backend` fixture for modules that run on the SQLite database only (importing it overrides the
two-database one of tests/conftest.py).

What such a module checks is decided above the database: which role may reach which route (the access
matrix), what a photo or recording keeps once stripped (media leaks), what a page shows. The services, the
import and export, the kills, the backups and the leak suite's route sweeps and searches run on both
databases, and they are where the database's own behaviour (its SQL, its locks, its transactions) shows.
"""
from __future__ import annotations

import os

import pytest


@pytest.fixture(params=["sqlite"], name="backend")
def sqlite_only(request):
    return request.param


def engine_database() -> list:
    """For `@pytest.mark.parametrize("backend", engine_database(), indirect=True)`: the database that goes
    with the engine under test. The modules that make test's PostgreSQL pass runs (Makefile:
    PG_ENGINE_TESTS) meet PostgreSQL there, with its engine; running them on it with a local engine as well
    tested the same SQL twice."""
    if os.environ.get("ARCHIVE_SEARCH_ENGINE") == "postgresql":
        return [pytest.param("postgresql", marks=pytest.mark.postgres)]
    return ["sqlite"]
