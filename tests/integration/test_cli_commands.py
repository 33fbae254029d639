"""The command line as an operator uses it: real subprocesses on a temporary instance folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE, ROOT


@pytest.fixture
def run(tmp_path):
    def run(*args, password: str | None = None, expect: int = 0) -> subprocess.CompletedProcess:
        env = {**os.environ, "ARCHIVE_INSTANCE_PATH": str(tmp_path / "instance"), "COLUMNS": "200"}
        env.pop("ARCHIVE_PASSWORD", None)
        if password:
            env["ARCHIVE_PASSWORD"] = password
        done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == expect, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done
    return run


def test_import_export_check_and_withdraw(run, tmp_path):
    run("init")
    assert (tmp_path / "instance" / "archive.db").exists()
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode & 0o777) == "0o600"
    done = run("import", str(EXAMPLE))
    assert "Imported 2 testimonies" in done.stderr
    again = run("import", str(EXAMPLE), expect=1)
    assert "archive-v1.json" in again.stderr and "OH-2015-0001" in again.stderr and "field id" in again.stderr
    out = tmp_path / "public.json"
    run("export", "--audience", "public", "-o", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [t["id"] for t in exported["testimonies"]] == ["OH-2015-0001"]
    assert "Khaled" not in out.read_text(encoding="utf-8")
    assert "agree for every audience" in run("check").stderr
    assert "public: 1 testimonies" in run("reindex").stderr
    run("consent", "withdraw", "OH-2015-0001", "--reason", "The narrator asked by telephone.")
    run("export", "--audience", "public", "-o", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["testimonies"] == []
    run("check")


def test_bad_files_say_what_and_where(run, tmp_path):
    run("init")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "testimony-archive/1",\n "testimonies": [}', encoding="utf-8")
    assert "line 2, column" in run("import", str(broken), expect=1).stderr
    binary = tmp_path / "latin1.json"
    binary.write_bytes('{"format": "testimony-archive/1", "collections": [{"id": "c", "title": "Caf\xe9"}]}'.encode("latin-1"))
    assert "not valid UTF-8 at byte" in run("import", str(binary), expect=1).stderr
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["testimonies"][0]["interview_date"] = "June 2015"
    dated = tmp_path / "dated.json"
    dated.write_text(json.dumps(data), encoding="utf-8")
    message = run("import", str(dated), expect=1).stderr
    assert "OH-2015-0001" in message and "interview_date" in message and "June 2015" in message


def test_users_from_the_command_line(run):
    run("init")
    run("user", "add", "nadia", "--role", "researcher", password="a long enough password")
    run("user", "add", "nadia", "--role", "researcher", password="a long enough password", expect=1)
    run("user", "add", "short", "--role", "researcher", password="short", expect=1)
    run("user", "set-role", "nadia", "archivist")
    run("user", "disable", "nadia")
    run("user", "disable", "nobody", expect=1)


def test_demo_loads_once_and_prints_logins(run, tmp_path):
    first = run("demo")
    assert "Loaded 11 fictional demo testimonies" in first.stderr
    assert "archivist" in first.stdout and "researcher" in first.stdout
    second = run("demo")
    assert "Loaded" not in second.stderr and second.stdout == first.stdout
