"""Plain-text and DOCX transcripts: timecode marks, speaker turns, front matter, paragraph groups."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import docx
import pytest

from archive.errors import ValidationError
from archive.intake import parse
from archive.intake.segmenting import PARAGRAPH_GROUP_CHARS
from tests.unit.test_intake_realdata import REALDATA, SCIHIST, assert_tiles

PLAIN = SCIHIST / "plain_text_transcript"
SAMPLE_DOCX = SCIHIST / "oh_docx" / "sample-oh-timecode-need-sequencing.docx"


def read(path: Path):
    return parse(path.read_bytes(), path.name)


def test_isaacs_timecodes_become_cues_and_segments():
    p = read(PLAIN / "isaacs_j2ntg1k_sample_with_timecodes.txt")
    assert [c.start for c in p.cues] == [5.0, 47.0, 127.0, 187.0]
    assert [s.start for s in p.segments] == [None, 5.0, 47.0, 127.0, 187.0]
    assert [s.end for s in p.segments] == [None, 47.0, 127.0, 187.0, None]
    assert "[00:0" not in p.text                      # marks are removed from the text
    first = p.cues[0]
    assert p.text[first.text_start:].startswith("SCHNEIDER:  Okay. So today is Monday")
    assert first.speaker == "SCHNEIDER" and p.cues[1].speaker == "ISAACS"
    assert p.cues[2].speaker == "ISAACS"              # a timed paragraph continuing a turn
    assert p.text[p.segments[0].text_start:].startswith("Isaacs reflects on his experiences")
    assert p.metadata["interviewees"] == ["André K. Isaacs"]
    assert p.metadata["interviewers"] == ["Sarah Schneider", "David J. Caruso"]
    assert p.metadata["date"] == "11 December 2023" and p.metadata["location"] == "via Zoom"
    assert p.metadata["speakers"] == ["SCHNEIDER", "ISAACS"]
    assert p.warnings == []


def test_baltimore_bom_after_leading_spaces_and_paragraph_groups():
    raw = (PLAIN / "baltimore_sample.txt").read_bytes()
    assert raw.startswith(b"   ") and b"\xef\xbb\xbf" in raw[:40]
    p = parse(raw, "baltimore_sample.txt")
    assert "\ufeff" not in p.text
    assert p.text.lstrip().startswith("INTERVIEWEE:   David Baltimore")
    assert p.metadata["interviewees"] == ["David Baltimore"]
    assert p.metadata["interviewers"] == ["Sondra Schlesinger"]
    assert p.metadata["speakers"][:2] == ["SCHLESINGER", "BALTIMORE"]
    assert p.cues == [] and all(s.start is None for s in p.segments)
    assert len(p.segments) == 11
    assert all(s.text_end - s.text_start <= PARAGRAPH_GROUP_CHARS for s in p.segments)
    turn = p.turns[0]
    assert p.text[turn.text_start:turn.text_end].startswith("SCHLESINGER:  Let’s not start")
    assert p.text[turn.text_start:turn.text_end].endswith("interested in biology.")


def test_wpa_narratives_crlf_and_bom_are_normalised():
    path = REALDATA / "wpa_slave_narratives" / "vol03_florida_narratives.txt"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    p = parse(raw, path.name)
    assert p.text.startswith("The Project Gutenberg eBook of Slave Narratives")
    assert "\r" not in p.text and len(p.text) == len(raw.decode("utf-8-sig").replace("\r\n", "\n"))
    assert len(p.segments) > 100
    assert all(s.text_end - s.text_start <= PARAGRAPH_GROUP_CHARS for s in p.segments)
    # groups end on paragraph boundaries, not mid-line
    assert sum(p.text[s.text_end - 2:s.text_end] == "\n\n" for s in p.segments[:-1]) > 100


def test_inline_and_short_timecodes_speakers_and_bad_marks():
    text = ("Q: Where were you born? [05:30] In Raqqa?\n"
            "A: Yes. [01:02:03.5]\n"
            "[00:75:00] was written by mistake\n"
            "[00:10:00]\n"
            "DR. ROE: Back to the start of the second tape.\n"
            "Note: mixed-case labels are not speakers.\n")
    p = parse(text.encode(), "t.txt", language="ar")
    assert p.language == "ar"
    assert [c.start for c in p.cues] == [330.0, 3723.5, 600.0]
    assert "Where were you born? In Raqqa?" in p.text    # one space left where the mark was
    assert "[00:75:00] was written by mistake" in p.text
    assert any("line 3: [00:75:00] is not a valid time" in w for w in p.warnings)
    assert any("line 4: timecode 00:10:00 goes back from 01:02:03" in w for w in p.warnings)
    assert [t.speaker for t in p.turns] == ["Q", "A", "DR. ROE"]
    assert p.text[p.cues[0].text_start:].startswith("In Raqqa?")
    assert p.cues[2].speaker == "DR. ROE"
    assert [s.start for s in p.segments] == [None, 330.0, 3723.5, 600.0]
    assert p.segments[2].end is None          # time went back: no end from the next mark
    assert_tiles(p)


def test_docx_sample_timecodes_tapes_and_speakers():
    p = read(SAMPLE_DOCX)
    assert p.format == "docx"
    assert len(p.cues) == 26 and p.cues[0].start == 1.0 and p.cues[0].speaker == "CARUSO"
    assert p.text.startswith("CARUSO: Unpacked reserved sir")
    assert "[00:00:29]" not in p.text and "[END OF AUDIO, FILE 1.1]" in p.text
    # the sample restarts its clock on each audio file: said, with the paragraph it is in
    assert p.warnings[0].startswith("paragraph 16: timecode 00:00:01 goes back from 00:00:38")
    assert len(p.warnings) == 2
    assert p.metadata["author"] == "Berry, Lee"
    assert {"CARUSO", "SUBJECT"} <= set(p.metadata["speakers"])


def _docx_bytes(build) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_tables_and_line_breaks_are_read_in_order():
    def build(d):
        d.core_properties.title = "Interview 7"
        d.add_paragraph("[00:00:10]")
        d.add_paragraph("JONES: First answer.")
        table = d.add_table(rows=1, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Place", "Homs"
        run = d.add_paragraph().add_run("[00:01:00]")
        run.add_break()
        run.add_text("SMITH: After a break.")
    p = parse(_docx_bytes(build), "seven.docx")
    assert p.text == "JONES: First answer.\nPlace\tHoms\nSMITH: After a break."
    assert [c.start for c in p.cues] == [10.0, 60.0]
    assert p.text[p.cues[1].text_start:] == "SMITH: After a break."
    assert p.metadata["title"] == "Interview 7"
    assert_tiles(p)


def test_truncated_docx_is_refused():
    data = SAMPLE_DOCX.read_bytes()
    with pytest.raises(ValidationError) as err:
        parse(data[: len(data) // 2], "cut.docx")
    assert "damaged or truncated ZIP/DOCX" in str(err.value) and err.value.file == "cut.docx"


def test_zip_that_is_not_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("content.xml", "<office:document/>")
    with pytest.raises(ValidationError, match="not a Word document"):
        parse(out.getvalue(), "notes.odt")


def test_docx_with_a_corrupt_body_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(SAMPLE_DOCX.read_bytes())) as src, \
            zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            dst.writestr(item, body[:500] if item.filename == "word/document.xml" else body)
    with pytest.raises(ValidationError, match="cannot read the Word document") as err:
        parse(out.getvalue(), "broken.docx")
    assert err.value.file == "broken.docx"


def test_long_transcripts_parse_in_linear_time():
    # 20,000 timed turns (~3 MB): quadratic turn or speaker lookups would take minutes
    body = "".join(f"[{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}]\n"
                   f"{'JONES' if i % 2 else 'Q'}: {'word ' * 25}\n" for i in range(20000))
    began = time.monotonic()
    p = parse(body.encode(), "long.txt")
    assert time.monotonic() - began < 10
    assert len(p.cues) == 20000 and len(p.turns) == 20000 and p.cues[-1].speaker == "JONES"
