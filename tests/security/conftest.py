"""An app holding the canary dataset and the example file, with one user per role."""
from __future__ import annotations

import pytest

from archive.formats.json_format import parse_document
from archive.identity import SYSTEM
from tests.conftest import EXAMPLE, PASSWORD, TODAY
from tests.security import canary_data


@pytest.fixture
def canary_app(backend, database_url, tmp_path):
    from app import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                      "INDEX_DIR": str(tmp_path / "indexes"), "MEDIA_DIR": str(tmp_path / "media"),
                      "TESTING": True, "SESSION_COOKIE_SECURE": False, "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "test-only-key"})
    archive = app.extensions["archive"]
    archive.init()
    archive.transfer.import_document(SYSTEM, parse_document(canary_data.build(), "canaries"))
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    for name, role in (("researcher", "researcher"), ("archivist", "archivist"),
                       ("reviewer", "archivist"), ("admin", "admin")):
        archive.users.add(SYSTEM, name, role, PASSWORD)
    yield app
    archive.close()
