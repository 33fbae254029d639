"""The app for the security suites: the canary dataset (tests/security/canaries.py) and the example
file imported, one user per role.

`security_app` copies an archive seeded once per backend (as tests/conftest.py does with the
example and demo), so every test starts from the same state at low cost.
"""
from __future__ import annotations

import re
import uuid
import zlib
from pathlib import Path

import pytest

from archive.formats.json_format import parse_document
from archive.identity import SYSTEM
from archive.services import Archive
from tests.conftest import EXAMPLE, PASSWORD, TODAY, private_app, sign_in
from tests.security import canaries, media_canaries

USERS = (("researcher", "researcher"), ("archivist", "archivist"), ("reviewer", "archivist"), ("admin", "admin"))


def _raw(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


@pytest.fixture(scope="session")
def canary_seeded(tmp_path_factory, postgres_url):
    """The canary dataset and the users, imported once per backend: backend -> (template db, root)."""
    made: dict[str, tuple[str | None, Path]] = {}

    def get(backend: str) -> tuple[str | None, Path]:
        if backend not in made:
            root = tmp_path_factory.mktemp(f"canary-seed-{backend}")
            template = None
            if backend == "sqlite":
                url = f"sqlite:///{root / 'archive.db'}"
            else:
                import psycopg
                template = f"cnry_{uuid.uuid4().hex[:12]}"
                with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{template}"')
                url = postgres_url.rsplit("/", 1)[0] + f"/{template}"
            archive = Archive(url, root / "indexes", root / "media", clock=lambda: TODAY)
            archive.init()
            archive.transfer.import_document(SYSTEM, parse_document(canaries.build(), "canaries.json"))
            archive.transfer.import_file(SYSTEM, EXAMPLE)
            for name, role in USERS:
                archive.users.add(SYSTEM, name, role, PASSWORD)
            media_canaries.plant(archive)
            archive.close()
            made[backend] = (template, root)
        return made[backend]

    yield get
    if made:
        import psycopg
        for template, _ in made.values():
            if template:
                with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{template}"')


@pytest.fixture
def security_app(backend, canary_seeded, tmp_path, postgres_url):
    """The web app over a private copy of the canary archive (canaries + example file + users)."""
    canaries.build()   # CANARIES filled in this process whatever the seed order
    with private_app(backend, *canary_seeded(backend), tmp_path, postgres_url) as app:
        yield app


def client_as(app, audience: str):
    """A test client for an audience: anonymous for public, else signed in as the user of that name."""
    client = app.test_client()
    return client if audience == "public" else sign_in(client, audience)


ZLIB_HEADER = re.compile(rb"\x78[\x01\x5e\x9c\xda]")


def inflated(data: bytes) -> list[bytes]:
    """Whoosh zlib-compresses stored fields: inflate every zlib stream found in the data (each
    offset holding a zlib header is tried; most are not streams and fail at once)."""
    out = []
    for match in ZLIB_HEADER.finditer(data):
        try:
            out.append(zlib.decompressobj().decompress(data[match.start():]))
        except zlib.error:
            pass
    return out


def audience_index_bytes(indexes, audience: str) -> bytes:
    """Everything one audience's index holds: its files' bytes (index_bytes), or for an engine in the
    database, every row of its tables as text."""
    if indexes.in_database:
        return indexes.dump(audience)
    return index_bytes(indexes.index_dirs()[audience])


def index_bytes(path: Path) -> bytes:
    """Every byte of every file under an index directory, plus the inflated streams inside them."""
    files = [p.read_bytes() for p in sorted(Path(path).rglob("*")) if p.is_file()]
    assert files, f"no index files under {path}"
    return b"\0".join(files + [b for f in files for b in inflated(f)])
