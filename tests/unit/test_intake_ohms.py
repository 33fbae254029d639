"""OHMS XML: metadata, index points as segments, legacy <sync> and v6 <vtt_transcript>, safety."""
from __future__ import annotations

import re
import time

import pytest
from lxml import etree

from archive.errors import ValidationError
from archive.intake import parse
from archive.intake.ohms import _parser
from tests.unit.test_intake_realdata import SCIHIST, assert_tiles

OHMS = SCIHIST / "ohms_xml"
LEGACY = OHMS / "legacy"


def read(path, **kw):
    return parse(path.read_bytes(), path.name, **kw)


def _raw_transcript(path) -> str:
    root = etree.fromstring(path.read_bytes(), _parser())
    return root.find("{*}record/{*}transcript").text


def test_duarte_metadata():
    p = read(LEGACY / "duarte_OH0344.xml")
    m = p.metadata
    assert m["title"] == "Oral history interview with Ronald Duarte"
    assert m["accession"] == "OH0344" and m["id"] == "00083325" and m["version"] == "5.4"
    assert m["interviewees"] == ["Ronald Duarte"] and m["interviewers"] == ["David C. Brock"]
    assert m["date"] == "2006-06-13" and m["date_text"] == "13 June 2006"
    assert m["duration"] == 28 * 60 + 6
    assert m["language"] == "English" and p.language == "en"
    assert m["rights"] == "In copyright - Non Commercial Use Permitted"
    assert m["usage"].startswith("No restrictions on access. Reproduction and use with permission.")
    assert m["subjects"] == ["Duarte, Ronald, 1930-", "Intel Corporation", "Moore, Gordon E., 1929-",
                             "Semiconductor industry"]
    assert m["repository"] == "Science History Institute"
    assert m["series_name"] == "Chemical History of Electronics"
    assert m["speakers"] == ["BROCK", "DUARTE"]


def test_duarte_index_points_become_segments():
    p = read(LEGACY / "duarte_OH0344.xml")
    assert [s.start for s in p.segments] == [0, 212, 573, 790, 991, 1219, 1521]
    assert [s.end for s in p.segments] == [212, 573, 790, 991, 1219, 1521, 1686]   # last: duration
    first = p.segments[0]
    assert first.title == "Early childhood and Duarte family history"
    assert first.keywords[:3] == ["Azores", "Gordon E. Moore", "Half Moon Bay"]
    assert first.subjects[:2] == ["Azores", "California--Pescadero"]
    assert first.synopsis.startswith("Pescadero. Portuguese heritage.")
    assert p.segments[1].title == "Growing up with Gordon Moore"       # trailing space trimmed
    # aligned by the partial transcript, despite its doubled spaces and curly quotes
    assert p.text[p.segments[1].text_start:].startswith("BROCK: That general store was just down")
    assert p.text[p.segments[2].text_start:].startswith("BROCK: What impressions do you have")
    assert_tiles(p)


def test_legacy_sync_points_land_on_the_named_word():
    path = LEGACY / "duarte_OH0344.xml"
    p = read(path)
    lines = _raw_transcript(path).split("\n")
    # <sync>1:|13(3)|19(14)|...: one minute in, line 13 word 3; two minutes in, line 19 word 14
    assert len(p.cues) == 29 and (p.cues[0].start, p.cues[0].text_start) == (0.0, 0)
    for cue, (line, word) in zip(p.cues[1:3], [(13, 3), (19, 14)]):
        expected = lines[line - 1].split()[word - 1]
        assert p.text[cue.text_start:].startswith(expected)
        assert p.text[cue.text_start:cue.text_start + 40] in "\n".join(lines)
    assert [c.start for c in p.cues[1:4]] == [60.0, 120.0, 180.0]
    assert p.cues[1].end == 120.0 and p.cues[1].text_end == p.cues[2].text_start


