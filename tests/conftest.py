"""Shared fixtures: an archive on SQLite and on a real PostgreSQL, the web app, signed-in clients."""
from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path

import pytest

from archive.identity import SYSTEM
from archive.services import Archive

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE = SHARED / "examples" / "archive-v1.json"
REALDATA = SHARED / "realdata"
DEMO = ROOT / "archive" / "demo" / "demo-collection.json"
TODAY = dt.date(2026, 11, 24)
PASSWORD = "correct horse battery staple"
ROLES = ("researcher", "archivist", "reviewer", "admin")
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    """The test server's URL, or None (a skip outside CI, a failure in CI) when none answers."""
    url = os.environ.get("ARCHIVE_TEST_DATABASE_URL") or PG_DEFAULT
    try:
        import psycopg
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return url
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PostgreSQL at {url} is not reachable: {exc}")
        return None


@pytest.fixture(scope="session")
def postgres_url():
    return _postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, postgres_url):
    """One URL per backend; PostgreSQL tests get a schema of their own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    if postgres_url is None:
        pytest.skip("PostgreSQL not reachable (set ARCHIVE_TEST_DATABASE_URL); CI runs these")
    import psycopg
    schema = f"t_{uuid.uuid4().hex[:12]}"
    raw = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def make_archive(database_url, tmp_path):
    made = []

    def make(today: dt.date = TODAY) -> Archive:
        archive = Archive(database_url, tmp_path / "indexes", tmp_path / "media", clock=lambda: today)
        archive.init()
        made.append(archive)
        return archive

    yield make
    for archive in made:
        archive.close()


@pytest.fixture
def archive(make_archive) -> Archive:
    return make_archive()


@pytest.fixture
def example_archive(archive) -> Archive:
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    return archive


@pytest.fixture
def demo_archive(archive) -> Archive:
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    return archive


@pytest.fixture
def app(database_url, tmp_path):
    from app import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                      "TESTING": True, "SESSION_COOKIE_SECURE": False, "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "test-only-key"})
    archive = app.extensions["archive"]
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    for name in ROLES:
        archive.users.add(SYSTEM, name, "archivist" if name == "reviewer" else name, PASSWORD)
    yield app
    archive.close()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(client, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would read it."""
    match = CSRF.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client, username: str):
    token = csrf_from(client, "/signin")
    response = client.post("/signin", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"sign-in as {username} failed"
    return client


@pytest.fixture
def signed_in(app):
    """signed_in(role) -> a test client signed in with that role (or anonymous for 'public')."""
    def make(role: str):
        client = app.test_client()
        return client if role == "public" else sign_in(client, role)
    return make
