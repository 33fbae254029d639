"""OHMS in and out (issue 14): index-only files keep their index; what OHMS carries is kept."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.audience import Audience
from archive.identity import SYSTEM, Identity

OHMS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "scihist_digicoll" / "ohms_xml"
ARCHIVIST = Identity(Audience.ARCHIVIST, username="archivist")


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
