"""The demo's fictional recordings (archive/demo/voices.py): espeak-ng speaks a demo transcript,
each segment where the demo file times it, and each transcript redaction is silenced for every
audience that reads its replacement, while an archivist still hears it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.audience import Audience
from archive.demo import voices
from archive.identity import ANONYMOUS, SYSTEM, Identity
from tests.audio_samples import rms, samples
from tests.conftest import DEMO

ACCESSION = "DEMO-2015-0001"       # open, publish_audio, five timed segments, four transcript redactions
QUIET, SPEECH = 60, 300


@pytest.fixture(scope="module")
def document():
    data = json.loads(Path(DEMO).read_text(encoding="utf-8"))
    return data, next(t for t in data["testimonies"] if t["id"] == ACCESSION)


def heard(archive, identity, key: str):
    found = archive.media.audio(identity, key)
    return samples(Path(found["path"]).read_bytes())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_recording_is_synced_and_silenced_where_the_transcript_is_redacted(demo_archive, document):
    data, item = document
    added = voices.add_recordings(demo_archive, SYSTEM, {**data, "testimonies": [item]})
    assert added == 1
    view = demo_archive.testimonies.get(SYSTEM, ACCESSION)
    recording = next(m for m in view["media"] if m["kind"] == "audio")
    segments = item["transcripts"][0]["segments"]
    assert abs(recording["duration"] - segments[-1]["end"]) < 3

    placed = {p["redaction"]: p["confirmed"] for p in demo_archive.media.placements(SYSTEM, recording["id"])}
    spans = [r for r in item["redactions"] if "start" in r]
    assert {r["id"] for r in spans} <= set(placed)
    assert all(placed[r["id"]] and placed[r["id"]]["state"] == "approved" for r in spans)

    public = heard(demo_archive, ANONYMOUS, recording["id"])
    archivist = heard(demo_archive, Identity(Audience.ARCHIVIST), recording["id"])
    for segment in segments:       # each segment is spoken from where the transcript says it starts
        assert rms(archivist, segment["start"], segment["start"] + 2.5) > SPEECH, segment["title"]
    for r in spans:
        where = placed[r["id"]]
        inner = (where["start"] + voices.MARGIN, where["end"] - voices.MARGIN)
        assert rms(archivist, *inner) > SPEECH, r["text"]        # the archivist hears the name
        assert rms(public, *inner) < QUIET, r["text"]            # the public hears nothing there
        # ...and hears the words around it
        assert rms(public, where["start"] - 3, where["start"]) > SPEECH, r["text"]


def test_pieces_cut_a_segment_at_its_redactions():
    text = "My colleague Khaled Mansour gave me a number."
    start = text.index("Khaled")
    pieces = voices._pieces(text, 0, len(text), [(start, start + len("Khaled Mansour"), "R-1")])
    assert pieces == [("My colleague ", None), ("Khaled Mansour", "R-1"), (" gave me a number.", None)]
    # a redaction that crosses the segment's end belongs to no piece of it
    assert voices._pieces(text, 0, start + 3, [(start, start + 14, "R-1")]) == [("My colleague Kha", None)]
