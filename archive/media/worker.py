"""The code that runs in the sandboxed child: decode one untrusted image, orient, redact, resize.

It imports only the standard library and Pillow, so the parent can start it by path with
``python -I -B`` (no PYTHONPATH, no user site, no current directory on sys.path).

Protocol. argv: memory limit (bytes), CPU limit (seconds), output limit (bytes).
stdin: one JSON line (the request), then the image bytes.
stdout: one JSON line (the answer), then the derivative bytes it announces, in order.
The answer is either {"ok": true, ...} or {"ok": false, "code": ..., <numbers>}: the parent
writes the human message itself, so a subverted decoder cannot put words in the archive's mouth.
"""
from __future__ import annotations

import io
import json
import re
import resource
import sys
import warnings

WHITE = (255, 255, 255)


class Refusal(Exception):
    """A reason to refuse the image, as a code plus the numbers the parent's message needs."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.answer = {"ok": False, "code": code, **details}


# --- geometry (pure; imported by the tests too) ---------------------------------------------

def scaled_size(width: int, height: int, longest: int | None) -> tuple[int, int]:
    """The size with the longest side at most `longest`, aspect kept; never enlarged."""
    side = max(width, height)
    if longest is None or longest >= side:
        return width, height
    return (max(1, (width * longest + side // 2) // side),
            max(1, (height * longest + side // 2) // side))


def scale_box_outward(box, source: tuple[int, int], target: tuple[int, int]):
    """The box in the target's pixels, widened to every pixel it touches even partly.

    Integer arithmetic on purpose: a float rounding a hair inwards would leave an edge pixel
    half-covered by the resampled original instead of the fill.
    """
    x0, y0, x1, y1 = box
    (sw, sh), (tw, th) = source, target
    return (max(0, (x0 * tw) // sw), max(0, (y0 * th) // sh),
            min(tw, -((-x1 * tw) // sw)), min(th, -((-y1 * th) // sh)))


# --- decoding ---------------------------------------------------------------------------------

def _bomb_size(exc: Exception, im) -> dict:
    # Raised inside load(): the oversized thing may be a frame or tile, not the image itself,
    # so the dimensions are only reported when they are what Pillow counted.
    match = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = int(match.group(1)) if match else None
    if im is not None and pixels in (None, im.size[0] * im.size[1]):
        return {"width": im.size[0], "height": im.size[1]}
    return {"pixels": pixels} if pixels else {}


def decode(data: bytes, fmt: str, max_pixels: int):
    """Open and fully decode the first frame, refusing bombs and truncated files."""
    from PIL import Image, ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-decoded
    if fmt == "WEBP" and len(data) < 8 + int.from_bytes(data[4:8], "little"):
        # libwebp only says "could not create decoder object"; the RIFF length says why.
        raise Refusal("truncated")
    im = None
    try:
        # Pillow's own check at open() cannot tell us the dimensions, so ours runs in its place
        # on the header alone (open() decodes no pixels); Pillow's check is back on for load(),
        # where GIF frames and TIFF tiles call it again, and its warning is an error there.
        Image.MAX_IMAGE_PIXELS = None
        im = Image.open(io.BytesIO(data), formats=[fmt])
        _check_pixels(im.size, max_pixels)
        Image.MAX_IMAGE_PIXELS = max_pixels
        im.load()
        _check_pixels(im.size, max_pixels)
    except Refusal:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refusal("too_many_pixels", **_bomb_size(exc, im)) from None
    except Image.UnidentifiedImageError:
        raise Refusal("unidentified") from None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - every decoder failure is a refusal, never a crash
        text = str(exc)
        if isinstance(exc, (OSError, EOFError)) and ("truncated" in text.lower()
                                                     or isinstance(exc, EOFError)):
            raise Refusal("truncated") from None
        raise Refusal("undecodable", detail=f"{type(exc).__name__}: {text}"[:200]) from None
    return im


def _check_pixels(size, max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise Refusal("undecodable", detail=f"image size {width}x{height}")
    if width * height > max_pixels:
        raise Refusal("too_many_pixels", width=width, height=height)


def orient(im):
    """The image as it is meant to be seen (EXIF/XMP orientation applied)."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(im)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001
        # Unreadable EXIF: show the pixels as stored. inspect and derive both come through
        # here, so the dimensions the archivist draws boxes on always match the derivatives.
        return im


