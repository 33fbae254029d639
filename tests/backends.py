"""The `backend` fixture for modules that run on the SQLite database only (importing it overrides the
two-database one of tests/conftest.py).

What such a module checks is decided above the database: which role may reach which route (the access
matrix), what a photo or recording keeps once stripped (media leaks), what a page shows. The services, the
import and export, the kills, the backups and the leak suite's route sweeps and searches run on both
databases, and they are where the database's own behaviour (its SQL, its locks, its transactions) shows.
"""
from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite"], name="backend")
def sqlite_only(request):
    return request.param
