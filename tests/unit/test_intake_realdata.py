"""Every real transcript in the shared corpus parses, and its offsets tile the text exactly."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.intake import detect, parse

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
SCIHIST = REALDATA / "scihist_digicoll"

FILES = {
    **{f"scihist_digicoll/ohms_xml/{p.name}": "ohms" for p in sorted((SCIHIST / "ohms_xml").glob("*.xml"))},
    **{f"scihist_digicoll/ohms_xml/legacy/{p.name}": "ohms"
       for p in sorted((SCIHIST / "ohms_xml" / "legacy").glob("*.xml"))},
    **{f"scihist_digicoll/plain_text_transcript/{p.name}": "text"
       for p in sorted((SCIHIST / "plain_text_transcript").glob("*.txt"))},
    "scihist_digicoll/oh_docx/sample-oh-timecode-need-sequencing.docx": "docx",
    "scihist_digicoll/webvtt/simple.vtt": "webvtt",
    **{f"elephantsdream_vtt/{p.name}": "webvtt" for p in sorted((REALDATA / "elephantsdream_vtt").glob("*.vtt"))},
    "ada_zangemann_srt/en.srt": "srt",
    "ada_zangemann_srt/sk.srt": "srt",
    "wpa_slave_narratives/vol03_florida_narratives.txt": "text",
    "wpa_slave_narratives/vol16_texas_narratives_part3.txt": "text",
}


def assert_tiles(parsed) -> None:
    """Segments cover the text in order, contiguous, non-overlapping; all offsets inside it."""
    n = len(parsed.text)
    pos = 0
    for s in parsed.segments:
        assert s.text_start == pos, (s, pos)
        assert s.text_start <= s.text_end <= n, s
        pos = s.text_end
    assert pos == n
    assert "".join(parsed.text[s.text_start:s.text_end] for s in parsed.segments) == parsed.text
    for c in [*parsed.cues, *parsed.turns]:
        assert 0 <= c.text_start <= c.text_end <= n, c
    assert [c.text_start for c in parsed.cues] == sorted(c.text_start for c in parsed.cues)


def test_the_corpus_is_all_there():
    assert len(FILES) == 24 and all((REALDATA / name).is_file() for name in FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_real_file_detects_parses_and_tiles(name):
    data = (REALDATA / name).read_bytes()
    assert detect(data, name) == FILES[name]
    parsed = parse(data, Path(name).name)
    assert parsed.format == FILES[name]
    assert_tiles(parsed)
    assert "\r" not in parsed.text and "\ufeff" not in parsed.text
    for s in parsed.segments:
        assert s.start is None or s.end is None or s.end >= s.start
