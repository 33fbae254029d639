"""Media planted in the canary archive: a photo carrying GPS coordinates and canary words in every
metadata place a camera or editor writes, coloured regions under redaction boxes, a document and a
consent form, photos where consent or the testimony's state forbids them, and recordings: one on the
open testimony (its file name and a LIST/INFO title as canaries, its transcript's redactions to silence),
others where the scope, consent (publish_audio) or an embargo forbid them; a video on the open
testimony (its file name and title tag as canaries) and one where consent does not permit images.

`plant(archive)` attaches them through the media service (as the browser and the CLI do).
`MEDIA_CANARIES` maps each word to the lowest audience allowed to see it (kept apart from
canaries.CANARIES, whose every word must appear in the staff JSON export, which holds no media).
"""
from __future__ import annotations

import io
import struct

from PIL import Image

from archive.identity import SYSTEM
from tests.audio_samples import place_redactions, sine_video, sine_wav, tagged_wav
from tests.security import canaries

# Degrees, minutes, seconds of a place a narrator could be found at.
LATITUDE = (35.0, 17.0, 44.4321)
LONGITUDE = (41.0, 55.0, 12.8765)
COORDINATE_TEXTS = ("44.4321", "12.8765", "35.29567", "41.92024", "35°17", "41°55")

MEDIA_CANARIES = {
    "CNRYEXIFWORD": "archivist",        # EXIF ImageDescription of the open photo
    "CNRYEXIFARTIST": "archivist",      # EXIF Artist
    "CNRYGPSDATUM": "archivist",        # GPS map datum
    "CNRYXMPWORD": "archivist",         # XMP packet
    "CNRYCOMWORD": "archivist",         # JPEG comment
    "CNRYPHOTOFILE": "archivist",       # the open photo's original file name (restricted)
    "CNRYPDFWORD": "archivist",         # inside the document
    "CNRYDOCFILE": "archivist",         # the document's file name
    "CNRYDOCCAPTION": "archivist",      # a document's caption: documents are never shown below staff
    "CNRYCONSENTWORD": "archivist",     # a text chunk of the consent form image
    "CNRYCONSENTFILE": "archivist",     # the consent form's file name
    "CNRYNOIMGCAPTION": "archivist",    # caption of a photo on a testimony without publish_images
    "CNRYHIDDENCAPTION": "archivist",   # caption of a photo on an embargoed testimony
    "CNRYRESCAPTION": "researcher",     # caption of a photo on the researchers-only testimony
    "CNRYAUDIOFILE": "archivist",       # the open recording's original file name
    "CNRYWAVTAG": "archivist",          # the open recording's LIST/INFO title (metadata)
    "CNRYNOAUDIOCAPTION": "archivist",  # caption of a recording on a testimony without publish_audio
    "CNRYVIDEOFILE": "archivist",       # the open video's original file name
    "CNRYVIDEOTAG": "archivist",        # the open video's title (container and stream metadata)
    "CNRYNOIMGVIDEO": "archivist",      # caption of a video on a testimony without publish_images
    **{text: "archivist" for text in COORDINATE_TEXTS},
}
VISIBLE_CAPTION = "The ferry at the crossing"   # the open photo's caption: public text
AUDIO_CAPTION = "The interview, recorded"        # the open recording's caption: public text
VIDEO_CAPTION = "The interview, filmed"          # the open video's caption: public text
AUDIO_SECONDS = 60                               # CNRY-OPEN's one segment runs 0..60 s

# Solid regions of the open photo and the box over each: (colour, region, box, visible_to).
MAGENTA, CYAN, BACKGROUND = (250, 0, 250), (0, 250, 250), (90, 110, 90)
REGIONS = (
    (MAGENTA, (48, 40, 120, 112), [40, 32, 128, 120], "archivist"),
    (CYAN, (240, 150, 312, 222), [232, 142, 320, 230], "researcher"),
)
PHOTO_SIZE = (400, 300)

