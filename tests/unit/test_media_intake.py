"""Photo intake: type from content, size and pixel limits, truncation, and the sandboxed child
(memory, CPU and wall-clock limits, crashes, and answers it must not be trusted with)."""
from __future__ import annotations

import hashlib
import io
import random
import struct
import sys
import time
import zlib

import pytest
from PIL import Image

from archive.errors import ValidationError
from archive.media import (Fixity, MediaStore, SandboxLimits, accept_photo, build_derivatives,
                           inspect_image, publish_derivatives)
from archive.media import sandbox
from tests.unit.test_media_derivatives import assert_no_metadata, planted_jpeg


def encoded(fmt: str, size=(40, 30), mode="RGB", **params) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 120, 200) if mode == "RGB" else 0).save(buffer, fmt, **params)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb in 60 bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


@pytest.fixture
def store(tmp_path):
    return MediaStore(tmp_path / "media")


def _files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- what the content is -------------------------------------------------------------------

@pytest.mark.parametrize("fmt, mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                       ("WEBP", "image/webp"), ("TIFF", "image/tiff"),
                                       ("GIF", "image/gif")])
def test_the_type_comes_from_the_content_never_the_name(fmt, mime):
    info = inspect_image(encoded(fmt), "holiday.jpg")  # every one of them "named" .jpg
    assert (info.format, info.mime, info.width, info.height) == (fmt, mime, 40, 30)


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"<!DOCTYPE html><html><script>alert(1)</script>", "The file is an HTML file"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG/XML file"),
    (b"%PDF-1.7\n...", "The file is a PDF file"),
    (encoded("BMP"), "The file is a BMP file"),
    (encoded("ICO", size=(16, 16)), "The file is an ICO file"),
    (encoded("PPM"), "The file is a PNM file"),
    (b"\x00\x00\x00\x1cftypheic" + b"\x00" * 40, "The file is an HEIC file"),
    (b"just some words, no picture", "The file is not a recognised image"),
])
def test_other_content_is_refused_by_name(data, message):
    with pytest.raises(ValidationError, match=message) as caught:
        inspect_image(data, "photo.jpg")
    assert caught.value.file == "photo.jpg"
    assert "only JPEG, PNG, WebP, TIFF and GIF images are accepted" in caught.value.message \
        or not data


def test_a_jpeg_header_on_something_else_is_refused():
    with pytest.raises(ValidationError, match="The image is truncated|could not be decoded|"
                                              "not a valid one"):
        inspect_image(b"\xff\xd8\xff\xe0" + b"\x00" * 200)


# --- limits ----------------------------------------------------------------------------------

def test_a_decompression_bomb_is_refused_from_its_header():
    data = png_claiming(30000, 30000)
    started = time.monotonic()
    with pytest.raises(ValidationError) as caught:
        inspect_image(data, "bomb.png", max_pixels=50_000_000)
    assert caught.value.message == ("The image is 30000x30000 pixels, more than the "
                                    "50-megapixel limit")
    assert time.monotonic() - started < 10  # refused from the header, nothing decoded


def test_pillows_warning_zone_is_a_refusal_too():
    # Between 1x and 2x the limit Pillow only warns; here that is a refusal like any other.
    with pytest.raises(ValidationError, match=r"100x100 pixels, more than the 0\.006-megapixel"):
        inspect_image(encoded("PNG", size=(100, 100)), max_pixels=6000)
    assert inspect_image(encoded("PNG", size=(100, 100)), max_pixels=10_000).width == 100


def test_an_oversized_file_is_refused_before_anything_else():
    data = planted_jpeg(300, 200, 1)
    assert 1000 < len(data) < 1_000_000
    with pytest.raises(ValidationError, match=r"^The file is [\d.]+ kB, more than the 100 bytes "
                                              r"limit$"):
        inspect_image(data, max_bytes=100)
    with pytest.raises(ValidationError, match=r"^The file is 1\.5 MB, more than the 1 MB limit$"):
        inspect_image(b"\xff\xd8\xff" + bytes(1_499_997), max_bytes=1_000_000)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF"])