def test_hanford_footnotes_stay_searchable():
    p = read(LEGACY / "hanford_OH0139.xml")
    assert "[[footnote" not in p.text and "[[note]]" not in p.text
    assert "get a patent [1]." in p.text
    assert len(p.metadata["footnotes"]) == 2
    assert p.text.endswith("Inc., 1970).") and "\n\nNotes\n[1] William E. Hanford" in p.text
    assert "let's get a picture" in p.text          # &#039; decoded by the XML parser
    graduate = next(s for s in p.segments if s.title == "Graduate School")
    # partial transcript "HANFORD: Anyhow, ..." found where the paragraph has no label
    assert p.text[graduate.text_start:].startswith("Anyhow, I applied, and I was accepted")


def test_smythe_titles_and_segment_count():
    p = read(LEGACY / "smythe_OH0042.xml")
    assert len(p.segments) == 13
    assert p.segments[1].title == "Family and Early and Undergraduate Education"   # tab stripped
    assert p.segments[-1].title == 'Appendix: "Scientist in a Jeep:" Leipzig'
    assert p.text[p.segments[-1].text_start:].startswith("As Leipzig was nearby")


def test_various_gaps_sync_with_silences():
    p = read(LEGACY / "various_gaps.xml")
    assert p.metadata["interviewees"] == ["Miss Piggy"]
    assert len(p.cues) == 23 and p.cues[-1].start == 22 * 60
    assert p.segments[0].start == 0.0


def test_alyea_index_without_transcript():
    p = read(LEGACY / "alyea_OH0010.xml")
    assert p.text == "" and len(p.segments) == 15
    assert p.segments[0].title == "World War II Chemical Warfare" and p.segments[0].start == 3
    assert "Chemical warfare" in p.segments[0].keywords
    assert "Merck & Company" in p.segments[0].keywords
    assert any("placeholder 'No transcript.'" in w for w in p.warnings)


def test_empty_ohms_is_an_empty_transcript_with_a_warning():
    p = read(OHMS / "empty_ohms.xml")
    assert p.text == "" and p.segments == [] and p.cues == []
    assert p.metadata["title"] == "Oral history interview with Hubert N. Alyea"
    assert p.warnings[-1] == "the OHMS file has no transcript text and no index"


def test_index_hyperlinks_example_points_without_text():
    p = read(OHMS / "index_hyperlinks_example.xml")
    assert [(s.start, s.title) for s in p.segments] == [(1, "Pre-Interview Remarks"),
                                                        (3473, "DuPont and Tetraethyl Lead")]
    assert p.text == ""


def test_v6_vtt_transcript_speakers_and_minute_segments():
    p = read(OHMS / "chappelear-ohmsvtt-example.xml")
    assert p.metadata["accession"] == "OH1153" and p.metadata["version"] == "6.0"
    assert p.metadata["duration"] is None                     # "00:00:00" means unknown
    assert len(p.cues) == 13 and p.cues[0].start == 4.0 and p.cues[0].speaker == "SCHNEIDER"
    assert p.text.startswith("SCHNEIDER: Okay. So today is Wednesday, January 24, 2024.")
    assert "<v" not in p.text and "TRANSCRIPTION BEGIN" not in p.text
    assert p.metadata["speakers"] == ["SCHNEIDER", "CHAPPELEAR"]
    # untagged cues continue the narrator's answer
    assert p.cues[4].speaker == "CHAPPELEAR"
    assert p.text[p.cues[4].text_start:].startswith("At one point when I was still a very small baby")
    assert [s.start for s in p.segments][:3] == [4.0, 91.0, 214.0]


def test_v6_small_sample_breaks_and_backwards_cue():
    p = read(OHMS / "small-sample-vtt-ohms.xml")
    assert p.cues[0].start == 3603.0                           # media clock starts at 01:00:00
    assert "science and interest in learning.\n\nOne day, we got lost" in p.text
    assert p.cues[-1].end is None
    # the warning names the line of the OHMS file itself
    assert p.warnings == ["line 61: cue ends (00:00:00) before it starts (01:01:22); "
                          "its end is ignored"]
    line61 = (OHMS / "small-sample-vtt-ohms.xml").read_text(encoding="utf-8").split("\n")[60]
    assert line61 == "01:01:22.000 --> 00:00:00.000"