def pixels_only(im):
    """A fresh RGB image built from the pixel values alone: nothing of the file's metadata."""
    from PIL import Image

    if im.mode.startswith("I;16"):
        im = im.convert("I")
    if im.mode == "I":  # 16-bit greyscale: keep the top 8 bits rather than clip to white
        im = im.point(lambda v: v * (1 / 256)).convert("L")
    try:
        if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
            # Flatten onto white: pixels under full transparency can hold a whole hidden image.
            rgba = im.convert("RGBA")
            flat = Image.new("RGBA", rgba.size, WHITE + (255,))
            flat.alpha_composite(rgba)
            rgb = flat.convert("RGB")
        else:
            rgb = im.convert("RGB")
    except ValueError:
        raise Refusal("unsupported_mode", mode=im.mode[:16]) from None
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def derive(clean, boxes, sizes, fill) -> list[tuple[str, bytes]]:
    """Redact, then scale each size from the redacted image and redact its scaled boxes again."""
    from PIL import Image

    width, height = clean.size
    for box in boxes:
        x0, y0, x1, y1 = box
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            raise Refusal("bad_box", box=list(box), width=width, height=height)
        clean.paste(fill, tuple(box))
    out = []
    for name, longest in sizes:
        target = scaled_size(width, height, longest)
        if target == clean.size:
            scaled = clean
        else:
            scaled = clean.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
            # Resampling smears the fill's edges into its neighbours; paint the box again,
            # rounded outwards, so every pixel it touches is exactly the fill.
            for box in boxes:
                scaled.paste(fill, scale_box_outward(box, (width, height), target))
        buffer = io.BytesIO()
        scaled.save(buffer, format="PNG", compress_level=6)  # lossless: the fill stays exact
        out.append((name, buffer.getvalue()))
    return out


def handle(request: dict, data: bytes) -> tuple[dict, list[bytes]]:
    im = decode(data, request["format"], request["max_pixels"])
    oriented = orient(im)
    answer = {"ok": True, "format": im.format, "width": oriented.size[0],
              "height": oriented.size[1]}
    if request["op"] == "inspect":
        return answer, []
    clean = pixels_only(oriented)
    del im, oriented
    blobs = derive(clean, [tuple(b) for b in request["boxes"]],
                   [(n, s) for n, s in request["sizes"]], tuple(request["fill"]))
    answer["blobs"] = [[name, len(blob)] for name, blob in blobs]
    return answer, [blob for _, blob in blobs]


def _limit(memory_bytes: int, cpu_seconds: int, output_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # SIGXCPU at the soft limit, SIGKILL one second later if it is caught or ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    # stdout is a file (memfd): this caps what the child can make the parent read.
    resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes, output_bytes))


def main(argv: list[str]) -> int:
    # Register only the plugins for the formats the archive takes (and MPO, which is how
    # Pillow opens some camera JPEGs): no other decoder is reachable from this process.
    from PIL import (GifImagePlugin, Image, ImageOps, JpegImagePlugin,  # noqa: F401
                     MpoImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin)

    warnings.simplefilter("ignore")  # Pillow's "corrupt EXIF" chatter is not a refusal ...
    warnings.simplefilter("error", Image.DecompressionBombWarning)  # ... but this one is
    _limit(int(argv[0]), int(argv[1]), int(argv[2]))
    stdin = sys.stdin.buffer
    request = json.loads(stdin.readline())
    data = stdin.read()
    try:
        answer, blobs = handle(request, data)
    except Refusal as refusal:
        answer, blobs = refusal.answer, []
    except MemoryError:
        answer, blobs = {"ok": False, "code": "memory"}, []
    except Exception as exc:  # noqa: BLE001 - e.g. a mode Pillow cannot resize: still a refusal
        detail = f"{type(exc).__name__}: {exc}"[:200]
        answer, blobs = {"ok": False, "code": "undecodable", "detail": detail}, []
    stdout = sys.stdout.buffer
    stdout.write(json.dumps(answer).encode("ascii") + b"\n")
    for blob in blobs:
        stdout.write(blob)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
