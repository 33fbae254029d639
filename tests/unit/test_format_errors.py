"""Every kind of bad input is refused with a message naming the file, the record and the field."""
from __future__ import annotations

import copy
import json

import pytest

from archive.errors import ValidationError
from archive.formats.json_format import load, parse_document
from tests.conftest import DEMO, EXAMPLE

BASE = json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _broken(change) -> dict:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def _t(data, n=0):
    return data["testimonies"][n]


CASES = {
    "wrong format": (lambda d: d.update(format="other/2"), None, "format", "unsupported format"),
    "missing title": (lambda d: _t(d).pop("title"), "OH-2015-0001", "title", "is required"),
    "month 13": (lambda d: _t(d).update(interview_date="2015-13"), "OH-2015-0001", "interview_date", "month 13"),
    "prose date": (lambda d: _t(d).update(interview_date="June 2015"), "OH-2015-0001", "interview_date",
                   "not an EDTF date"),
    "language": (lambda d: _t(d).update(languages=["English"]), "OH-2015-0001", "languages", "language code"),
    "duplicate id": (lambda d: _t(d, 1).update(id="OH-2015-0001"), "OH-2015-0001", "id", "duplicate"),
    "stale offsets": (lambda d: _t(d)["redactions"][0].update(start=386), "OH-2015-0001 redaction R-1", "start",
                      "no longer match"),
    "unknown field": (lambda d: _t(d)["redactions"][2].update(field="legal_name"), "OH-2015-0001 redaction R-3",
                      "field", "cannot be redacted"),
    "unknown permission": (lambda d: _t(d)["consent"]["permissions"].update(sing=True), "OH-2015-0001",
                           "consent.permissions", "unknown permission"),
    "unknown audience": (lambda d: _t(d)["redactions"][0].update(visible_to="everyone"),
                         "OH-2015-0001 redaction R-1", "visible_to", "unknown audience"),
    "segment backwards": (lambda d: _t(d)["transcripts"][0]["segments"][0].update(end=-1.0),
                          "OH-2015-0001 transcript en segment #1", "end", "before it starts"),
    "wrong type": (lambda d: _t(d).update(subjects="defection"), "OH-2015-0001", "subjects", "expected list"),
    "bad date": (lambda d: _t(d)["consent"].update(embargo_until="2030-02-30"), "OH-2015-0001",
                 "embargo_until", "not a date"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_names_where(name):
    change, record, field, words = CASES[name]
    with pytest.raises(ValidationError) as error:
        parse_document(_broken(change), "bad.json")
    assert error.value.file == "bad.json" and error.value.record == record and error.value.field == field
    assert words in str(error.value)


def test_the_shared_example_and_the_demo_parse_as_they_are():
    assert [t["id"] for t in load(EXAMPLE)["testimonies"]] == ["OH-2015-0001", "OH-2015-0002"]
    assert len(load(DEMO)["testimonies"]) == 11


def test_segments_without_offsets_get_contiguous_ranges_covering_the_text():
    transcript = load(EXAMPLE)["testimonies"][0]["transcripts"][0]
    segments = transcript["segments"]
    assert segments[0]["text_start"] == 0 and segments[-1]["text_end"] == len(transcript["text"])
    assert all(a["text_end"] == b["text_start"] for a, b in zip(segments, segments[1:]))
    assert all(transcript["text"][s["text_start"] - 1] == "\n" for s in segments[1:])


def test_malformed_json_and_bad_bytes(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "testimony-archive/1",\n "testimonies": [}')
    with pytest.raises(ValidationError, match="line 2, column"):
        load(broken)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"format": "testimony-archive/1", "x": "caf\xe9"}')
    with pytest.raises(ValidationError, match="not valid UTF-8 at byte 43"):
        load(latin)
    with pytest.raises(ValidationError, match="cannot read"):
        load(tmp_path / "missing.json")


def test_a_byte_order_mark_and_crlf_are_accepted(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace("\\n", "\\r\\n")
    path = tmp_path / "bom.json"
    path.write_bytes("\ufeff".encode("utf-8") + text.encode("utf-8"))
    transcript = load(path)["testimonies"][1]["transcripts"][0]["text"]
    assert "\r" not in transcript