# case -> (accession id, kind, caption, file name)
ASSETS = {
    "open-photo": (canaries.OPEN_ID, "photo", VISIBLE_CAPTION, "CNRYPHOTOFILE.jpg"),
    "research-photo": (canaries.RESEARCH_ID, "photo", "Ledger CNRYRESCAPTION", "ledger.png"),
    "no-images-photo": (canaries.PAST_EMBARGO_ID, "photo", "Boat CNRYNOIMGCAPTION", "boat.png"),
    "hidden-photo": (canaries.HIDDEN["embargoed"][0], "photo", "Hidden CNRYHIDDENCAPTION", "hidden.png"),
    "document": (canaries.OPEN_ID, "document", "CNRYDOCCAPTION", "CNRYDOCFILE.pdf"),
    "consent-form": (canaries.OPEN_ID, "consent-form", "", "CNRYCONSENTFILE.png"),
    "open-audio": (canaries.OPEN_ID, "audio", AUDIO_CAPTION, "CNRYAUDIOFILE.wav"),
    "research-audio": (canaries.RESEARCH_ID, "audio", "", "ledger.wav"),
    "no-audio-recording": (canaries.EXAMPLE_OPEN_ID, "audio", "Voice CNRYNOAUDIOCAPTION", "voice.wav"),
    "hidden-audio": (canaries.HIDDEN["embargoed"][0], "audio", "", "hidden.wav"),
    "open-video": (canaries.OPEN_ID, "video", VIDEO_CAPTION, "CNRYVIDEOFILE.mp4"),
    "no-images-video": (canaries.PAST_EMBARGO_ID, "video", "Filmed CNRYNOIMGVIDEO", "film.mp4"),
}
MISSING_ASSET = "0" * 64


def gps_photo() -> bytes:
    """A JPEG with GPS coordinates, EXIF, XMP and a comment, and two coloured regions to redact."""
    image = Image.new("RGB", PHOTO_SIZE, BACKGROUND)
    for colour, region, _, _ in REGIONS:
        image.paste(colour, region)
    exif = Image.Exif()
    exif[0x010E] = "CNRYEXIFWORD"          # ImageDescription
    exif[0x013B] = "CNRYEXIFARTIST"        # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", LATITUDE
    gps[3], gps[4] = "E", LONGITUDE
    gps[18] = "CNRYGPSDATUM"
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="CNRYXMPWORD"/>'
           b'</rdf:RDF></x:xmpmeta>')
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif, xmp=xmp, comment=b"CNRYCOMWORD")
    return buffer.getvalue()


def gps_rational_bytes(data: bytes) -> set[bytes]:
    """The coordinates as the EXIF block stores them (rationals, both byte orders): a copy of the
    block anywhere would hold these bytes."""
    gps = Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    assert gps[2] and gps[4], "the planted photo lost its GPS block"
    out = set()
    for value in (*gps[2], *gps[4]):
        if value.denominator > 1:
            for order in "<>":
                out.add(struct.pack(order + "LL", value.numerator, value.denominator))
    return out


def _png(colour, text: dict[str, str] | None = None) -> bytes:
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def files() -> dict[str, bytes]:
    return {
        "open-photo": gps_photo(),
        "research-photo": _png((10, 20, 200)),
        "no-images-photo": _png((200, 20, 10)),
        "hidden-photo": _png((20, 200, 10)),
        "document": b"%PDF-1.4\n1 0 obj << /Title (CNRYPDFWORD) >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "consent-form": _png((240, 240, 240), {"Comment": "Signed by CNRYCONSENTWORD"}),
        "open-audio": tagged_wav(AUDIO_SECONDS, "Interview with CNRYWAVTAG"),
        "research-audio": sine_wav(2, frequency=330),
        "no-audio-recording": sine_wav(2, frequency=550),
        "hidden-audio": sine_wav(2, frequency=660),
        "open-video": sine_video(AUDIO_SECONDS, title="Interview with CNRYVIDEOTAG"),
        "no-images-video": sine_video(2),
    }


def plant(archive) -> None:
    """Attach every planted file, box the open photo's coloured regions (then approve them), and
    confirm the recordings' transcript redactions where their estimates put them (as an archivist
    does after listening: until then no reader below archivist hears a recording)."""
    data = files()
    for case, (accession, kind, caption, filename) in ASSETS.items():
        added = archive.media.add(SYSTEM, accession, data[case], filename, kind=kind, caption=caption)
        if kind in ("audio", "video"):
            place_redactions(archive, added["id"])
    key = asset_keys(archive)["open-photo"]
    for _, _, box, visible_to in REGIONS:
        box_view = archive.media.add_redaction(SYSTEM, key, box=box, category="person",
                                               reason="a face", visible_to=visible_to)
        archive.media.approve_redaction(SYSTEM, key, box_view["key"], two_person=False)


def asset_keys(archive) -> dict[str, str]:
    """case -> the asset's key in this archive (keys are random: they are looked up)."""
    out = {}
    for case, (accession, kind, _, filename) in ASSETS.items():
        found = [a for a in archive.media.assets_for(SYSTEM, accession)
                 if a["kind"] == kind and a["filename"] == filename]
        assert len(found) == 1, (case, found)
        out[case] = found[0]["id"]
    return out


def hidden_from(audience: str) -> set[str]:
    rank = canaries.ORDER.index(audience)
    return {w for w, lowest in MEDIA_CANARIES.items() if canaries.ORDER.index(lowest) > rank}