@pytest.mark.parametrize("kept", [0.1, 0.5, 0.99])
def test_a_truncated_file_is_refused_not_half_decoded(fmt, kept):
    noise = Image.frombytes("RGB", (300, 200), random.Random(0).randbytes(180000))
    buffer = io.BytesIO()
    noise.save(buffer, fmt)
    data = buffer.getvalue()
    with pytest.raises(ValidationError, match="^cut: The image is truncated$"):
        build_derivatives(data[:int(len(data) * kept)], [], {"full": None}, filename="cut")


def test_truncated_jpeg_and_png_say_so():
    for data in (planted_jpeg(300, 200, 1), encoded("PNG", size=(300, 200))):
        with pytest.raises(ValidationError, match="^The image is truncated$"):
            inspect_image(data[:len(data) - 40])


# --- the child process ------------------------------------------------------------------------

def test_the_memory_limit_turns_into_a_refusal():
    data = encoded("PNG", size=(6000, 6000))  # 144 MB decoded, a few hundred kB on disk
    with pytest.raises(ValidationError, match="needs more memory to decode than the limit"):
        inspect_image(data, sandbox=SandboxLimits(memory_bytes=100 * 1024 * 1024))


def test_the_wall_clock_limit_kills_the_child():
    with pytest.raises(ValidationError, match=r"took longer than 0\.001 seconds to decode"):
        inspect_image(encoded("PNG"), sandbox=SandboxLimits(wall_seconds=0.001))


@pytest.fixture
def fake_worker(tmp_path, monkeypatch):
    """Swap the worker for a script, to play a child that hangs, crashes or lies."""
    def install(source: str):
        script = tmp_path / "fake_worker.py"
        script.write_text(source)
        monkeypatch.setattr(sandbox, "WORKER", script)
    return install


def test_the_cpu_limit_is_enforced_by_the_kernel(fake_worker):
    fake_worker("import resource, sys\n"
                "n = int(sys.argv[2])\n"
                "resource.setrlimit(resource.RLIMIT_CPU, (n, n + 1))\n"
                "while True:\n    pass\n")
    started = time.monotonic()
    with pytest.raises(ValidationError, match="needed more than 1 second of processing"):
        inspect_image(encoded("PNG"), sandbox=SandboxLimits(cpu_seconds=1, wall_seconds=30))
    assert time.monotonic() - started < 20


