"""BagIt 1.0 (RFC 8493) packages: written and checked with the Library of Congress `bagit` library.

A bag the archive writes holds, under `data/`, the audience's JSON document (`archive.json`, the
archive's own format) and a folder per testimony (`testimonies/<accession id>/`) with what the
per-testimony renderers make of its record: transcripts as text, captions, and whatever other
formats register a renderer in RENDERERS. Manifests and tag manifests are SHA-512.

A bag is checked before anything is read from it: `bagit.txt` in its exact form (bagit-python reads
`BagIt-Version : 1.0`, with a space before the colon, as valid: RFC 8493 section 2.1.1 does not), then
every manifest and tag manifest, the Payload-Oxum and completeness (`Bag.validate`). Nothing here
touches the database.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

import bagit

from ..audience import Audience
from ..errors import ValidationError
from ..media.captions import timed, webvtt_for

CHECKSUMS = ["sha512"]
_CHDIR = threading.Lock()
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
DOCUMENT = "archive.json"
TESTIMONIES = "testimonies"
# A zipped bag is refused past this many bytes unpacked (as a JSON import is past 512 MB).
MAX_UNZIPPED = 4 * 1024 ** 3
# RFC 8493 2.1.1: exactly these two lines, each ended by CR, LF or CRLF (the last may end the file).
_BAGIT_TXT = re.compile(rb"\ABagIt-Version: (\d+)\.(\d+)(\r\n|\n|\r)"
                        rb"Tag-File-Character-Encoding: (\S+)(\r\n|\n|\r)?\Z")

# bagit logs every file it hashes at INFO; the archive reports the outcome itself.
logging.getLogger("bagit").setLevel(logging.WARNING)

# What goes into a testimony's folder: each renderer takes the testimony's record as the bag's
# audience may see it (a dict of the JSON format: `serialize.view_testimony` below archivist,
# `serialize.full_testimony` for staff) and that audience, and gives (path inside the folder, bytes).
# Other formats add themselves here (OHMS needs the audience view itself: services/bags.py writes ohms.xml).
Renderer = Callable[[dict, Audience], Iterable[tuple[str, bytes]]]


def transcripts_as_text(item: dict, audience: Audience) -> Iterator[tuple[str, bytes]]:
    for tr in item["transcripts"]:
        yield f"transcripts/{_safe(tr['id'])}.txt", tr["text"].encode("utf-8")


def captions(item: dict, audience: Audience) -> Iterator[tuple[str, bytes]]:
    """WebVTT captions of each timed transcript, a cue per kept cue (else per segment), from the same
    (audience's) text."""
    for tr in item["transcripts"]:
        text = tr["text"]
        segments = [{"start": s["start"], "end": s["end"],
                     "text": text[s["text_start"]:s["text_end"]] if s.get("text_start") is not None else ""}
                    for s in tr["segments"]]
        # The cues the transcript kept (issue 14), in the same text: a caption per cue where there are any.
        cues = [{"start": c[2], "end": c[3], "at": c[0], "text": text[c[0]:c[1]]} for c in tr.get("cues") or []]
        transcript = {"segments": segments, "cues": cues}
        if timed(transcript):
            yield f"captions/{_safe(tr['id'])}.vtt", webvtt_for(transcript, item.get("duration")).encode("utf-8")


RENDERERS: list[Renderer] = [transcripts_as_text, captions]


def _safe(name: str) -> str:
    """A record id as one path component (ids are checked on import; this keeps any other one inside)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".")
    return cleaned or "_"


def testimony_folder(accession_id: str) -> str:
    return f"{TESTIMONIES}/{_safe(accession_id)}"


def write_file(payload: Path, relative: str, data: bytes) -> None:
    path = payload / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def render_testimony(payload: Path, item: dict, audience: Audience) -> None:
    folder = testimony_folder(item["id"])
    for renderer in RENDERERS:
        for relative, data in renderer(item, audience):
            write_file(payload, f"{folder}/{relative}", data)


def make(folder: Path, info: dict[str, str]) -> bagit.Bag:
    """Turn `folder` (its files become the payload) into a BagIt 1.0 bag with SHA-512 manifests.

    bagit-python writes `BagIt-Version: 0.97` whatever it is asked; the manifests, tag files and
    layout it writes are also those of 1.0 (RFC 8493), so the declaration is made 1.0 and the tag
    manifests are written again to hold it."""
    # bagit-python works in the bag's folder (os.chdir): one bag at a time in a process.
    with _CHDIR:
        bagit.make_bag(str(folder.resolve()), bag_info=info, checksums=CHECKSUMS)
        (folder / "bagit.txt").write_bytes(BAGIT_TXT)
        bagit.Bag(str(folder.resolve())).save()
    return bagit.Bag(str(folder))


# --- checking a bag -----------------------------------------------------------------------------

def check(path: str | Path, name: str | None = None) -> bagit.Bag:
    """The bag at `path`, fully validated; ValidationError with the reason (one line) otherwise,
    naming the bag `name` (what the sender gave: a zip's name rather than where it was unpacked)."""
    path = Path(path)
    where = name or str(path)
    if not path.is_dir():
        raise ValidationError("not a bag: a bag is a folder (or a .zip of one) holding bagit.txt", file=where)
    bagit_txt = path / "bagit.txt"
    try:
        declaration = bagit_txt.read_bytes()
    except OSError:
        raise ValidationError("not a bag: bagit.txt is missing", file=where) from None
    if not _BAGIT_TXT.match(declaration):
        raise ValidationError("bagit.txt is not in the form RFC 8493 requires (exactly 'BagIt-Version: M.N' "
                              "and 'Tag-File-Character-Encoding: ENCODING', one space after each colon "
                              "and none before it)", file=where)
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        raise ValidationError(f"the bag is invalid: {_one_line(exc, path)}", file=where) from None
    except bagit.BagError as exc:
        raise ValidationError(f"the bag is invalid: {_one_line(exc, path)}", file=where) from None
    except (OSError, UnicodeError, LookupError, ValueError) as exc:
        raise ValidationError(f"the bag cannot be read: {_one_line(exc, path)}", file=where) from None
    return bag


def _one_line(exc: BaseException, path: Path) -> str:
    details = getattr(exc, "details", None) or []
    text = str(exc)
    if details and "Bag validation failed" in text:
        text = f"{len(details)} file(s) failed: " + "; ".join(str(d) for d in details[:3])
    text = text.replace(str(path) + os.sep, "").replace(str(path), "the bag")
    return " ".join(text.split())[:500]


def payload_document(bag: bagit.Bag, where: str) -> Path:
    """The archive JSON a checked bag carries; refused if the payload has none (or it was left to fetch)."""
    document = Path(bag.path) / "data" / DOCUMENT
    if f"data/{DOCUMENT}" not in bag.payload_entries() or not document.is_file():
        raise ValidationError(f"the bag is valid but holds no data/{DOCUMENT} (the archive's JSON format): "
                              "nothing to import", file=where)
    return document


def unpack(path: Path, into: Path) -> Path:
    """A zipped bag unpacked into `into` (names that would leave it are refused); the bag's folder."""
    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNZIPPED:
                raise ValidationError(f"the zipped bag unpacks to more than {MAX_UNZIPPED // 1024 ** 3} GB: "
                                      "send the bag as a folder", file=where)
            for m in members:
                name = m.filename
                if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
                    raise ValidationError(f"the zip holds a path outside the bag ({name!r})", file=where)
            archive.extractall(into)
    except zipfile.BadZipFile as exc:
        raise ValidationError(f"not a zip file: {exc}", file=where) from None
    if (into / "bagit.txt").is_file():
        return into
    folders = [p for p in into.iterdir() if p.is_dir() and (p / "bagit.txt").is_file()]
    if len(folders) != 1:
        raise ValidationError("the zip holds no bag (bagit.txt at its top or in its one top folder)", file=where)
    return folders[0]


def zip_stream(bag_dir: Path, name: str, chunk: int = 1 << 16) -> Iterator[bytes]:
    """The bag as a zip, in pieces as it is written (the zip is never whole in memory or on disk)."""
    buffer = _Pipe()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            arcname = f"{name}/{file.relative_to(bag_dir).as_posix()}"
            with open(file, "rb") as source, archive.open(arcname, "w", force_zip64=True) as target:
                while data := source.read(chunk):
                    target.write(data)
                    yield from buffer.drain()
            yield from buffer.drain()
    yield from buffer.drain()


class _Pipe:
    """A write-only, unseekable file whose written bytes are drained by the generator above."""

    def __init__(self):
        self.pieces: list[bytes] = []
        self.written = 0

    def write(self, data) -> int:
        self.pieces.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        pieces, self.pieces = self.pieces, []
        yield from pieces


def partial_folder(dest: Path) -> Path:
    """A fresh folder beside `dest` to build a bag in, renamed to `dest` when complete."""
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
