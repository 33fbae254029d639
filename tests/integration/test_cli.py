"""`python -m app ...` as an operator runs it: real subprocesses on a temporary instance folder."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from archive.identity import ANONYMOUS, SYSTEM
from archive.services import Archive
from tests.conftest import EXAMPLE, ROOT

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = VENV_PYTHON if VENV_PYTHON.exists() else sys.executable
SECRET = "a long enough password"


class Output(str):
    """Standard output and error together (as an operator reads them), and stdout alone."""
    stdout: str


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def cli(instance):
    def run(*args, expect: int = 0, password: str | None = None, engine: str | None = None) -> Output:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_") or k == "ARCHIVE_SEARCH_ENGINE"}
        env.update(ARCHIVE_INSTANCE_PATH=str(instance), COLUMNS="1000", NO_COLOR="1")
        if password is not None:
            env["ARCHIVE_PASSWORD"] = password
        if engine is not None:
            env["ARCHIVE_SEARCH_ENGINE"] = engine
        done = subprocess.run([str(PYTHON), "-m", "app", *map(str, args)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        output = done.stdout + done.stderr
        assert done.returncode == expect, f"{args}: exit {done.returncode}, wanted {expect}\n{output}"
        assert "Traceback" not in output, output
        result = Output(output)
        result.stdout = done.stdout
        return result
    return run


def open_archive(instance) -> Archive:
    return Archive(f"sqlite:///{instance / 'archive.db'}", instance / "indexes", instance / "media")


def test_import_export_check_reindex_and_withdraw(cli, instance, tmp_path):
    out = cli("init")
    assert (instance / "archive.db").exists() and (instance / "indexes" / "public").is_dir()
    assert str(instance) in out

    out = cli("import", EXAMPLE)
    assert "Imported 2 testimonies" in out and "3 authority records" in out

    # the same file again: refused as a whole, naming file, record and field
    out = cli("import", EXAMPLE, expect=1)
    assert str(EXAMPLE) in out and "record OH-2015-0001" in out and "field id" in out
    assert "already exists" in out

    public = tmp_path / "public.json"
    out = cli("export", "--audience", "public", "-o", public)
    assert "Wrote 1 testimonies for public" in out
    exported = public.read_text(encoding="utf-8")
    assert "OH-2015-0001" in exported and "OH-2015-0002" not in exported
    for word in ("Khaled", "Haddad", "Suluk", "Gaziantep", "EXAMPLE-LEGAL-NAME-1"):
        assert word not in exported, word
    assert json.loads(exported)["format"] == "testimony-archive/1"

    # export to standard output: the JSON alone on stdout, progress on stderr
    staff = json.loads(cli("export", "--audience", "admin").stdout)
    assert {t["id"] for t in staff["testimonies"]} == {"OH-2015-0001", "OH-2015-0002"}
    assert "EXAMPLE-LEGAL-NAME-1" in json.dumps(staff)

    out = cli("check")
    assert "agree" in out

    # an index that disagrees with the database makes `check` fail, and `reindex` repairs it
    archive = open_archive(instance)
    archive.indexes.remove_testimony("OH-2015-0001")
    archive.close()
    out = cli("check", expect=1)
    assert "OH-2015-0001" in out and "reindex" in out
    out = cli("reindex")
    assert "public: 1" in out and "researcher: 1" in out and "staff: 2" in out
    cli("check")

    out = cli("consent", "withdraw", "OH-2015-0001", "--reason", "narrator asked on the phone")
    assert "OH-2015-0001" in out and "withdrawn" in out
    out = cli("consent", "withdraw", "OH-2015-0001", "--reason", "asked again", expect=1)
    assert "record OH-2015-0001" in out and "already withdrawn" in out
    cli("export", "--audience", "public", "-o", public)
    assert "OH-2015-0001" not in public.read_text(encoding="utf-8")
    assert json.loads(public.read_text(encoding="utf-8"))["testimonies"] == []
    archive = open_archive(instance)
    try:
        assert all(report == {"missing": [], "unexpected": []} for report in archive.index.check(SYSTEM).values())
        assert archive.testimonies.tombstone(ANONYMOUS, "OH-2015-0001")["accession_id"] == "OH-2015-0001"
        events = archive.audit.events(SYSTEM, target="OH-2015-0001")
        assert [e["detail"]["reason"] for e in events if e["action"] == "consent.withdraw"] == \
            ["narrator asked on the phone"]
    finally:
        archive.close()


def test_bad_files_say_what_is_wrong_and_where(cli, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "testimony-archive/1",\n "testimonies": [\n  {"id": "X"\n ]\n}\n',
                      encoding="utf-8")
    out = cli("import", broken, expect=1)
    assert str(broken) in out and "line 4" in out and "column 2" in out

    bad = tmp_path / "bad-date.json"
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["testimonies"][1]["interview_date"] = "June 2015"
    bad.write_text(json.dumps(data), encoding="utf-8")
    out = cli("import", bad, expect=1)
    assert str(bad) in out and "record OH-2015-0002" in out and "field interview_date" in out
    # nothing of the good first testimony was kept
    cli("export", "--audience", "admin", "-o", tmp_path / "all.json")
    assert json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["testimonies"] == []


def test_accounts_from_the_command_line(cli, instance):
    out = cli("user", "add", "rita", "--role", "researcher", password=SECRET)
    assert "rita" in out
    cli("user", "add", "rita", "--role", "admin", password=SECRET, expect=1)
    out = cli("user", "add", "sam", "--role", "admin", password="short", expect=1)
    assert "password" in out
    out = cli("user", "set-role", "rita", "archivist")
    assert "archivist" in out
    cli("user", "set-role", "nobody", "archivist", expect=1)
    archive = open_archive(instance)
    try:
        identity = archive.users.authenticate(ANONYMOUS, "rita", SECRET)
        assert identity.audience.label == "archivist"
        assert archive.users.authenticate(ANONYMOUS, "sam", "short") is None
    finally:
        archive.close()
    cli("user", "disable", "rita")
    archive = open_archive(instance)
    try:
        assert archive.users.authenticate(ANONYMOUS, "rita", SECRET) is None
        assert archive.users.identity_for(ANONYMOUS, identity.user_id) == ANONYMOUS
        assert archive.users.list(SYSTEM) == [{"username": "rita", "role": "archivist", "disabled": True}]
    finally:
        archive.close()


def test_demo_loads_once_and_prints_working_logins(cli, instance):
    out = cli("demo", "--no-sound")
    assert "Loaded 11 fictional demo testimonies" in out
    logins = instance / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    lines = [line.split() for line in logins.read_text().splitlines() if line.strip()]
    assert sorted(role for role, _, _ in lines) == ["admin", "archivist", "archivist", "researcher"]
    for role, name, password in lines:
        assert f"{name}" in out and password in out
    again = cli("demo", "--no-sound")
    assert "Loaded" not in again
    for _, name, password in lines:
        assert password in again
    archive = open_archive(instance)
    try:
        assert len(archive.testimonies.list(SYSTEM)) == 11
        for role, name, password in lines:
            assert archive.users.authenticate(ANONYMOUS, name, password).audience.label == role
    finally:
        archive.close()



def test_changing_the_search_engine_rebuilds_at_init_with_progress(cli, instance):
    cli("init", engine="whoosh")
    cli("import", EXAMPLE, engine="whoosh")
    out = cli("init", engine="sqlite")
    assert "Search indexes (sqlite) built from the database" in out and "Indexing public" in out
    assert (instance / "indexes" / "public" / "index.sqlite").exists()
    assert "agree" in cli("check", engine="sqlite")
    out = cli("reindex", engine="whoosh")  # back again: rebuilt once, by init, and counted
    assert "public: 1" in out and "staff: 2" in out
    assert not (instance / "indexes" / "public" / "index.sqlite").exists()
    assert "agree" in cli("check", engine="whoosh")