def test_v6_index_points_align_to_cues():
    xml = (OHMS / "chappelear-ohmsvtt-example.xml").read_text(encoding="utf-8")
    points = """<index>
      <point><time>100</time><title>Depression years</title>
        <partial_transcript>At one point when I was still a very small baby</partial_transcript>
        <keywords>Sonora; California</keywords><subjects>Great Depression</subjects></point>
      <point><time>300</time><title>Pearl Harbor</title></point>
    </index>"""
    xml = re.sub(r"<index>\s*</index>", points, xml)
    p = parse(xml.encode(), "chappelear-indexed.xml")
    assert [s.title for s in p.segments] == ["", "Depression years", "Pearl Harbor"]
    assert p.segments[0].start == 4.0 and p.segments[0].end == 100
    assert p.text[p.segments[1].text_start:].startswith("At one point when I was still")
    assert p.segments[1].keywords == ["Sonora", "California"]
    # no partial transcript: the cue playing at 300 s (00:04:48 -> 00:05:35)
    assert p.text[p.segments[2].text_start:].startswith("In ’41, first big event")
    assert_tiles(p)


# --- refusals --------------------------------------------------------------------------------

def _refused(data: bytes, name: str = "evil.xml") -> ValidationError:
    with pytest.raises(ValidationError) as err:
        parse(data, name)
    assert err.value.file == name
    return err.value


def test_xxe_is_refused_and_reads_no_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-7f3a")
    payload = (f'<?xml version="1.0"?>\n<!DOCTYPE ROOT [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n'
               '<ROOT><record><title>&xxe;</title></record></ROOT>').encode()
    err = _refused(payload)
    assert "entit" in err.message and err.record == "line 3"
    assert "CANARY" not in str(err)
    # and the parser itself, were it reached, would not expand it
    root = etree.fromstring(payload, _parser())
    assert "CANARY" not in etree.tostring(root).decode()


def test_billion_laughs_is_refused_quickly():
    lol = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)]
    payload = ('<?xml version="1.0"?>\n<!DOCTYPE ROOT [\n' + "\n".join(lol) +
               '\n]>\n<ROOT><record><title>&lol9;</title></record></ROOT>').encode()
    began = time.monotonic()
    err = _refused(payload)
    assert time.monotonic() - began < 1
    assert "billion laughs" in err.message and err.record == "line 3"


def test_external_dtd_is_not_loaded(tmp_path):
    dtd = tmp_path / "canary.dtd"
    dtd.write_text('<!ENTITY x "CANARY-DTD">')
    payload = (f'<?xml version="1.0"?><!DOCTYPE ROOT SYSTEM "{dtd}">'
               '<ROOT><record><title>&x;</title></record></ROOT>').encode()
    p = parse(payload, "dtd.xml")
    assert "CANARY" not in repr(p)


def test_truncated_ohms_names_the_line():
    data = (LEGACY / "duarte_OH0344.xml").read_bytes()
    err = _refused(data[:5000], "duarte-cut.xml")
    assert err.message.startswith("not well-formed XML")
    assert re.fullmatch(r"line \d+", err.record)


def test_ohms_without_record_and_bad_point_time():
    err = _refused(b'<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"/>', "bare.xml")
    assert err.field == "record"
    err = _refused(b"<ROOT><record><title>t</title><index>\n<point><time>soon</time></point>"
                   b"</index></record></ROOT>", "time.xml")
    assert err.field == "time" and err.record == "line 2" and "'soon'" in err.message


def test_invalid_utf8_in_ohms_names_the_line():
    data = (LEGACY / "duarte_OH0344.xml").read_bytes().replace(b"Pescadero", b"Pescad\xe9ro", 1)
    err = _refused(data, "latin1.xml")
    assert "not valid UTF-8" in err.message and err.record.startswith("line ")


def test_doctype_internal_subset_without_entities_is_refused_too():
    err = _refused(b'<?xml version="1.0"?>\n<!DOCTYPE ROOT [\n<!ATTLIST ROOT a CDATA "x">\n]>\n'
                   b"<ROOT><record/></ROOT>")
    assert "internal subset" in err.message and err.record == "line 2"
