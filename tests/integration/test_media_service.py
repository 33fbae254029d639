"""MediaService on SQLite and PostgreSQL: intake by kind, boxes, derivatives per audience, consent,
originals, fixity, and nothing half-written when something is refused or fails."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from archive.audience import Audience
from archive.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from archive.identity import ANONYMOUS, Identity, for_role
from archive.model import AuditEvent, FixityRun, MediaAsset, Revision
from archive.services.media import MediaService
from tests.conftest import REALDATA

OPEN = "OH-2015-0001"          # open, publish_images
EMBARGOED = "OH-2015-0002"     # researchers, embargoed until 2030
ANN = for_role("archivist", 1, "ann")
BOB = for_role("archivist", 2, "bob")
RESEARCHER = for_role("researcher", 3, "rita")
ADMIN = for_role("admin", 4, "ada")
MAGENTA = (250, 0, 250)


def photo(size=(400, 300), colour=(90, 110, 90), fmt="JPEG", **save) -> bytes:
    image = Image.new("RGB", size, colour)
    image.paste(MAGENTA, (100, 100, 200, 200))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def rgb(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def magenta_pixels(png: bytes) -> int:
    return sum(1 for r, g, b in rgb(png).get_flattened_data() if r > 200 and g < 60 and b > 200)


def rows(archive, model) -> list:
    with archive.db.session() as session:
        return list(session.query(model))


def stored_files(archive) -> list:
    return sorted(p for p in archive.media_dir.rglob("*") if p.is_file())


def test_a_photo_is_stored_by_hash_with_a_revision_an_audit_event_and_bare_derivatives(example_archive):
    archive = example_archive
    data = photo(exif=_gps_exif())
    asset = archive.media.add(ANN, OPEN, data, "C:\\Users\\omar\\Omar at home.jpg", caption="  At home ")
    assert asset["filename"] == "Omar at home.jpg" and asset["caption"] == "At home"
    assert (asset["width"], asset["height"], asset["mime"], asset["bytes"]) == (400, 300, "image/jpeg", len(data))
    assert len(asset["id"]) == 64 and asset["id"] != asset["sha256"]
    assert archive.media.original(ANN, asset["id"])["data"] == data
    (revision,) = [r for r in rows(archive, Revision) if "photo" in r.summary]
    assert revision.accession_id == OPEN and revision.author == "ann"
    assert {"media.add", "media.read_original"} <= {e.action for e in rows(archive, AuditEvent)}
    for audience in Audience:
        for size, expected in (("thumb", (320, 240)), ("medium", (400, 300)), ("full", (400, 300))):
            png = archive.media.derivative(Identity(audience, username="x"), asset["id"], size)
            assert _chunks(png) == [b"IHDR", b"IDAT", b"IEND"]
            image = Image.open(io.BytesIO(png))
            assert image.size == expected and not image.getexif() and not image.info
            assert b"CANARYGPS" not in png and all(b"CANARYGPS" not in s for s in _inflated(png))


def test_boxes_are_filled_below_their_audience_and_approval_needs_a_second_archivist(example_archive):
    archive = example_archive
    key = archive.media.add(ANN, OPEN, photo(fmt="PNG"), "p.png")["id"]
    box = archive.media.add_redaction(ANN, key, box=[96, 96, 204, 204], category="person", reason="face",
                                      visible_to="researcher")
    assert box == {"key": "B-1", "box": [96, 96, 204, 204], "category": "person", "reason": "face",
                   "visible_to": "researcher", "state": "proposed", "proposed_by": "ann", "approved_by": None}
    public = archive.media.derivative(ANONYMOUS, key, "full")
    assert magenta_pixels(public) == 0
    assert rgb(public).crop((96, 96, 204, 204)).getcolors() == [(108 * 108, (0, 0, 0))]
    assert rgb(public).getpixel((50, 50)) == (90, 110, 90)
    assert magenta_pixels(archive.media.derivative(RESEARCHER, key, "full")) == 100 * 100
    archive.media.add_redaction(BOB, key, box=[0, 0, 10, 10], category="other", visible_to="admin")
    assert rgb(archive.media.derivative(ANN, key, "full")).getpixel((5, 5)) == (0, 0, 0)
    assert rgb(archive.media.derivative(ADMIN, key, "full")).getpixel((5, 5)) == (90, 110, 90)

    with pytest.raises(ValidationError, match="second archivist"):
        archive.media.approve_redaction(ANN, key, "B-1")
    assert archive.media.approve_redaction(BOB, key, "B-1")["approved_by"] == "bob"
    assert archive.media.approve_redaction(ANN, key, "B-2", two_person=False)["state"] == "approved"
    with pytest.raises(NotFound):
        archive.media.approve_redaction(BOB, key, "B-9")
    for bad, message in (([0, 0, 401, 10], "outside the 400x300 photo"), ([5, 5, 5, 9], "empty"),
                         ([0, 0, 1.5, 9], "four whole numbers")):
        with pytest.raises(ValidationError, match=message):
            archive.media.add_redaction(ANN, key, box=bad, category="person")
    with pytest.raises(ValidationError, match="hides nothing"):
        archive.media.add_redaction(ANN, key, box=[0, 0, 9, 9], category="person", visible_to="public")
    with pytest.raises(PermissionDenied):
        archive.media.add_redaction(RESEARCHER, key, box=[0, 0, 9, 9], category="person")


def test_an_oriented_photo_is_boxed_in_its_displayed_pixels(example_archive):
    archive = example_archive
    exif = Image.Exif()
    exif[0x0112] = 6                    # stored landscape, displayed portrait (rotated 90° clockwise)
    key = archive.media.add(ANN, OPEN, photo(exif=exif, quality=95), "r.jpg")["id"]
    asset = archive.media.asset(ANN, key)
    assert (asset["width"], asset["height"]) == (300, 400)
    archive.media.add_redaction(ANN, key, box=[0, 0, 300, 200], category="person")
    image = rgb(archive.media.derivative(ANONYMOUS, key, "full"))
    assert image.size == (300, 400) and image.crop((0, 0, 300, 200)).getcolors() == [(60000, (0, 0, 0))]


def test_who_sees_which_asset(example_archive):
    archive = example_archive
    open_photo = archive.media.add(ANN, OPEN, photo(), "a.jpg", caption="A boat")["id"]
    hidden = archive.media.add(ANN, EMBARGOED, photo(colour=(1, 1, 1)), "b.jpg", caption="Hidden")["id"]
    document = archive.media.add(ANN, OPEN, b"%PDF-1.4\nx\n%%EOF", "notes.pdf", kind="document")["id"]
    form = archive.media.add(ANN, OPEN, photo(fmt="PNG"), "form.png", kind="consent-form")["id"]
    public = archive.media.assets_for(ANONYMOUS, OPEN)
    assert public == [{"id": open_photo, "kind": "photo", "caption": "A boat", "width": 400, "height": 300,
                       "sizes": {"thumb": [320, 240], "medium": [400, 300], "full": [400, 300]}}]
    assert archive.testimonies.get(RESEARCHER, OPEN)["media"] == public
    assert [a["id"] for a in archive.media.assets_for(ANN, OPEN)] == [open_photo, document, form]
    assert archive.media.asset(ANN, document)["mime"] == "application/pdf"
    with pytest.raises(NotFound):
        archive.media.assets_for(RESEARCHER, EMBARGOED)
    for identity in (ANONYMOUS, RESEARCHER):
        for key in (hidden, document, form, "0" * 64, "../etc/passwd"):
            with pytest.raises(NotFound) as refused:
                archive.media.derivative(identity, key, "thumb")
            assert str(refused.value) == "no such media"
            with pytest.raises(NotFound):
                archive.media.asset(identity, key)
        with pytest.raises(PermissionDenied):
            archive.media.original(identity, open_photo)
    with pytest.raises(NotFound):
        archive.media.derivative(ANN, document, "thumb")
    assert archive.media.derivative(ANN, hidden, "thumb").startswith(b"\x89PNG")
    # consent withdrawn: gone for everyone below archivist at once
    archive.consent.withdraw(ANN, OPEN, "the narrator asked")
    with pytest.raises(NotFound):
        archive.media.derivative(ANONYMOUS, open_photo, "thumb")


def test_publish_images_gates_photos(demo_archive):
    archive = demo_archive
    no_images, images = "DEMO-2015-0001", "DEMO-2016-0006"
    keys = [archive.media.add(ANN, accession, photo(), "p.jpg")["id"] for accession in (no_images, images)]
    assert archive.media.assets_for(ANONYMOUS, no_images) == []
    assert archive.testimonies.get(ANONYMOUS, no_images)["media"] == []
    with pytest.raises(NotFound):
        archive.media.derivative(RESEARCHER, keys[0], "thumb")
    assert [a["id"] for a in archive.media.assets_for(ANONYMOUS, images)] == [keys[1]]


@pytest.mark.parametrize("kind, data, mime", [
    ("audio", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20), "audio/wav"),
    ("audio", b"ID3\x04\x00" + bytes(40), "audio/mpeg"),
    ("audio", b"\xff\xfb\x90\x64" + bytes(40), "audio/mpeg"),
    ("audio", b"OggS\x00\x02" + bytes(40), "audio/ogg"),
    ("audio", b"fLaC\x00\x00\x00\x22" + bytes(40), "audio/flac"),
    ("audio", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(20), "audio/mp4"),
    ("video", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00" + bytes(20), "video/mp4"),
    ("video", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(20), "video/webm"),
])
def test_recordings_are_typed_from_their_content(example_archive, kind, data, mime):
    asset = example_archive.media.add(ANN, OPEN, data, "recording.bin", kind=kind)
    assert (asset["kind"], asset["mime"]) == (kind, mime)
    # kept as a restricted original: no reader below archivist gets it, or even hears of it
    assert example_archive.media.assets_for(ANONYMOUS, OPEN) == []


@pytest.mark.parametrize("kind, data, filename, message", [
    ("photo", b"%PDF-1.4\n%%EOF", "scan.jpg", "scan.jpg: The file is a PDF file; only JPEG"),
    ("photo", b"", "empty.jpg", "empty.jpg: The file is empty"),
    ("audio", b"<html></html>", "a.mp3", "a.mp3: The file is an HTML file; only WAV, MP3"),
    ("audio", b"\x00\x00\x00\x18ftypheic" + bytes(20), "a.m4a", "a.m4a: The file is an HEIC file"),
    ("audio", b"MZ\x90\x00" + bytes(40), "a.wav", "a.wav: The file is not a recognised recording"),
    ("video", b"fLaC" + bytes(40), "v.mp4", "v.mp4: The file is FLAC audio, not a video"),
    ("document", b"GIF89a\x01\x00\x01\x00", "d.gif",
     "d.gif: The file starts like a GIF image but is not a valid one; a document must be a PDF"),
    ("consent-form", b"%PDF-1.7\n1 0 obj", "f.pdf", "f.pdf: The PDF is truncated"),
    ("poster", b"x", "p.jpg", "p.jpg, field kind: unknown kind 'poster'"),
])
def test_a_refused_file_leaves_nothing_behind(example_archive, kind, data, filename, message):
    archive = example_archive
    with pytest.raises(ValidationError) as refused:
        archive.media.add(ANN, OPEN, data, filename, kind=kind)
    assert str(refused.value).startswith(message), str(refused.value)
    assert rows(archive, MediaAsset) == [] and stored_files(archive) == []
    assert "media.add" not in {e.action for e in rows(archive, AuditEvent)}


def test_the_pillow_malformed_corpus_is_refused_or_accepted_never_half_stored(example_archive):
    archive = example_archive
    files = sorted(p for p in (REALDATA / "pillow_tests" / "malformed").iterdir() if p.is_file())[:12]
    assert files
    for path in files:
        try:
            archive.media.add(ANN, OPEN, path.read_bytes(), path.name)
        except ValidationError as exc:
            assert str(exc).startswith(path.name + ": "), exc
        except ConflictError:
            pass
    registered = {a.sha256 for a in rows(archive, MediaAsset)}
    assert {p.name for p in (archive.media_dir / "originals").glob("??/??/*")} == registered


def test_the_same_file_twice_on_one_testimony_is_a_conflict_and_keeps_the_first(example_archive):
    archive = example_archive
    data = photo()
    first = archive.media.add(ANN, OPEN, data, "a.jpg")
    with pytest.raises(ConflictError, match="already attached"):
        archive.media.add(ANN, OPEN, data, "again.jpg")
    assert archive.media.original(ANN, first["id"])["data"] == data      # the shared original survived
    second = archive.media.add(ANN, EMBARGOED, data, "b.jpg")            # another testimony may hold it
    assert second["sha256"] == first["sha256"] and second["id"] != first["id"]


def test_a_failure_after_storing_removes_the_new_original_and_rolls_back(example_archive, monkeypatch):
    archive = example_archive

    def broken(self, store, asset, data=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(MediaService, "_derive", broken)
    with pytest.raises(RuntimeError):
        archive.media.add(ANN, OPEN, photo(), "a.jpg")
    assert rows(archive, MediaAsset) == [] and stored_files(archive) == []
    assert not [r for r in rows(archive, Revision) if "photo" in r.summary]


def test_an_unknown_testimony_is_refused_before_anything_is_decoded_or_stored(example_archive):
    with pytest.raises(NotFound):
        example_archive.media.add(ANN, "NO-SUCH", photo(), "a.jpg")
    assert stored_files(example_archive) == []


def test_fixity_reports_missing_and_changed_originals_and_records_the_run(example_archive):
    archive = example_archive
    keys = [archive.media.add(ANN, OPEN, photo(colour=(c, c, c)), f"{c}.jpg")["id"] for c in (10, 20, 30)]
    assert archive.media.last_fixity(ANN) is None
    seen = []
    report = archive.media.fixity(ANN, progress=lambda n, total, sha: seen.append((n, total)))
    assert report["ok"] and report["checked"] == 3 and seen == [(1, 3), (2, 3), (3, 3)]
    shas = [archive.media.asset(ANN, k)["sha256"] for k in keys]
    archive.media_dir.joinpath("originals", shas[0][:2], shas[0][2:4], shas[0]).unlink()
    changed = archive.media_dir.joinpath("originals", shas[1][:2], shas[1][2:4], shas[1])
    changed.chmod(0o600)
    changed.write_bytes(changed.read_bytes() + b"\0")
    report = archive.media.fixity(ANN)
    assert (report["missing"], report["changed"], report["ok"]) == ([shas[0]], [shas[1]], False)
    assert report["assets"] == {shas[0]: [f"{OPEN} {keys[0][:12]}"], shas[1]: [f"{OPEN} {keys[1][:12]}"]}
    last = archive.media.last_fixity(ANN)
    assert (last["checked"], last["missing"], last["changed"], last["by"]) == (3, [shas[0]], [shas[1]], "ann")
    assert len(rows(archive, FixityRun)) == 2
    assert [e.action for e in rows(archive, AuditEvent)].count("media.fixity") == 2
    # a changed original is never derived again: its derivatives would publish unreviewed bytes
    with pytest.raises(ValidationError, match="is changed"):
        archive.media.add_redaction(ANN, keys[1], box=[0, 0, 5, 5], category="person")
    with pytest.raises(PermissionDenied):
        archive.media.fixity(RESEARCHER)


# --- helpers --------------------------------------------------------------------------------

def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = "CANARYGPS description"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (36.0, 12.0, 3.5)
    gps[18] = "CANARYGPS datum"
    return exif


def _chunks(png: bytes) -> list[bytes]:
    out, offset = [], 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        out.append(kind)
        offset += 12 + length
    return out


def _inflated(png: bytes) -> list[bytes]:
    try:
        return [zlib.decompress(b"".join(png[i + 8:i + 8 + struct.unpack(">I", png[i:i + 4])[0]]
                                         for i in _idat_offsets(png)))]
    except zlib.error:
        return []


def _idat_offsets(png: bytes) -> list[int]:
    out, offset = [], 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        if kind == b"IDAT":
            out.append(offset)
        offset += 12 + length
    return out
