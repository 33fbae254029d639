"""Shared fixtures: an archive on SQLite and on a real PostgreSQL, the web app, signed-in clients."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
import os
import re
import uuid
from pathlib import Path

import pytest

# Hundreds of archives are made by the suite: each keeps a 1 MB disk reserve, not the 64 MB default.
os.environ.setdefault("ARCHIVE_DISK_RESERVE_MB", "1")
# The real XML schemas (tests/xml_schemas.py) import each other by remote URL: libxml2 resolves them to the
# local copies through this catalog, read once, when lxml first needs one, so set before anything parses.
os.environ.setdefault("XML_CATALOG_FILES", str(Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"
                                               / "schemas_catalog" / "catalog.xml"))

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
# The modules whose outcome depends on the search engine's own code (what its index holds, what a search,
# a suggestion or "did you mean" finds, how its writes survive a kill or a full disk): they run once per
# engine. Every other test runs once, on the default engine (`--engine-dependent-only` selects these for the
# other engines). Services, forms, pages and the API reach an engine only through the one interface
# (archive/search/engine.py) that tests/integration/test_search_index.py pins for every engine, so their
# outcome does not depend on which engine answers: they run once.
ENGINE_DEPENDENT = (
    "tests/security/test_leaks.py", "tests/security/test_disguised_names.py",
    "tests/security/test_translation_leaks.py", "tests/security/test_history_leaks.py",
    "tests/quality/test_judged_queries.py",
    "tests/integration/test_search_index.py", "tests/integration/test_search_language.py",
    "tests/integration/test_search_speedups.py", "tests/integration/test_fts_rewrites.py",
    "tests/integration/test_index_fingerprint.py", "tests/integration/test_services.py",
    "tests/integration/test_consent_purge.py", "tests/integration/test_kills.py",
    "tests/integration/test_disk_full.py", "tests/web/test_suggest_spelling.py",
)


def pytest_addoption(parser):
    parser.addoption("--engine-dependent-only", action="store_true",
                     help="run only the tests whose outcome depends on the search engine (ENGINE_DEPENDENT)")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--engine-dependent-only"):
        return
    keep, drop = [], []
    for item in items:
        path = Path(str(item.fspath)).relative_to(ROOT).as_posix()
        dependent = path.startswith(ENGINE_DEPENDENT)
        (keep if dependent else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


def _raw(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


def _with_options(url: str, options: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options={options}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request, postgres_url):
    if request.param == "postgresql" and postgres_url is None:
        pytest.skip("PostgreSQL not reachable (set ARCHIVE_TEST_DATABASE_URL); CI runs these")
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, postgres_url):
    """An empty database per test; on PostgreSQL a schema of its own, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    import psycopg
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield _with_options(postgres_url, f"-csearch_path%3D{schema}")
    with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
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


def _seed(archive: Archive) -> None:
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.transfer.import_file(SYSTEM, DEMO, fictional=True)
    for name in ROLES:
        archive.users.add(SYSTEM, name, "archivist" if name == "reviewer" else name, PASSWORD)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, postgres_url):
    """The example and demo collections and the test users, imported once per backend and copied
    for each test (importing them for every web test would dominate the suite's time)."""
    made: dict[str, tuple] = {}

    def get(backend: str) -> tuple[str | None, Path]:
        if backend not in made:
            root = tmp_path_factory.mktemp(f"seed-{backend}")
            if backend == "sqlite":
                url, template = f"sqlite:///{root / 'archive.db'}", None
            else:
                import psycopg
                template = f"tpl_{uuid.uuid4().hex[:12]}"
                with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{template}"')
                url = postgres_url.rsplit("/", 1)[0] + f"/{template}"
            archive = Archive(url, root / "indexes", root / "media", clock=lambda: TODAY)
            _seed(archive)
            archive.close()
            made[backend] = (template, root)
        return made[backend]

    yield get
    import psycopg
    for template, _ in made.values():
        if template:
            with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}"')


@contextmanager
def private_app(backend: str, template: str | None, root: Path, tmp_path: Path, postgres_url: str | None):
    """The web app over a private copy of a seeded archive: its SQLite file, or a PostgreSQL
    database made from its template, and its indexes."""
    import shutil

    from app import create_app

    shutil.copytree(root / "indexes", tmp_path / "indexes")
    if (root / "media").is_dir():
        shutil.copytree(root / "media", tmp_path / "media")
    database = None
    if backend == "sqlite":
        shutil.copy(root / "archive.db", tmp_path / "archive.db")
        url = f"sqlite:///{tmp_path / 'archive.db'}"
    else:
        import psycopg
        database = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url,
                      "INDEX_DIR": str(tmp_path / "indexes"), "MEDIA_DIR": str(tmp_path / "media"),
                      "TESTING": True, "SESSION_COOKIE_SECURE": False, "TODAY": TODAY.isoformat(),
                      "SECRET_KEY": "test-only-key", "JOB_QUEUE": "immediate"})
    try:
        yield app
    finally:
        app.extensions["archive"].close()
        if database:
            import psycopg
            with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def app(backend, seeded, tmp_path, postgres_url):
    """The web app over a private copy of the seeded archive."""
    with private_app(backend, *seeded(backend), tmp_path, postgres_url) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def without_csrf(response) -> tuple[int, str]:
    """A response's status and page with its CSRF token left out: the token is signed with the time,
    so two pages a second apart differ there and nowhere else."""
    return response.status_code, CSRF.sub("", response.data.decode("utf-8", "replace"))


def csrf_from(client, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would read it."""
    match = CSRF.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def export_by_job(client, audience: str, fmt: str = "json", collection: str = ""):
    """An export asked for on the dashboard (a job, which the tests' immediate queue runs at once) and
    downloaded from the job's page; the refusal itself when it is refused."""
    token = csrf_from(client, "/staff/")
    asked = client.post("/staff/exports", data={"audience": audience, "format": fmt, "collection": collection,
                                                "csrf_token": token})
    if asked.status_code != 302:
        return asked
    job_id = asked.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"/staff/jobs/{job_id}/download")
    response.get_data()     # read whole and closed: the file it was sent from is let go
    response.close()
    return response


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