def test_a_crashing_decoder_is_a_refusal(fake_worker):
    fake_worker("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    with pytest.raises(ValidationError, match=r"decoder failed on this file \(exit status -11\)"):
        inspect_image(encoded("PNG"), "x.png")


def test_a_garbled_answer_is_a_refusal(fake_worker):
    fake_worker("import sys\nsys.stdout.write('{not json\\n')\n")
    with pytest.raises(ValidationError, match="unreadable answer"):
        inspect_image(encoded("PNG"))


def test_a_derivative_with_metadata_is_never_passed_on(fake_worker):
    # Even a subverted child cannot smuggle a text chunk out: the parent checks every chunk.
    fake_worker(
        "import io, json, sys\n"
        "from PIL import Image, PngImagePlugin\n"
        "info = PngImagePlugin.PngInfo(); info.add_text('GPS', '36.2N 37.1E')\n"
        "b = io.BytesIO(); Image.new('RGB', (40, 30)).save(b, 'PNG', pnginfo=info)\n"
        "blob = b.getvalue()\n"
        "head = {'ok': True, 'format': 'PNG', 'width': 40, 'height': 30,\n"
        "        'blobs': [['full', len(blob)]]}\n"
        "sys.stdout.buffer.write(json.dumps(head).encode() + b'\\n' + blob)\n")
    with pytest.raises(ValidationError, match=r"unsafe derivative \(chunk b'tEXt'\)"):
        build_derivatives(encoded("PNG"), [], {"full": None})


def test_the_child_gets_no_environment_and_runs_isolated(fake_worker, monkeypatch):
    monkeypatch.setenv("ARCHIVE_SECRET_KEY", "do-not-leak")
    fake_worker(
        "import json, os, sys\n"
        "detail = f'env={sorted(os.environ)} isolated={sys.flags.isolated} argv={sys.argv[1:]}'\n"
        "print(json.dumps({'ok': False, 'code': 'undecodable', 'detail': detail}))\n")
    with pytest.raises(ValidationError) as caught:
        inspect_image(encoded("PNG"), sandbox=SandboxLimits(memory_bytes=123456789))
    # Python itself may set LC_CTYPE (locale coercion); nothing of the parent's comes through.
    assert "isolated=1" in caught.value.message
    assert ("env=[]" in caught.value.message or "env=['LC_CTYPE']" in caught.value.message)
    assert "do-not-leak" not in caught.value.message and "123456789" in caught.value.message


def test_the_answer_size_is_capped(fake_worker):
    fake_worker("import os, sys, resource\n"
                "cap = int(sys.argv[3])\n"
                "resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))\n"
                "try:\n"
                "    while True: os.write(1, b'x' * 65536)\n"
                "except OSError: pass\n")
    with pytest.raises(ValidationError, match="decoder failed"):
        inspect_image(encoded("PNG"), max_pixels=1000)


# --- intake and publishing -------------------------------------------------------------------

def test_an_accepted_photo_is_stored_by_its_hash(store):
    data = planted_jpeg(40, 24, 6)
    photo = accept_photo(store, data, "narrator.jpg")
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.size == len(data)
    assert (photo.info.width, photo.info.height) == (24, 40)
    assert store.read(photo.sha256) == data  # the original is kept byte for byte
    assert accept_photo(store, data).sha256 == photo.sha256
    assert list(store.originals()) == [photo.sha256]


@pytest.mark.parametrize("data", [png_claiming(30000, 30000), b"<html>", b"",
                                  planted_jpeg(300, 200, 1)[:500]])
def test_a_refused_photo_leaves_nothing_behind(store, data):
    with pytest.raises(ValidationError):
        accept_photo(store, data, "upload")
    assert _files(store.root) == []


def test_publish_builds_stores_and_replaces_an_audiences_derivatives(store):
    photo = accept_photo(store, planted_jpeg(60, 40, 1))
    made = publish_derivatives(store, photo.sha256, "public", [(0, 0, 30, 20)],
                               {"thumb": 16, "medium": 32, "full": None})
    assert store.derivative_sizes(photo.sha256, "public") == ["full", "medium", "thumb"]
    for size, blob in made.items():
        assert store.read_derivative(photo.sha256, "public", size) == blob
        assert_no_metadata(blob)
    assert store.derivative_sizes(photo.sha256, "researcher") == []
    # Redactions changed: the new set replaces the old, and sizes no longer made are removed.
    publish_derivatives(store, photo.sha256, "public", [(10, 10, 60, 40)], {"thumb": 16})
    assert store.derivative_sizes(photo.sha256, "public") == ["thumb"]
    thumb = Image.open(io.BytesIO(store.read_derivative(photo.sha256, "public", "thumb")))
    assert thumb.getpixel((15, 10)) == (0, 0, 0)


def test_publish_refuses_an_original_that_changed(store):
    photo = accept_photo(store, planted_jpeg(60, 40, 1))
    path = store.path(photo.sha256)
    path.chmod(0o600)
    path.write_bytes(planted_jpeg(60, 40, 2))
    assert store.fixity(photo.sha256) is Fixity.CHANGED
    with pytest.raises(ValidationError, match="is changed"):
        publish_derivatives(store, photo.sha256, "public", [])
    assert store.derivative_sizes(photo.sha256, "public") == []


def test_the_worker_runs_with_the_venv_interpreter():
    assert SandboxLimits().python == sys.executable
