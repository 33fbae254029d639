"""Decoding, format detection from content, the size limit, and what is refused and how."""
from __future__ import annotations

import codecs

import pytest

from archive.errors import ValidationError
from archive.intake import DEFAULT_MAX_BYTES, decode, detect, parse
from tests.unit.test_intake_realdata import REALDATA


def test_decode_strips_bom_and_normalises_line_ends():
    assert decode(codecs.BOM_UTF8 + b"a\r\nb\rc\n", "x.txt") == "a\nb\nc\n"
    assert decode(codecs.BOM_UTF16_LE + "Омар\r\nعمر".encode("utf-16-le"), "x.txt") == "Омар\nعمر"
    assert decode(codecs.BOM_UTF16_BE + "Umar".encode("utf-16-be"), "x.txt") == "Umar"


def test_invalid_utf8_names_byte_offset_and_line():
    with pytest.raises(ValidationError) as err:
        decode(b"first line\nsecond \xff line\n", "latin.txt")
    e = err.value
    assert e.file == "latin.txt" and e.record == "line 2"
    assert "byte 0xFF at byte offset 18 (line 2, column 8)" in e.message
    assert str(e).startswith("latin.txt, record line 2: not valid UTF-8")


def test_windows_1252_text_is_refused_not_guessed():
    with pytest.raises(ValidationError, match="not valid UTF-8"):
        parse("JONES: café\n".encode("cp1252"), "cp.txt")


@pytest.mark.parametrize("data, expected", [
    (b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n", "webvtt"),
    (codecs.BOM_UTF8 + b"WEBVTT - with a title\n", "webvtt"),
    (b"\n1\n00:00:01,000 --> 00:00:02,000\nhi\n", "srt"),
    (b'<?xml version="1.0"?>\n<!-- c --><ROOT><record/></ROOT>', "ohms"),
    (b'<ohms:ROOT xmlns:ohms="https://www.weareavp.com/nunncenter/ohms"/>', "ohms"),
    (b"WEBVTTish notes\n", "text"),
    (b"12\nJONES: twelve -- more or less\n", "text"),
    (codecs.BOM_UTF16_LE + "WEBVTT\n".encode("utf-16-le"), "webvtt"),
])
def test_detect_from_content(data, expected):
    assert detect(data, "whatever.bin") == expected


def test_detect_ignores_the_extension():
    vtt = (REALDATA / "scihist_digicoll" / "webvtt" / "simple.vtt").read_bytes()
    assert detect(vtt, "renamed.txt") == "webvtt"
    assert parse(vtt, "renamed.txt").format == "webvtt"


def test_png_renamed_txt_is_refused():
    png = (REALDATA / "pillow_tests" / "exif_gps" / "exif.png").read_bytes()
    with pytest.raises(ValidationError) as err:
        parse(png, "transcript.txt")
    assert err.value.file == "transcript.txt" and "PNG image, not a transcript" in err.value.message


@pytest.mark.parametrize("data, what", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "save it as .docx"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "WAVE file"),
    (b"\x00\x00\x00\x18ftypmp42", "MP4/MOV/M4A"),
    (b"abc\x00def", "NUL bytes"),
    (b"<html><body>hi</body></html>", "not OHMS XML"),
    (b"", "empty"),
])
def test_other_files_are_refused_with_what_they_are(data, what):
    with pytest.raises(ValidationError) as err:
        parse(data, "upload.txt")
    assert what in err.value.message and err.value.file == "upload.txt"


def test_oversized_input_is_refused_before_parsing():
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024
    with pytest.raises(ValidationError) as err:
        parse(b"JONES: words\n" * 100, "big.txt", max_bytes=1000)
    assert "1300 bytes, over the 1000 bytes limit" in err.value.message
    assert err.value.file == "big.txt"
    with pytest.raises(ValidationError, match=r"51\.0 MB, over the 50\.0 MB limit"):
        parse(b"x" * (51 * 1024 * 1024), "huge.txt")


def test_chapters_are_ignored_with_a_warning_outside_webvtt():
    p = parse(b"JONES: hello\n", "t.txt", chapters=b"WEBVTT\n")
    assert p.warnings == ["a chapters track applies to WebVTT only; ignored for text"]
