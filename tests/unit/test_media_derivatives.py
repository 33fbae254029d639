"""Redacted derivatives: orientation first, every box pixel exactly the fill, no metadata at all.

The photos here carry canaries in every metadata place a camera or editor writes (EXIF, GPS,
XMP, IPTC, ICC, comments, PNG text chunks); none may survive into a derivative.
"""
from __future__ import annotations

import io
import json
import math
import shutil
import struct
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from archive.errors import ValidationError
from archive.media import build_derivatives, inspect_image

CANARY = b"CANARY"
GREY, RED, BLUE = (128, 128, 128), (230, 20, 20), (20, 20, 230)
MARK = 6  # side of the coloured corner markers, in stored pixels
# Where the stored image's top-left and top-right corners are seen, per EXIF orientation
# (TIFF 6.0 / EXIF 2.3 "Orientation"), written out rather than derived from Pillow.
SEEN_AT = {
    1: ("TL", "TR"), 2: ("TR", "TL"), 3: ("BR", "BL"), 4: ("BL", "BR"),
    5: ("TL", "BL"), 6: ("TR", "BR"), 7: ("BR", "TR"), 8: ("BL", "TL"),
}
METADATA_MARKERS = (CANARY, b"Exif", b"http://ns.adobe.com", b"Photoshop", b"8BIM", b"ICC_PROFILE",
                    b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"tIME", b"pHYs")


# --- planted photos -------------------------------------------------------------------------

def _exif(orientation: int | None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x010E] = "CANARY-EXIF-description"      # ImageDescription
    exif[0x013B] = "CANARY-EXIF-artist"           # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (36.0, 12.0, 3.5)       # a latitude a narrator could be found at
    gps[3], gps[4] = "E", (37.0, 9.0, 41.25)
    gps[18] = "CANARY-GPS-map-datum"
    return exif


XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
       b'rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
       b'dc:creator="CANARY-XMP-creator"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def _icc() -> bytes:
    # A real sRGB profile with a canary after it (readers go by the header's length).
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + b"CANARY-ICC"


def _iptc_segment() -> bytes:
    text = b"CANARY-IPTC-caption"
    record = b"\x1c\x02\x78" + struct.pack(">H", len(text)) + text
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    payload = b"Photoshop 3.0\x00" + resource + b"\x00" * (len(record) % 2)
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def stored_image(width: int, height: int) -> Image.Image:
    """Grey, with a red block at the stored top-left corner and a blue one at the top-right."""
    im = Image.new("RGB", (width, height), GREY)
    im.paste(RED, (0, 0, MARK, MARK))
    im.paste(BLUE, (width - MARK, 0, width, MARK))
    return im


def planted_jpeg(width: int, height: int, orientation: int) -> bytes:
    buffer = io.BytesIO()
    stored_image(width, height).save(buffer, "JPEG", quality=95, exif=_exif(orientation),
                                     icc_profile=_icc(), comment=b"CANARY-JPEG-comment", xmp=XMP)
    data = buffer.getvalue()
    return data[:2] + _iptc_segment() + data[2:]


def planted_png(width: int, height: int) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "CANARY-PNG-tEXt")
    info.add_text("Comment", "CANARY-PNG-zTXt", zip=True)
    info.add_itxt("Description", "CANARY-PNG-iTXt", lang="en")
    info.add_text("XML:com.adobe.xmp", XMP.decode())
    buffer = io.BytesIO()
    stored_image(width, height).convert("RGBA").save(buffer, "PNG", pnginfo=info,
                                                     exif=_exif(None), icc_profile=_icc())
    return buffer.getvalue()


def planted_webp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    stored_image(width, height).save(buffer, "WEBP", lossless=True, exif=_exif(None),
                                     icc_profile=_icc(), xmp=XMP)
    return buffer.getvalue()


