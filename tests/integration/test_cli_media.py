"""`python -m app media add` and `python -m app fixity` as an operator runs them (real subprocesses)."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from archive.identity import ANONYMOUS, SYSTEM
from archive.services import Archive
from tests.conftest import EXAMPLE, ROOT

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = VENV_PYTHON if VENV_PYTHON.exists() else sys.executable
OPEN = "OH-2015-0001"


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def run(instance):
    def run(*args, expect: int = 0) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_") or k == "ARCHIVE_SEARCH_ENGINE"}
        env.update(ARCHIVE_INSTANCE_PATH=str(instance), COLUMNS="1000", NO_COLOR="1")
        done = subprocess.run([str(PYTHON), "-m", "app", *map(str, args)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        output = done.stdout + done.stderr
        assert done.returncode == expect, output
        assert "Traceback" not in output, output
        return output
    run("import", EXAMPLE)
    return run


def archive_of(instance) -> Archive:
    return Archive(f"sqlite:///{instance / 'archive.db'}", instance / "indexes", instance / "media")


def jpeg_file(tmp_path, name="photo.jpg", colour=(90, 110, 90)):
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def originals(instance) -> list:
    return sorted((instance / "media" / "originals").glob("??/??/*"))


def test_media_add_attaches_a_photo_with_its_caption_through_the_same_intake(run, instance, tmp_path):
    path = jpeg_file(tmp_path)
    output = run("media", "add", OPEN, path, "--caption", "The ferry")
    assert f"Attached photo.jpg to {OPEN} as a photo (image/jpeg" in output
    archive = archive_of(instance)
    try:
        (asset,) = archive.media.assets_for(ANONYMOUS, OPEN)
        assert asset["caption"] == "The ferry" and (asset["width"], asset["height"]) == (200, 100)
        assert asset["id"] in output
        assert archive.media.derivative(ANONYMOUS, asset["id"], "thumb").startswith(b"\x89PNG")
        assert archive.media.asset(SYSTEM, asset["id"])["created_by"] == "system (command line)"
        assert "media.add" in {e["action"] for e in archive.audit.events(SYSTEM)}
    finally:
        archive.close()


def test_media_add_of_documents_and_recordings_by_kind(run, instance, tmp_path):
    pdf = tmp_path / "consent.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n%%EOF\n")
    wav = tmp_path / "voice.wav"
    wav.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(24))
    assert "as a consent-form (application/pdf" in run("media", "add", OPEN, pdf, "--kind", "consent-form")
    assert "as an audio (audio/wav" in run("media", "add", OPEN, wav, "--kind", "audio")
    archive = archive_of(instance)
    try:
        assert [a["kind"] for a in archive.media.assets_for(SYSTEM, OPEN)] == ["consent-form", "audio"]
        assert archive.media.assets_for(ANONYMOUS, OPEN) == []
    finally:
        archive.close()


@pytest.mark.parametrize("args, message", [
    (["media", "add", OPEN, "{html}"], "page.jpg: The file is an HTML file; only JPEG"),
    (["media", "add", OPEN, "{html}", "--kind", "audio"], "page.jpg: The file is an HTML file; only WAV"),
    (["media", "add", "NO-SUCH", "{photo}"], "no such testimony"),
    (["media", "add", OPEN, "{missing}"], "/nothing.jpg: No such file or directory"),
])
def test_media_add_refusals_say_what_and_where_and_store_nothing(run, instance, tmp_path, args, message):
    html = tmp_path / "page.jpg"
    html.write_text("<!doctype html><p>not a photo</p>")
    values = {"html": html, "photo": jpeg_file(tmp_path), "missing": tmp_path / "nothing.jpg"}
    output = run(*[a.format(**values) for a in args], expect=1)
    text = " ".join(output.split())
    assert text.startswith("error: ") and message in text and text.count("error:") == 1, output
    assert originals(instance) == []


def test_media_add_refuses_an_unknown_kind_before_reading(run, tmp_path):
    output = run("media", "add", OPEN, jpeg_file(tmp_path), "--kind", "poster", expect=2)
    assert "Invalid value for '--kind'" in output


def test_fixity_reports_missing_and_changed_files_and_exits_1(run, instance, tmp_path):
    run("media", "add", OPEN, jpeg_file(tmp_path, "a.jpg", (10, 10, 10)))
    run("media", "add", OPEN, jpeg_file(tmp_path, "b.jpg", (200, 10, 10)))
    output = run("fixity")
    assert "Checked 2 originals: 0 missing, 0 changed." in output and "Checking originals" in output
    first, second = originals(instance)
    first.unlink()
    second.chmod(0o600)
    second.write_bytes(b"changed")
    output = " ".join(run("fixity", expect=1).split())
    assert f"missing: {first.name} ({OPEN} " in output and f"changed: {second.name} ({OPEN} " in output
    assert "Checked 2 originals: 1 missing, 1 changed." in output
    archive = archive_of(instance)
    try:
        last = archive.media.last_fixity(SYSTEM)
        assert (last["checked"], last["missing"], last["changed"]) == (2, [first.name], [second.name])
    finally:
        archive.close()


def test_media_place_confirms_where_each_transcript_redaction_is_heard(run, instance, tmp_path):
    import re

    from tests.audio_samples import sine_wav
    from tests.conftest import DEMO
    run("import", "--fictional", DEMO)
    wav = tmp_path / "teacher.wav"
    wav.write_bytes(sine_wav(230))
    added = run("media", "add", "DEMO-2015-0001", wav, "--kind", "audio")
    key = re.search(r"media id ([0-9a-f]{64})", added).group(1)
    waiting = re.findall(r"(DEMO-R-\d+) \(\[[a-z ]+\]\): estimate ([\d.]+)–([\d.]+) s", added)
    assert f"media place {key} REDACTION START END" in added
    assert [w[0] for w in waiting] == ["DEMO-R-001", "DEMO-R-002", "DEMO-R-003", "DEMO-R-004"]
    archive = archive_of(instance)
    try:
        assert archive.media.assets_for(ANONYMOUS, "DEMO-2015-0001") == []      # nothing heard yet
    finally:
        archive.close()
    for n, (redaction, start, end) in enumerate(waiting):
        said = run("media", "place", key, redaction, start, end)
        assert f"confirmed for {redaction}" in said
        assert ("every transcript redaction is placed" in said) == (n == len(waiting) - 1)
    archive = archive_of(instance)
    try:
        assert [a["id"] for a in archive.media.assets_for(ANONYMOUS, "DEMO-2015-0001")] == [key]
    finally:
        archive.close()
    assert "no transcript redaction R-99" in run("media", "place", key, "R-99", 1, 2, expect=1)
