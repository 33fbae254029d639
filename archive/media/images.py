"""Photo intake checks and redacted derivatives: the archive's side of the image worker.

Every decode of an uploaded file happens in a sandboxed child (see sandbox.py, worker.py); this
module checks what can be checked without decoding, turns the child's answers and failures
into ValidationErrors with messages fit to show, and re-checks what the child sends back.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import ValidationError
from .sandbox import ChildFailed, SandboxLimits, run_worker
from .sniff import ACCEPTED, ACCEPTED_LIST, sniff
from .worker import scaled_size

DEFAULT_MAX_BYTES = 50 * 1000 * 1000
DEFAULT_MAX_PIXELS = 50 * 1000 * 1000
DEFAULT_SIZES = {"thumb": 320, "medium": 1024, "full": None}  # longest side; None = as is
BLACK = (0, 0, 0)

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ImageInfo:
    """What the content says the file is. width and height are as displayed (EXIF orientation
    applied): the frame that redaction boxes and derivatives use."""
    format: str
    width: int
    height: int
    mime: str


def inspect_image(data: bytes, filename: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_pixels: int = DEFAULT_MAX_PIXELS,
                  sandbox: SandboxLimits | None = None) -> ImageInfo:
    """Decode the whole file in the sandbox and describe it, or refuse it (ValidationError).

    `filename` only says where the error was found; the type comes from the content.
    """
    answer, _ = _ask("inspect", data, filename, max_bytes=max_bytes, max_pixels=max_pixels,
                     sandbox=sandbox)
    return _info(answer, filename)


def build_derivatives(data: bytes, boxes: Iterable[Box] = (),
                      sizes: Mapping[str, int | None] = DEFAULT_SIZES, *,
                      fill: tuple[int, int, int] = BLACK, filename: str | None = None,
                      max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
                      sandbox: SandboxLimits | None = None) -> dict[str, bytes]:
    """Redacted, metadata-free PNG derivatives, one per size name.

    Boxes are (x0, y0, x1, y1), half-open, in the pixels of the image as displayed (EXIF
    orientation applied; see ImageInfo). Each is filled with the opaque `fill` colour.
    """
    boxes = [_check_box(box, filename) for box in boxes]
    sizes = {name: _check_size(name, longest, filename) for name, longest in sizes.items()}
    if not sizes:
        raise ValidationError("No derivative sizes were asked for", file=filename)
    fill = _check_fill(fill, filename)
    answer, blobs = _ask("derive", data, filename, max_bytes=max_bytes, max_pixels=max_pixels,
                         sandbox=sandbox, boxes=[list(b) for b in boxes],
                         sizes=[[n, s] for n, s in sizes.items()], fill=list(fill))
    info = _info(answer, filename)
    names = [entry[0] for entry in answer.get("blobs", [])]
    if names != list(sizes):
        raise ValidationError("The image worker returned the wrong derivatives", file=filename)
    for name, blob in zip(names, blobs):
        _check_png(blob, info, sizes[name], filename)
    return dict(zip(names, blobs))


# --- before the child: what needs no decoding ------------------------------------------------

def _detect(data: bytes, filename: str | None, max_bytes: int) -> str:
    if not data:
        raise ValidationError("The file is empty", file=filename)
    if len(data) > max_bytes:
        raise ValidationError(f"The file is {_bytes(len(data))}, more than the "
                              f"{_bytes(max_bytes)} limit", file=filename)
    detected = sniff(data)
    if detected is None:
        raise ValidationError(f"The file is not a recognised image; only {ACCEPTED_LIST} "
                              f"images are accepted", file=filename)
    if detected not in ACCEPTED:
        raise ValidationError(f"The file is {_a(detected)} file; only {ACCEPTED_LIST} images "
                              f"are accepted", file=filename)
    return detected


def _check_box(box, filename) -> Box:
    if not (isinstance(box, (tuple, list)) and len(box) == 4
            and all(type(v) is int for v in box)):
        raise ValidationError(f"A redaction box must be four whole numbers (x0, y0, x1, y1), "
                              f"not {box!r}"[:200], file=filename)
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 and 0 <= y0 < y1):
        raise ValidationError(f"Redaction box {tuple(box)} is empty or inverted", file=filename)
    return tuple(box)


def _check_size(name, longest, filename):
    if not (isinstance(name, str) and name.isidentifier()):
        raise ValidationError(f"Derivative size name {name!r} is not a plain name", file=filename)
    if longest is not None and not (type(longest) is int and longest > 0):
        raise ValidationError(f"Derivative size {name} must be a positive number of pixels",
                              file=filename)
    return longest


def _check_fill(fill, filename) -> tuple[int, int, int]:
    if not (isinstance(fill, (tuple, list)) and len(fill) == 3
            and all(type(v) is int and 0 <= v <= 255 for v in fill)):
        raise ValidationError(f"The fill colour must be three numbers 0-255, not {fill!r}"[:200],
                              file=filename)
    return tuple(fill)


# --- the child's answer -------------------------------------------------------------------------

def _ask(op: str, data: bytes, filename, *, max_bytes, max_pixels, sandbox, **extra):
    detected = _detect(data, filename, max_bytes)
    sandbox = sandbox or SandboxLimits()
    request = {"op": op, "format": ACCEPTED[detected][0], "max_pixels": max_pixels, **extra}
    # Room for the answer: a few PNGs of the whole image, at worst uncompressed.
    output_bytes = 1024 * 1024 + 4 * max_pixels * max(1, len(extra.get("sizes", ())))
    try:
        answer, blobs = run_worker(request, data, limits=sandbox, output_bytes=output_bytes)
    except ChildFailed as failure:
        raise ValidationError(_failure_message(failure, sandbox), file=filename) from None
    if not answer["ok"]:
        raise ValidationError(_refusal_message(answer, detected, max_pixels), file=filename)
    return answer, blobs


def _info(answer: dict, filename) -> ImageInfo:
    fmt, width, height = answer.get("format"), answer.get("width"), answer.get("height")
    # MPO is Pillow's name for a JPEG carrying extra frames (phone cameras write them).
    mimes = {pillow: mime for pillow, mime in ACCEPTED.values()} | {"MPO": "image/jpeg"}
    if (fmt not in mimes or type(width) is not int or type(height) is not int
            or width <= 0 or height <= 0):
        raise ValidationError("The image worker gave an unreadable answer", file=filename)
    return ImageInfo(format="JPEG" if fmt == "MPO" else fmt, width=width, height=height,
                     mime=mimes[fmt])


def _refusal_message(answer: dict, detected: str, max_pixels: int) -> str:
    code = answer.get("code")
    limit = f"{max_pixels / 1e6:g}-megapixel limit"
    if code == "too_many_pixels":
        width, height = answer.get("width"), answer.get("height")
        if type(width) is int and type(height) is int:
            return f"The image is {width}x{height} pixels, more than the {limit}"
        pixels = answer.get("pixels")
        if type(pixels) is int:
            return f"The image is {pixels / 1e6:g} megapixels, more than the {limit}"
        return f"The image is larger than the {limit}"
    if code == "truncated":
        return "The image is truncated"
    if code == "unidentified":
        return f"The file starts like {_a(detected)} image but is not a valid one"
    if code == "undecodable":
        detail = "".join(c for c in str(answer.get("detail", ""))[:200] if c.isprintable())
        return f"The {detected} image could not be decoded ({detail})"
    if code == "memory":
        return "The image needs more memory to decode than the limit allows"
    if code == "unsupported_mode":
        mode = "".join(c for c in str(answer.get("mode", ""))[:16] if c.isalnum() or c in ";_")
        return f"The image's colour mode {mode} is not supported"
    if code == "bad_box":
        box = answer.get("box")
        if isinstance(box, list) and all(type(v) is int for v in box):
            box = tuple(box)
        return (f"Redaction box {box} lies outside the {answer.get('width')}x"
                f"{answer.get('height')} image")
    return "The image could not be read"


def _failure_message(failure: ChildFailed, sandbox: SandboxLimits) -> str:
    if failure.reason == "timeout":
        return f"The image took longer than {_seconds(sandbox.wall_seconds)} to decode"
    if failure.reason == "cpu":
        return (f"The image needed more than {_seconds(sandbox.cpu_seconds)} of processing "
                f"to decode")
    if failure.reason == "memory":
        return "The image needs more memory to decode than the limit allows"
    return f"The image decoder failed on this file ({failure.detail})"


def _seconds(n: float) -> str:
    return f"{n:g} second" + ("" if n == 1 else "s")


def _a(name: str) -> str:
    # Said aloud: "an ICO", "an HEIC", "an SVG", "a PDF", "a JPEG".
    return f"an {name}" if name[0] in "AEFHILMNORSX" else f"a {name}"


def _bytes(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1000 * 1000:
        return f"{n / 1000:.3g} kB"
    return f"{n / 1e6:.3g} MB"


# --- what comes back: trust the child no further than a file format check -----------------------

_ALLOWED_CHUNKS = {b"IHDR", b"IDAT", b"IEND"}


def _check_png(blob: bytes, info: ImageInfo, longest: int | None, filename) -> None:
    """Refuse a derivative that is not a bare 8-bit RGB PNG of a plausible size.

    Only IHDR, IDAT and IEND are allowed, so no text, EXIF, ICC, time or other chunk can carry
    anything out of the original, even if the worker were subverted.
    """
    def bad(why: str) -> ValidationError:
        return ValidationError(f"The image worker produced an unsafe derivative ({why})",
                               file=filename)

    if not blob.startswith(b"\x89PNG\r\n\x1a\n"):
        raise bad("not a PNG")
    offset, chunks = 8, []
    while offset < len(blob):
        if offset + 12 > len(blob):
            raise bad("cut short")
        length, kind = struct.unpack(">I4s", blob[offset:offset + 8])
        end = offset + 12 + length
        if end > len(blob):
            raise bad("cut short")
        body = blob[offset + 8:end - 4]
        if kind not in _ALLOWED_CHUNKS:
            raise bad(f"chunk {kind!r}")
        if zlib.crc32(kind + body) != struct.unpack(">I", blob[end - 4:end])[0]:
            raise bad("checksum")
        chunks.append((kind, body))
        offset = end
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise bad("chunk order")
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    if (depth, colour) != (8, 2):
        raise bad("not 8-bit RGB")
    if (width, height) != scaled_size(info.width, info.height, longest):
        raise bad(f"unexpected size {width}x{height}")