def planted_tiff(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    stored_image(width, height).save(buffer, "TIFF", exif=_exif(None), icc_profile=_icc(),
                                     description="CANARY-TIFF-description")
    return buffer.getvalue()


def planted_gif(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    first = stored_image(width, height)
    second = Image.new("RGB", (width, height), (0, 255, 0))  # a later frame is never used
    first.save(buffer, "GIF", save_all=True, append_images=[second], comment=b"CANARY-GIF-comment")
    return buffer.getvalue()


# --- what every derivative must satisfy -------------------------------------------------------

def png_chunks(blob: bytes) -> list[bytes]:
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    offset, kinds = 8, []
    while offset < len(blob):
        length, kind = struct.unpack(">I4s", blob[offset:offset + 8])
        kinds.append(kind)
        offset += 12 + length
    return kinds


def assert_no_metadata(blob: bytes) -> Image.Image:
    """The derivative read back: a bare PNG with nothing but pixels. Returns it decoded."""
    assert set(png_chunks(blob)) == {b"IHDR", b"IDAT", b"IEND"}
    for marker in METADATA_MARKERS:
        assert marker not in blob, marker
    im = Image.open(io.BytesIO(blob))
    im.load()
    assert im.format == "PNG" and im.mode == "RGB"
    assert not im.getexif()
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "dpi", "photoshop"):
        assert key not in im.info
    assert im.info == {} and im.text == {}
    return im


# What exiftool may report about a bare PNG: the file system, the file type, the IHDR fields.
EXIFTOOL_ALLOWED = {"File:FileType", "File:FileTypeExtension", "File:MIMEType",
                    "Composite:ImageSize", "Composite:Megapixels", "PNG:ImageWidth",
                    "PNG:ImageHeight", "PNG:BitDepth", "PNG:ColorType", "PNG:Compression",
                    "PNG:Filter", "PNG:Interlace"}


class ExifTool:
    """One exiftool kept open (-stay_open): a check costs milliseconds, not a Perl start-up."""

    def __init__(self, executable: str, folder):
        self.folder = folder
        self.proc = subprocess.Popen([executable, "-stay_open", "True", "-@", "-"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)

    def leaks(self, data: bytes) -> dict:
        """What exiftool finds in the file beyond a bare PNG's header fields."""
        path = self.folder / "checked"
        path.write_bytes(data)
        self.proc.stdin.write(f"-j\n-a\n-G1\n-u\n{path}\n-execute\n")
        self.proc.stdin.flush()
        lines = []
        while (line := self.proc.stdout.readline()) and line.strip() != "{ready}":
            lines.append(line)
        tags = json.loads("".join(lines))[0]
        harmless = {"SourceFile"} | EXIFTOOL_ALLOWED
        return {k: v for k, v in tags.items() if "CANARY" in str(v) or not (
            k in harmless or k.split(":")[0] in ("ExifTool", "System"))}

    def close(self) -> None:
        self.proc.stdin.write("-stay_open\nFalse\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def exiftool(tmp_path_factory):
    """An exiftool session, or None when exiftool is not installed (that check is then moot)."""
    executable = shutil.which("exiftool")
    if executable is None:
        yield None
        return
    session = ExifTool(executable, tmp_path_factory.mktemp("exiftool"))
    yield session
    session.close()


def assert_exiftool_finds_nothing(exiftool: ExifTool | None, blob: bytes, source: bytes) -> None:
    """A second opinion from exiftool, when it is installed (otherwise not applicable)."""
    if exiftool is None:
        return
    planted = exiftool.leaks(source)
    assert any("CANARY" in str(v) for v in planted.values()), planted  # it can see them
    assert exiftool.leaks(blob) == {}


def outward(box, source, target):
    """Every target pixel that the scaled box touches, even partly (an independent reckoning)."""
    (sw, sh), (tw, th) = source, target
    x0, y0, x1, y1 = box
    return (math.floor(x0 * tw / sw), math.floor(y0 * th / sh),
            min(tw, math.ceil(x1 * tw / sw)), min(th, math.ceil(y1 * th / sh)))


def assert_boxes_filled(im: Image.Image, boxes, display_size, fill) -> None:
    for box in boxes:
        region = outward(box, display_size, im.size)
        area = (region[2] - region[0]) * (region[3] - region[1])
        colours = im.crop(region).getcolors(maxcolors=area)
        assert colours == [(area, fill)], (box, region, im.size, colours and colours[:5])


def corner_pixel(size, corner: str) -> tuple[int, int]:
    width, height = size
    x = 2 if corner[1] == "L" else width - 3
    y = 2 if corner[0] == "T" else height - 3
    return x, y


def close(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


# --- the property ----------------------------------------------------------------------------

@st.composite
def cases(draw):
    """A stored size, boxes on the displayed frame, sizes and a fill; shaped per orientation."""
    width, height = draw(st.integers(16, 72)), draw(st.integers(16, 72))
    points = draw(st.lists(st.tuples(*[st.floats(0, 1, exclude_max=True)] * 4), max_size=3))
    sizes = {"thumb": draw(st.integers(3, 30)), "medium": draw(st.integers(20, 100)), "full": None}
    fill = draw(st.tuples(*[st.integers(0, 255)] * 3))

    def shaped(orientation):
        shown = (height, width) if orientation >= 5 else (width, height)
        boxes = []
        for a, b, c, d in points:
            x0, y0 = int(a * shown[0]), int(b * shown[1])
            boxes.append((x0, y0, x0 + 1 + int(c * (shown[0] - x0)),
                          y0 + 1 + int(d * (shown[1] - y0))))
        return (width, height), shown, boxes, sizes, fill
    return shaped


@pytest.mark.parametrize("orientation", range(1, 9))
@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_derivatives_are_oriented_redacted_and_bare(orientation, case, exiftool):
    stored, shown, boxes, sizes, fill = case(orientation)
    data = planted_jpeg(*stored, orientation)
    assert data.count(CANARY) >= 6  # the canaries really are in the source
    with Image.open(io.BytesIO(data)) as source:
        assert source.getexif()[0x0112] == orientation

    derivatives = build_derivatives(data, boxes, sizes, fill=fill)

    assert list(derivatives) == list(sizes)
    for name, blob in derivatives.items():
        im = assert_no_metadata(blob)
        longest = max(shown) if sizes[name] is None else min(sizes[name], max(shown))
        for side, shown_side in zip(im.size, shown):  # aspect kept, so 5-8 swap the sides
            assert abs(side - shown_side * longest / max(shown)) <= 0.5 + 1e-9
        assert_boxes_filled(im, boxes, shown, fill)
        assert_exiftool_finds_nothing(exiftool, blob, data)

    full = Image.open(io.BytesIO(derivatives["full"])).convert("RGB")
    assert full.size == shown
    for colour, corner in zip((RED, BLUE), SEEN_AT[orientation]):
        x, y = corner_pixel(shown, corner)
        if not any(b[0] <= x < b[2] and b[1] <= y < b[3] for b in boxes):
            seen = full.getpixel((x, y))
            assert close(seen, colour), (orientation, corner, seen)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_inspect_reports_the_size_as_displayed(orientation, exiftool):
    data = planted_jpeg(40, 24, orientation)
    info = inspect_image(data, "planted.jpg")
    assert (info.format, info.mime) == ("JPEG", "image/jpeg")
    assert (info.width, info.height) == ((24, 40) if orientation >= 5 else (40, 24))
    # A box drawn on the displayed frame fits the derivatives exactly.
    box = (0, 0, info.width, 5)
    derivatives = build_derivatives(data, [box], {"full": None}, fill=(1, 2, 3))
    im = assert_no_metadata(derivatives["full"])
    assert im.size == (info.width, info.height)
    assert_boxes_filled(im, [box], im.size, (1, 2, 3))
    assert_exiftool_finds_nothing(exiftool, derivatives["full"], data)


@pytest.mark.parametrize("make, fmt", [(planted_png, "PNG"), (planted_webp, "WEBP"),
                                       (planted_tiff, "TIFF"), (planted_gif, "GIF")])
def test_every_accepted_format_loses_its_metadata(make, fmt, exiftool):
    data = make(48, 32)
    assert CANARY in data
    assert inspect_image(data, f"planted.{fmt.lower()}").format == fmt
    derivatives = build_derivatives(data, [(10, 10, 20, 20)], {"thumb": 12, "full": None})
    for blob in derivatives.values():
        im = assert_no_metadata(blob)
        assert_boxes_filled(im, [(10, 10, 20, 20)], (48, 32), (0, 0, 0))
    full = Image.open(io.BytesIO(derivatives["full"]))
    assert close(full.getpixel((2, 2)), RED) and close(full.getpixel((45, 2)), BLUE)
    assert_exiftool_finds_nothing(exiftool, derivatives["full"], data)


def test_transparent_pixels_are_flattened_not_kept():
    # An RGBA photo whose fully transparent half still holds a picture in its colour values.
    im = Image.new("RGBA", (20, 10), (200, 0, 0, 255))
    im.paste((0, 200, 0, 0), (10, 0, 20, 10))
    buffer = io.BytesIO()
    im.save(buffer, "PNG")
    full = assert_no_metadata(build_derivatives(buffer.getvalue(), [], {"full": None})["full"])
    assert full.getpixel((15, 5)) == (255, 255, 255)
    assert full.getpixel((5, 5)) == (200, 0, 0)


def test_sixteen_bit_greyscale_keeps_its_tones():
    im = Image.new("I;16", (8, 8), 0x8000)
    buffer = io.BytesIO()
    im.save(buffer, "PNG")
    full = assert_no_metadata(build_derivatives(buffer.getvalue(), [], {"full": None})["full"])
    assert full.getpixel((3, 3)) == (128, 128, 128)


def test_small_images_are_never_enlarged():
    data = planted_jpeg(30, 20, 1)
    derivatives = build_derivatives(data, [], {"thumb": 10, "medium": 1024})
    assert Image.open(io.BytesIO(derivatives["thumb"])).size == (10, 7)
    assert Image.open(io.BytesIO(derivatives["medium"])).size == (30, 20)


@pytest.mark.parametrize("box, message", [
    ((0, 0, 41, 5), "lies outside the 40x24 image"),
    ((0, 0, 5, 25), "lies outside the 40x24 image"),
    ((5, 5, 5, 9), "empty or inverted"),
    ((9, 5, 4, 9), "empty or inverted"),
    ((-1, 0, 4, 4), "empty or inverted"),
    ((0, 0, 4.5, 4), "four whole numbers"),
    ((0, 0, 4), "four whole numbers"),
    ((True, 0, 4, 4), "four whole numbers"),
])
def test_boxes_that_do_not_fit_are_refused(box, message):
    # A box outside the displayed frame was most likely drawn on the wrong one (e.g. before
    # rotation): refusing beats redacting the wrong place.
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        build_derivatives(planted_jpeg(40, 24, 1), [box], {"full": None})


@pytest.mark.parametrize("fill", [(0, 0), (0, 0, 256), (0, 0, -1), "black", (0, 0, 0, 0)])
def test_fill_must_be_an_opaque_rgb_colour(fill):
    with pytest.raises(ValidationError, match="fill colour"):
        build_derivatives(planted_jpeg(40, 24, 1), [], {"full": None}, fill=fill)


@pytest.mark.parametrize("sizes, message", [({}, "No derivative sizes"),
                                            ({"thumb": 0}, "positive number"),
                                            ({"../x": 10}, "not a plain name")])
def test_sizes_are_checked(sizes, message):
    with pytest.raises(ValidationError, match=message):
        build_derivatives(planted_jpeg(40, 24, 1), [], sizes)
