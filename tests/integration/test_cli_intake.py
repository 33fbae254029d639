"""`python -m app import` for every intake format, through click's CliRunner on a temporary instance:
the format is read from the content, transcripts need --into, errors exit 1 saying what and where."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from archive.identity import SYSTEM
from archive.services import Archive
from tests.conftest import EXAMPLE

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
SCIHIST = REALDATA / "scihist_digicoll"
DUARTE = SCIHIST / "ohms_xml" / "legacy" / "duarte_OH0344.xml"
TEXT = SCIHIST / "plain_text_transcript" / "isaacs_j2ntg1k_sample_with_timecodes.txt"
DOCX = SCIHIST / "oh_docx" / "sample-oh-timecode-need-sequencing.docx"
SRT = REALDATA / "ada_zangemann_srt" / "en.srt"
ARABIC_VTT = REALDATA / "elephantsdream_vtt" / "captions.ar.vtt"


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def run(instance, monkeypatch):
    monkeypatch.setenv("ARCHIVE_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")

    def invoke(*args, expect: int = 0) -> str:
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == expect, f"{args}: exit {result.exit_code}, wanted {expect}\n{result.output}"
        return " ".join(result.output.split())     # rich wraps long lines; compare words

    return invoke


@pytest.fixture
def stored(instance):
    """What the instance holds, read through a fresh Archive (closed afterwards)."""
    made = []

    def read() -> Archive:
        archive = Archive(f"sqlite:///{instance / 'archive.db'}", instance / "indexes", instance / "media")
        made.append(archive)
        return archive

    yield read
    for archive in made:
        archive.close()


def test_ohms_then_transcripts_into_it(run, stored, tmp_path):
    out = run("import", DUARTE, "--dry-run")
    assert "would create: OH0344" in out and "Early childhood and Duarte family history" in out
    assert "0:03:32" in out and "Dry run: nothing was written" in out
    assert stored().testimonies.list(SYSTEM) == []

    out = run("import", DUARTE)
    assert "draft testimony OH0344" in out and "consent pending" in out
    view = stored().testimonies.get(SYSTEM, "OH0344")
    assert view["state"] == "draft" and len(view["transcripts"][0]["segments"]) == 7

    out = run("import", DUARTE, expect=1)
    assert "error:" in out and str(DUARTE) in out and "record OH0344" in out and "already exists" in out

    # A transcript without --into is refused, saying what to do.
    out = run("import", TEXT, expect=1)
    assert "text transcript" in out and "--into ID" in out

    out = run("import", TEXT, "--into", "OH0344", "--key", "isaacs")
    assert "Transcript isaacs of OH0344 added" in out
    out = run("import", DOCX, "--into", "OH0344", expect=1)
    assert "already has a transcript 'en'" in out
    out = run("import", DOCX, "--into", "OH0344", "--key", "docx")
    assert "Transcript docx of OH0344 added" in out and "(docx)" in out
    out = run("import", SRT, "--into", "OH0344", "--key", "srt", "--dry-run")
    assert "would add: OH0344, transcript srt" in out
    out = run("import", ARABIC_VTT, "--into", "OH0344", "--language", "ar")
    assert "Transcript ar of OH0344 added" in out
    out = run("import", TEXT, "--into", "OH0344", "--key", "isaacs", "--replace")
    assert "Transcript isaacs of OH0344 replaced" in out
    view = stored().testimonies.get(SYSTEM, "OH0344")
    assert [t["key"] for t in view["transcripts"]] == ["en", "isaacs", "docx", "ar"]
    assert view["languages"] == ["en", "ar"]

    out = run("import", TEXT, "--into", "NOPE", expect=1)
    assert "no such testimony" in out
    out = run("import", TEXT, "--into", "OH0344", "--collection", "x", expect=1)
    assert "--collection does not apply to a text file" in out


def test_malformed_copies_exit_1_and_leave_nothing(run, stored, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(DUARTE.read_bytes()[:5000])
    out = run("import", broken, expect=1)
    assert str(broken) in out and "not well-formed XML" in out and "line" in out
    png = tmp_path / "photo.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    out = run("import", png, "--into", "X", expect=1)
    assert "PNG image, not a transcript" in out
    out = run("import", tmp_path / "missing.csv", expect=1)
    assert "cannot read" in out
    assert stored().testimonies.list(SYSTEM) == []


def test_csv_rows_dry_run_then_import(run, stored, tmp_path):
    run("import", EXAMPLE)                       # the JSON import is unchanged
    sheet = tmp_path / "metadata.csv"
    sheet.write_text("accession_id,title,interview_date,languages\n"
                     "NEW-1,A new testimony,2016?,ar\n"
                     "NEW-2,Bad date,around 2016,en\n"
                     "OH-2015-0002,A corrected title,,\n", encoding="utf-8")
    out = run("import", sheet, "--dry-run", expect=1)
    assert "would create" in out and "would update" in out and "Dry run: nothing was written" in out
    assert "interview_date: 'around 2016' is not an EDTF date" in out
    assert "1 of 3 rows would be refused (line 3)" in out
    assert {t["accession_id"] for t in stored().testimonies.list(SYSTEM)} == {"OH-2015-0001", "OH-2015-0002"}

    out = run("import", sheet, expect=1)
    assert "created: 1, updated: 1, unchanged: 0, refused: 1" in out
    assert "1 of 3 rows were refused (line 3); the other rows were imported" in out
    archive = stored()
    assert archive.testimonies.get(SYSTEM, "NEW-1")["interview_date"] == "2016?"
    assert archive.testimonies.get(SYSTEM, "OH-2015-0002")["title"] == "A corrected title"

    good = tmp_path / "good.csv"
    shutil.copy(sheet, good)
    good.write_text("\n".join(line for line in sheet.read_text().splitlines() if "NEW-2" not in line) + "\n")
    out = run("import", good)
    assert "created: 0, updated: 0, unchanged: 2, refused: 0" in out


def test_json_dry_run_and_options_that_do_not_apply(run, stored):
    out = run("import", EXAMPLE, "--dry-run")
    assert "OH-2015-0001: new" in out and "Dry run" in out
    assert stored().testimonies.list(SYSTEM) == []
    out = run("import", EXAMPLE, "--into", "X", expect=1)
    assert "--into does not apply to a json file" in out
    run("import", EXAMPLE)
    out = run("import", EXAMPLE, "--dry-run", expect=1)
    assert "OH-2015-0001 already exists" in out
