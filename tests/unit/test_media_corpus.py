"""Pillow's own hostile and odd test images (read in place, never copied): each one is either
accepted and yields clean redacted derivatives, or refused with a clear message, leaving
nothing in the store. No crash, no hang: every decode runs in a child with a deadline."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.errors import ValidationError
from archive.media import MediaStore, SandboxLimits, accept_photo, build_derivatives
from tests.unit.test_media_derivatives import assert_boxes_filled, assert_no_metadata

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "pillow_tests"
# Every file but the two text files that document the corpus.
FILES = sorted(p for p in CORPUS.rglob("*")
               if p.is_file() and p.name not in ("LICENSE", "SOURCE.txt"))
LIMITS = SandboxLimits(wall_seconds=30)  # a hang fails the test in seconds, not the run

# What each known file should give: None = accepted, else a fragment of the refusal.
EXPECTED = {
    "bombs/decompression_bomb.gif": "The image is 65535x66601 pixels, more than the 50-megapixel",
    "bombs/decompression_bomb.ico": "The file is an ICO file",
    "bombs/decompression_bomb_extents.gif": None,  # the bomb is frame 2; only frame 1 is read
    "bombs/png_decompression_dos.png": "could not be decoded (ValueError: Decompressed data too",
    "exif_gps/empty_gps_ifd.jpg": None,
    "exif_gps/exif-ifd-offset.jpg": None,
    "exif_gps/exif.avif": "The file is an AVIF file",
    "exif_gps/exif.png": None,
    "exif_gps/exif_gps.jpg": None,
    "exif_gps/exif_gps_typeerror.jpg": None,
    "exif_gps/exif_text.png": None,
    "exif_gps/flower.jpg": None,
    "exif_gps/flower.webp": None,
    "malformed/broken.png": "starts like a PNG image but is not a valid one",
    "malformed/broken_data_stream.png": "could not be decoded",
    "malformed/broken_exif_dpi.jpg": None,
    "malformed/exif-dpi-zerodivision.jpg": None,
    "malformed/hopper_bad_exif.jpg": None,
    "malformed/icc-after-SOF.jpg": None,
    "malformed/invalid-exif.jpg": None,
    "malformed/multiple_exif.jpg": None,
    "malformed/truncated_app14.jpg": None,
    "malformed/truncated_end_chunk.png": "The image is truncated",
    "malformed/truncated_exif_dpi.jpg": None,
    "malformed/truncated_image.png": "The image is truncated",
    "malformed/truncated_jpeg.jpg": "The image is truncated",
    "xmp_iptc/iptc.jpg": None,
    "xmp_iptc/xmp_no_prefix.jpg": None,
    "xmp_iptc/xmp_padded.jpg": None,
    "xmp_iptc/xmp_tags_orientation.png": None,
}


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def test_the_corpus_is_there():
    assert len(FILES) >= 30, f"expected the Pillow test images under {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_each_file_is_accepted_cleanly_or_refused_clearly(path, tmp_path):
    store = MediaStore(tmp_path / "media")
    data = path.read_bytes()
    try:
        photo = accept_photo(store, data, path.name, sandbox=LIMITS)
    except ValidationError as refusal:
        assert refusal.file == path.name
        assert refusal.message.startswith("The ") and len(refusal.message) < 300
        assert not [p for p in tmp_path.rglob("*") if p.is_file()], "a refused file left traces"
        outcome = refusal.message
    else:
        assert store.read(photo.sha256) == data and list(store.originals()) == [photo.sha256]
        info = photo.info
        box = (info.width // 4, info.height // 4, max(1, 3 * info.width // 4),
               max(1, 3 * info.height // 4))
        sizes = {"thumb": 64, "full": None}
        derivatives = build_derivatives(data, [box], sizes, fill=(7, 8, 9), sandbox=LIMITS)
        for blob in derivatives.values():
            assert_boxes_filled(assert_no_metadata(blob), [box], (info.width, info.height),
                                (7, 8, 9))
        outcome = None
    expected = EXPECTED.get(_name(path), "unknown")
    if expected == "unknown":
        return  # a file added to the corpus later: accepted or refused cleanly is enough
    if expected is None:
        assert outcome is None, outcome
    else:
        assert outcome is not None and expected in outcome, outcome
