"""Which search engine an archive uses: the SQLite engine for a new archive (the one that meets the speed
targets), the engine its indexes already have for an existing one, the operator's SEARCH_ENGINE above both."""
from __future__ import annotations

import pytest

from archive.identity import ANONYMOUS, SYSTEM
from archive.services import Archive
from tests.integration.test_cli import cli, instance  # noqa: F401 - fixtures
from tests.integration.test_search_language import document, record

from ..conftest import EXAMPLE, TODAY


@pytest.fixture(autouse=True)
def no_setting(monkeypatch):
    # The suite's passes set the engine for every archive they make; these tests are about the absence.
    monkeypatch.delenv("ARCHIVE_SEARCH_ENGINE", raising=False)


def _open(tmp_path, engine: str | None = None) -> Archive:
    archive = Archive(f"sqlite:///{tmp_path / 'archive.db'}", tmp_path / "indexes", tmp_path / "media",
                      clock=lambda: TODAY, search_engine=engine)
    return archive


def _finds_the_ferry(archive: Archive) -> bool:
    return [t.accession_id for t in archive.search.search(ANONYMOUS, "ferry").testimonies] == ["T-FERRY"]


def _whoosh_archive(tmp_path) -> None:
    archive = _open(tmp_path, "whoosh")
    archive.init()
    archive.transfer.import_document(SYSTEM, document(record("T-FERRY", "The ferry crossed at dawn.")))
    archive.close()


def test_a_new_archive_with_no_setting_gets_the_sqlite_engine(tmp_path):
    archive = _open(tmp_path)
    try:
        assert (archive.search_engine, archive.search_engine_reason) == ("sqlite", "the default for a new archive")
        assert archive.init() is True
        assert (tmp_path / "indexes" / "public" / "index.sqlite").exists()
        archive.transfer.import_document(SYSTEM, document(record("T-FERRY", "The ferry crossed at dawn.")))
        assert _finds_the_ferry(archive)
    finally:
        archive.close()
    archive = _open(tmp_path)  # reopened: the same engine, now because its indexes say so
    try:
        assert (archive.search_engine, archive.search_engine_reason) == ("sqlite", "kept from the existing indexes")
        assert archive.init() is False and _finds_the_ferry(archive)
    finally:
        archive.close()


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "made-before-the-record"])
def test_an_archive_whose_indexes_whoosh_wrote_keeps_whoosh_with_no_setting(tmp_path, recorded):
    _whoosh_archive(tmp_path)
    if not recorded:  # an instance made by a version that did not yet record its engine
        (tmp_path / "indexes" / "engine").unlink()
    before = sorted(p.name for p in (tmp_path / "indexes" / "public").iterdir())
    archive = _open(tmp_path)
    try:
        assert (archive.search_engine, archive.search_engine_reason) == ("whoosh", "kept from the existing indexes")
        assert archive.init() is False  # nothing rebuilt
        assert sorted(p.name for p in (tmp_path / "indexes" / "public").iterdir()) == before
        assert not (tmp_path / "indexes" / "public" / "index.sqlite").exists()
        assert _finds_the_ferry(archive)
    finally:
        archive.close()
    assert (tmp_path / "indexes" / "engine").read_text().strip() == "whoosh"


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_an_explicit_setting_switches_the_engine_rebuilds_and_is_kept(tmp_path, monkeypatch, how):
    _whoosh_archive(tmp_path)
    if how == "environment":
        monkeypatch.setenv("ARCHIVE_SEARCH_ENGINE", "sqlite")
    archive = _open(tmp_path, "sqlite" if how == "argument" else None)
    try:
        assert (archive.search_engine, archive.search_engine_reason) == ("sqlite", "set by SEARCH_ENGINE")
        assert archive.init() is True  # rebuilt from the database
        assert (tmp_path / "indexes" / "public" / "index.sqlite").exists()
        assert _finds_the_ferry(archive)
    finally:
        archive.close()
    monkeypatch.delenv("ARCHIVE_SEARCH_ENGINE", raising=False)
    archive = _open(tmp_path)  # the setting removed: the archive stays on what the operator chose
    try:
        assert (archive.search_engine, archive.search_engine_reason) == ("sqlite", "kept from the existing indexes")
        assert archive.init() is False and _finds_the_ferry(archive)
    finally:
        archive.close()


def test_an_unknown_engine_setting_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown search engine 'elastic'"):
        _open(tmp_path, "elastic")


def test_the_app_setting_defaults_to_keeping_the_archives_engine():
    from app.config import DEFAULTS
    assert DEFAULTS["SEARCH_ENGINE"] == ""


def test_init_says_which_engine_the_archive_uses_and_why(cli, instance):  # noqa: F811
    out = cli("init")
    assert "Search engine: sqlite (the default for a new archive)" in out
    assert (instance / "indexes" / "public" / "index.sqlite").exists()
    assert "Search engine: sqlite (kept from the existing indexes)" in cli("init")

    out = cli("init", engine="whoosh")
    assert "Search engine: whoosh (set by SEARCH_ENGINE)" in out
    assert "Search indexes (whoosh) built from the database" in out
    cli("import", EXAMPLE)
    out = cli("init")
    assert "Search engine: whoosh (kept from the existing indexes" in out
    assert "built from the database" not in out
    assert not (instance / "indexes" / "public" / "index.sqlite").exists()
    assert "agree" in cli("check")
