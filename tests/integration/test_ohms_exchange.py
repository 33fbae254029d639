"""OHMS in and out, captions in and out (issue 14): index-only files keep their index; every real OHMS
file survives import, export and import again (the exported file valid against the real ohms.xsd);
caption files keep every cue's timing, and WebVTT / SRT out give the cues back."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import webvtt
from lxml import etree
from sqlalchemy import select

from archive import model
from archive.audience import Audience
from archive.formats.json_format import parse_document
from archive.formats.serialize import full_testimony
from archive.identity import SYSTEM, Identity
from archive.services import Archive

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
OHMS_DIR = REALDATA / "scihist_digicoll" / "ohms_xml"
OHMS_FILES = sorted(p.relative_to(OHMS_DIR).as_posix() for p in OHMS_DIR.rglob("*.xml"))
SRT = REALDATA / "ada_zangemann_srt" / "en.srt"
VTT = REALDATA / "elephantsdream_vtt" / "captions.ar.vtt"
ARCHIVIST = Identity(Audience.ARCHIVIST, username="archivist")
TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("name, points", [("index_hyperlinks_example.xml", 2), ("legacy/alyea_OH0010.xml", 15)])
def test_an_index_only_file_keeps_every_index_point(archive, name, points):
    data = (OHMS_DIR / name).read_bytes()
    preview = archive.intake.preview(ARCHIVIST, data, name)
    assert len(preview["segments"]) == points
    accession = archive.intake.import_ohms(ARCHIVIST, data, name)
    view = archive.testimonies.get(SYSTEM, accession)
    [transcript] = view["transcripts"]
    assert [s["title"] for s in transcript["segments"]] == [s["title"] for s in preview["segments"]]
    assert [s["start"] for s in transcript["segments"]] == [s["start"] for s in preview["segments"]]


@pytest.fixture(scope="module")
def ohms_schema():
    return etree.XMLSchema(etree.parse(str(REALDATA / "scihist_digicoll" / "xsd" / "ohms.xsd")))


def _two_archives(tmp_path_factory):
    made = []
    for name in ("first", "second"):
        root = tmp_path_factory.mktemp(name)
        made.append(Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media",
                            clock=lambda: TODAY))
        made[-1].init()
    yield made
    for archive in made:
        archive.close()


# Two empty archives (SQLite): the first imports and exports, the second imports the export. Fresh for
# each file (alyea_OH0010.xml and empty_ohms.xml share an accession id); shared by the caption tests.
two_archives = pytest.fixture(name="two_archives")(_two_archives)
shared_archives = pytest.fixture(scope="module", name="shared_archives")(_two_archives)


def _record(archive: Archive, accession: str) -> dict:
    """Everything the archive holds of an imported testimony, as its full JSON record."""
    with archive.db.session() as session:
        record = full_testimony(archive.testimonies.load_testimony(session, accession))
    for narrator in record["narrators"]:
        narrator.pop("id")      # made from the accession id and a number, as the first import did
    return record


def _lost(before, after, path="") -> list[str]:
    """Every field of `before` that `after` does not hold the same."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [p for k in sorted(set(before) | set(after)) for p in _lost(before.get(k), after.get(k), f"{path}.{k}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after)) for p in _lost(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {before!r:.80} became {after!r:.80}"]


@pytest.mark.parametrize("name", OHMS_FILES)
def test_each_real_ohms_file_survives_import_export_and_import_again(two_archives, ohms_schema, name):
    first, second = two_archives
    accession = first.intake.import_ohms(ARCHIVIST, (OHMS_DIR / name).read_bytes(), name)
    exported = first.exchange.ohms(ARCHIVIST, accession)
    document = etree.fromstring(exported)
    assert ohms_schema.validate(document), [str(e) for e in ohms_schema.error_log]
    again = second.intake.import_ohms(ARCHIVIST, exported, f"{accession}.ohms.xml")
    before, after = _record(first, accession), _record(second, again)
    assert _lost(before, after) == []
    # (what the comparison covers: the file's index points, links and GPS points are in the record)
    original = etree.parse(str(OHMS_DIR / name))
    points = original.findall(".//{*}index/{*}point")
    segments = [s for t in before["transcripts"] for s in t["segments"] if s["title"]]
    assert len(segments) == len(points)
    links = [h for h in original.findall(".//{*}hyperlinks") if "".join(h.itertext()).strip()]
    assert sum(len(s.get("hyperlinks", [])) for s in segments) == len(links)
    gps = [g for g in original.findall(".//{*}gpspoints/{*}gps") if (g.text or "").strip()]
    assert sum(len(s.get("gps", [])) for s in segments) == len(gps)


def test_what_ohms_carries_is_kept(archive):
    first = archive
    for name in ("legacy/duarte_OH0344.xml", "legacy/alyea_OH0010.xml"):
        first.intake.import_ohms(ARCHIVIST, (OHMS_DIR / name).read_bytes(), name)
    with first.db.session() as session:
        duarte = first.testimonies.load_testimony(session, "OH0344")
        assert (duarte.repository, duarte.series, duarte.interview_date_text) == (
            "Science History Institute", "Chemical History of Electronics", "13 June 2006")
        assert duarte.funding.startswith("This oral history is one in a series")
        assert duarte.media_url.startswith("https://")
        [gps] = [g for s in duarte.transcripts[0].segments for g in s.gps or []]
        assert gps == {"lat": 37.211, "lon": -122.273, "zoom": 11, "label": "Pescadero, California"}
        alyea = first.testimonies.load_testimony(session, "OH0010")
        assert alyea.interview_date is None and alyea.interview_date_text == "Unknown Date"



@pytest.fixture(scope="module")
def captioned(shared_archives):
    """The 670-cue SRT file and an Arabic WebVTT file as transcripts of one draft testimony."""
    archive, _ = shared_archives
    document = {"format": "testimony-archive/1", "collections": [{"id": "films", "title": "Films"}],
                "testimonies": [{"id": "FILM-1", "collection": "films", "title": "Two films", "languages": ["en"]}]}
    archive.transfer.import_document(SYSTEM, parse_document(document, "films.json"))
    archive.intake.add_transcript(ARCHIVIST, "FILM-1", SRT.read_bytes(), "en.srt", language="en")
    archive.intake.add_transcript(ARCHIVIST, "FILM-1", VTT.read_bytes(), "captions.ar.vtt", language="ar")
    return archive


@pytest.mark.parametrize("path, key, fmt", [(SRT, "en", "srt"), (SRT, "en", "vtt"), (VTT, "ar", "vtt"),
                                            (VTT, "ar", "srt")])
def test_every_cue_keeps_its_timing_and_comes_back_out(captioned, path, key, fmt):
    source = webvtt.from_srt(str(path)) if path.suffix == ".srt" else webvtt.read(str(path))
    with captioned.db.session() as session:
        transcript = session.scalar(select(model.Transcript).join(model.Testimony).where(
            model.Testimony.accession_id == "FILM-1", model.Transcript.key == key))
        assert len(transcript.cues) == len(source.captions)             # 670 cues stay 670
        assert len(transcript.segments) < len(transcript.cues)          # segments group them
    out = captioned.exchange.captions(ARCHIVIST, "FILM-1", key, fmt)
    back = webvtt.from_buffer(io.StringIO(out), format="srt" if fmt == "srt" else "vtt")
    assert [(c.start, c.end) for c in back.captions] == [(c.start, c.end) for c in source.captions]
    assert [" ".join(c.text.split()) for c in back.captions][:3] == \
        [" ".join(c.text.split()) for c in source.captions][:3]


def test_cues_travel_in_the_json_format(captioned, tmp_path):
    document = captioned.transfer.export(SYSTEM, "archivist")
    [film] = [t for t in document["testimonies"] if t["id"] == "FILM-1"]
    assert [len(t["cues"]) for t in film["transcripts"]] == [670, 77]
    public = captioned.transfer.export(SYSTEM, "public")
    assert all(t["id"] != "FILM-1" for t in public["testimonies"])       # a draft reaches no reader


def test_the_players_captions_and_bags_land_on_the_cue(captioned):
    """The player's track and a bag's captions (media.captions.webvtt_for) go cue by cue."""
    from archive.audience import Audience as A
    from archive.formats.bagit_format import captions
    from archive.media.captions import webvtt_for
    view = captioned.testimonies.get(ARCHIVIST, "FILM-1")
    track = webvtt_for(next(t for t in view["transcripts"] if t["key"] == "en"), None)
    assert len(webvtt.from_buffer(io.StringIO(track)).captions) == 670
    [film] = [t for t in captioned.transfer.export(SYSTEM, "archivist")["testimonies"] if t["id"] == "FILM-1"]
    bagged = dict(captions(film, A.ARCHIVIST))
    assert len(webvtt.from_buffer(io.StringIO(bagged["captions/en.vtt"].decode("utf-8"))).captions) == 670


FRENCH = ("Intervieweur : Merci d'avoir accepté de nous parler.\nOmar : Je suis né à Raqqa.\n\n"
          "Intervieweur : Comment avez-vous commencé ?\nOmar : Un cousin m'a demandé de conduire un jeune homme.")


def test_the_second_transcript_travels_as_the_alternate_transcript(shared_archives, ohms_schema):
    """OHMS holds a transcript and an alternate one: a translation goes there, and comes back as the
    translation of the first transcript."""
    import copy
    import json

    from tests.conftest import EXAMPLE
    first, second = shared_archives
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    item = copy.deepcopy(raw["testimonies"][0])
    item.update(id="OH-ALT-0001", redactions=[], sensitive_terms=[])
    original = item["transcripts"][0]
    item["transcripts"].append({"id": "fr", "language": "fr", "kind": "translation", "translation_of": original["id"],
                                "text": FRENCH, "segments": [{"start": 0.0, "end": 30.0, "title": "",
                                                              "text_start": 0, "text_end": len(FRENCH)}]})
    raw["testimonies"] = [item]
    first.transfer.import_document(SYSTEM, parse_document(raw, "alt.json"))

    exported = first.exchange.ohms(ARCHIVIST, "OH-ALT-0001")
    document = etree.fromstring(exported)
    assert ohms_schema.validate(document), [str(e) for e in ohms_schema.error_log]
    ns = {"o": "https://www.weareavp.com/nunncenter/ohms"}
    assert document.findtext(".//o:transcript_alt_lang", namespaces=ns) == "fr"
    assert document.findtext(".//o:translate", namespaces=ns) == "1"
    assert FRENCH in document.findtext(".//o:transcript_alt", namespaces=ns)

    again = second.intake.import_ohms(ARCHIVIST, exported, "OH-ALT-0001.ohms.xml")
    before, after = _record(first, "OH-ALT-0001"), _record(second, again)
    assert [(t["id"], t["language"], t["kind"], t.get("translation_of")) for t in after["transcripts"]] == \
        [("en", "en", "original", None), ("fr", "fr", "translation", "en")]
    assert after["transcripts"][1]["text"] == FRENCH
    # (the first keeps its text, less its last newline; its index times are OHMS's whole seconds)
    assert after["transcripts"][0]["text"] == before["transcripts"][0]["text"].rstrip()


def test_a_file_with_one_transcript_has_no_alternate(shared_archives):
    first, _ = shared_archives
    exported = first.exchange.ohms(ARCHIVIST, first.intake.import_ohms(
        ARCHIVIST, (OHMS_DIR / OHMS_FILES[0]).read_bytes(), OHMS_FILES[0]))
    for name in ("transcript_alt", "vtt_transcript_alt", "transcript_alt_lang", "translate"):
        assert etree.fromstring(exported).find(f".//{{*}}{name}") is None
