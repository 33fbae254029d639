"""The archive's JSON format: the shared files parse, and every error says file, record and field."""
from __future__ import annotations

import copy
import json

import pytest

from archive.errors import ValidationError
from archive.formats import json_format
from tests.conftest import DEMO, EXAMPLE

EXAMPLE_DATA = json.loads(EXAMPLE.read_text(encoding="utf-8"))


def example() -> dict:
    return copy.deepcopy(EXAMPLE_DATA)


def first(data: dict) -> dict:
    return data["testimonies"][0]


def refused(data, tmp_path, name="input.json") -> ValidationError:
    """Write `data` to a file, load it, and return the error (failing if there is none)."""
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        json_format.load(path)
    error = info.value
    assert error.file == str(path)
    assert str(path) in str(error)
    return error


def assert_where(error: ValidationError, record: str | None, field: str | None, *words: str):
    assert error.record == record, str(error)
    assert error.field == field, str(error)
    message = str(error)
    if record:
        assert f"record {record}" in message
    if field:
        assert f"field {field}" in message
    for word in words:
        assert word in message, message


# -- the shared files ------------------------------------------------------------------------------

def test_the_example_parses_as_it_is():
    document = json_format.load(EXAMPLE)
    assert [t["id"] for t in document["testimonies"]] == ["OH-2015-0001", "OH-2015-0002"]
    one = document["testimonies"][0]
    assert one["consent"]["status"] == "granted" and one["consent"]["scope"] == "open"
    assert [r["id"] for r in one["redactions"]] == ["R-1", "R-2", "R-3"]
    assert one["narrators"][0]["legal_name"] == "EXAMPLE-LEGAL-NAME-1"
    two = document["testimonies"][1]
    assert str(two["consent"]["embargo_until"]) == "2030-01-01"
    assert two["interview_date"] == "2015?"
    assert {a["id"] for a in document["authorities"]} == {"place:raqqa", "place:tel-abyad", "place:jarabulus"}


def test_the_demo_collection_parses_as_it_is():
    document = json_format.load(DEMO)
    assert len(document["testimonies"]) == 11
    languages = {lang for t in document["testimonies"] for lang in t["languages"]}
    assert {"en", "ar", "fr"} <= languages
    assert {t["consent"]["status"] for t in document["testimonies"]} == {"pending", "granted", "withdrawn"}


def test_the_example_segments_get_contiguous_ranges_covering_the_text():
    transcript = json_format.load(EXAMPLE)["testimonies"][0]["transcripts"][0]
    text, segments = transcript["text"], transcript["segments"]
    assert len(segments) == 3
    assert segments[0]["text_start"] == 0
    for before, after in zip(segments, segments[1:]):
        assert before["text_end"] == after["text_start"]
        assert before["text_start"] < before["text_end"]
        assert text[after["text_start"] - 1] == "\n"         # segments begin at a line
    assert segments[-1]["text_end"] == len(text)
    assert "".join(text[s["text_start"]:s["text_end"]] for s in segments) == text
    # the timecodes still belong to their segments, and the text follows time
    assert [(s["start"], s["end"]) for s in segments] == [(0.0, 62.5), (62.5, 181.0), (181.0, 240.0)]
    assert "Khaled Haddad" in text[segments[1]["text_start"]:segments[1]["text_end"]]
    assert "Suluk" in text[segments[2]["text_start"]:segments[2]["text_end"]]


def test_explicit_segment_offsets_are_kept():
    data = example()
    tr = first(data)["transcripts"][0]
    for s, at in zip(tr["segments"], (0, 10, 20)):
        s["text_start"] = at
    segments = json_format.parse_document(data)["testimonies"][0]["transcripts"][0]["segments"]
    assert [(s["text_start"], s["text_end"]) for s in segments] == [(0, 10), (10, 20), (20, len(tr["text"]))]


def test_explicit_segment_offsets_out_of_order_are_refused(tmp_path):
    data = example()
    for s, at in zip(first(data)["transcripts"][0]["segments"], (0, 30, 20)):
        s["text_start"] = at
    assert_where(refused(data, tmp_path), "OH-2015-0001", "segments")


# -- file-level errors -------------------------------------------------------------------------------

def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "testimony-archive/1",\n  "testimonies": [\n    {"id": "X",}\n  ]\n}\n',
                    encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        json_format.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 4" in message and "column 16" in message, message


def test_invalid_utf8_names_the_file_and_byte(tmp_path):
    path = tmp_path / "latin1.json"
    raw = '{"format": "testimony-archive/1", "collections": [{"id": "c", "title": "Caf'.encode() + b"\xe9" + b'"}]}'
    path.write_bytes(raw)
    with pytest.raises(ValidationError) as info:
        json_format.load(path)
    message = str(info.value)
    assert str(path) in message and "UTF-8" in message
    bad_byte = raw.index(b"\xe9")
    assert f"byte {bad_byte}" in message


def test_a_missing_file_is_a_validation_error(tmp_path):
    with pytest.raises(ValidationError) as info:
        json_format.load(tmp_path / "nowhere.json")
    assert "nowhere.json" in str(info.value)


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(tmp_path):
    path = tmp_path / "windows.json"
    text = json.dumps(EXAMPLE_DATA, ensure_ascii=False)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert len(json_format.load(path)["testimonies"]) == 2


@pytest.mark.parametrize("value", ["testimony-archive/2", "ohms", ""])
def test_the_wrong_format_string_is_refused(tmp_path, value):
    data = example()
    data["format"] = value
    error = refused(data, tmp_path)
    assert_where(error, None, "format")


def test_a_missing_format_is_refused(tmp_path):
    data = example()
    del data["format"]
    assert_where(refused(data, tmp_path), None, "format", "required")


def test_the_top_level_must_be_an_object(tmp_path):
    error = refused([EXAMPLE_DATA], tmp_path)
    assert "object" in str(error)


# -- record-level errors -----------------------------------------------------------------------------

def test_a_missing_title_names_the_testimony(tmp_path):
    data = example()
    del data["testimonies"][1]["title"]
    assert_where(refused(data, tmp_path), "OH-2015-0002", "title", "required")


def test_an_empty_title_is_refused(tmp_path):
    data = example()
    first(data)["title"] = "   "
    assert_where(refused(data, tmp_path), "OH-2015-0001", "title")


@pytest.mark.parametrize("date", ["2015-13", "June 2015", "2015-02-30", "2016/2015"])
def test_a_bad_interview_date_names_the_field(tmp_path, date):
    data = example()
    first(data)["interview_date"] = date
    error = refused(data, tmp_path)
    assert_where(error, "OH-2015-0001", "interview_date")
    assert date in str(error)


@pytest.mark.parametrize("language", ["english", "EN", "e", "en_GB", ""])
def test_a_bad_language_code_names_the_field(tmp_path, language):
    data = example()
    first(data)["languages"] = ["en", language]
    error = refused(data, tmp_path)
    assert_where(error, "OH-2015-0001", "languages")
    assert repr(language) in str(error)


def test_a_duplicate_accession_id_in_the_file(tmp_path):
    data = example()
    data["testimonies"][1]["id"] = "OH-2015-0001"
    assert_where(refused(data, tmp_path), "OH-2015-0001", "id", "duplicate")


def test_a_bad_accession_id(tmp_path):
    data = example()
    first(data)["id"] = "OH 2015/0001"
    assert_where(refused(data, tmp_path), "OH 2015/0001", "id")


def test_a_testimony_without_id_is_named_by_position(tmp_path):
    data = example()
    del data["testimonies"][1]["id"]
    assert_where(refused(data, tmp_path), "testimony #2", "id", "required")


def test_span_offsets_that_do_not_match_their_text(tmp_path):
    data = example()
    first(data)["redactions"][0]["start"] += 1
    first(data)["redactions"][0]["end"] += 1
    error = refused(data, tmp_path)
    assert_where(error, "OH-2015-0001 redaction R-1", "start", "Khaled Haddad")


def test_span_text_that_does_not_match_the_offsets(tmp_path):
    data = example()
    first(data)["redactions"][1]["text"] = "the farm near Sulik"
    assert_where(refused(data, tmp_path), "OH-2015-0001 redaction R-2", "start", "no longer match")


def test_a_span_outside_the_text(tmp_path):
    data = example()
    red = data["testimonies"][1]["redactions"][0]
    red["start"], red["end"] = 5000, 5010
    assert_where(refused(data, tmp_path), "OH-2015-0002 redaction R-4", "start", "outside")


def test_a_span_without_its_text_is_refused(tmp_path):
    data = example()
    del first(data)["redactions"][0]["text"]
    assert_where(refused(data, tmp_path), "OH-2015-0001 redaction R-1", "start")


def test_a_span_naming_a_missing_transcript(tmp_path):
    data = example()
    first(data)["redactions"][0]["transcript"] = "fr"
    assert_where(refused(data, tmp_path), "OH-2015-0001 redaction R-1", "transcript", "'fr'")


@pytest.mark.parametrize("field", ["legal_name", "narrators", "consent", "state", "nonsense"])
def test_an_unknown_redaction_field(tmp_path, field):
    data = example()
    first(data)["redactions"][2]["field"] = field
    error = refused(data, tmp_path)
    assert_where(error, "OH-2015-0001 redaction R-3", "field", repr(field))


def test_a_redaction_naming_both_field_and_transcript(tmp_path):
    data = example()
    first(data)["redactions"][2]["transcript"] = "en"
    assert_where(refused(data, tmp_path), "OH-2015-0001 redaction R-3", "field")


def test_an_unknown_permission(tmp_path):
    data = example()
    first(data)["consent"]["permissions"]["publish_everything"] = True
    error = refused(data, tmp_path)
    assert_where(error, "OH-2015-0001", "consent.permissions", "publish_everything")


def test_a_permission_that_is_not_a_boolean(tmp_path):
    data = example()
    first(data)["consent"]["permissions"]["quote"] = "yes"
    assert_where(refused(data, tmp_path), "OH-2015-0001", "consent.permissions", "quote")


@pytest.mark.parametrize("value", ["everyone", "staff", "archivists", ""])
def test_visible_to_an_unknown_audience(tmp_path, value):
    data = example()
    first(data)["redactions"][0]["visible_to"] = value
    assert_where(refused(data, tmp_path), "OH-2015-0001 redaction R-1", "visible_to")


def test_an_unknown_consent_status_or_scope(tmp_path):
    data = example()
    first(data)["consent"]["status"] = "maybe"
    assert_where(refused(data, tmp_path), "OH-2015-0001", "status", "maybe")
    data = example()
    first(data)["consent"]["scope"] = "friends"
    assert_where(refused(data, tmp_path), "OH-2015-0001", "scope", "friends")


def test_a_consent_scope_written_as_archive_only_is_accepted():
    data = example()
    first(data)["consent"]["scope"] = "archive only"
    assert json_format.parse_document(data)["testimonies"][0]["consent"]["scope"] == "archive"


def test_a_bad_embargo_date(tmp_path):
    data = example()
    data["testimonies"][1]["consent"]["embargo_until"] = "2030"
    assert_where(refused(data, tmp_path), "OH-2015-0002", "embargo_until")


def test_an_unknown_workflow_state(tmp_path):
    data = example()
    first(data)["state"] = "live"
    assert_where(refused(data, tmp_path), "OH-2015-0001", "state")


def test_a_segment_that_ends_before_it_starts(tmp_path):
    data = example()
    segment = first(data)["transcripts"][0]["segments"][1]
    segment["start"], segment["end"] = 100.0, 90.0
    error = refused(data, tmp_path)
    assert_where(error, "OH-2015-0001 transcript en segment #2", "end")
    assert "before it starts" in str(error)


def test_a_narrator_without_public_name(tmp_path):
    data = example()
    del first(data)["narrators"][0]["public_name"]
    assert_where(refused(data, tmp_path), "OH-2015-0001 narrator #1", "public_name")


def test_a_wrongly_typed_field(tmp_path):
    data = example()
    first(data)["subjects"] = "defection"
    assert_where(refused(data, tmp_path), "OH-2015-0001", "subjects", "list")
    data = example()
    first(data)["narrators"][0]["birth_year"] = True
    assert_where(refused(data, tmp_path), "OH-2015-0001 narrator #1", "birth_year")


def test_a_duplicate_collection_id(tmp_path):
    data = example()
    data["collections"].append(dict(data["collections"][0]))
    assert_where(refused(data, tmp_path), "leaving-raqqa", "id", "duplicate")


def test_a_collection_without_title(tmp_path):
    data = example()
    del data["collections"][0]["title"]
    assert_where(refused(data, tmp_path), "collection #1", "title")


def test_parse_document_without_a_file_names_the_input():
    data = example()
    first(data)["interview_date"] = "June 2015"
    with pytest.raises(ValidationError) as info:
        json_format.parse_document(data)
    assert info.value.file == "<input>"
    assert info.value.record == "OH-2015-0001" and info.value.field == "interview_date"


def test_a_subject_with_a_comma_is_refused_naming_the_record_and_field():
    import copy
    import json

    from archive.errors import ValidationError
    from archive.formats.json_format import parse_document
    from tests.conftest import DEMO

    document = json.loads(DEMO.read_text(encoding="utf-8"))
    broken = copy.deepcopy(document)
    broken["testimonies"][0]["subjects"].append("Duarte, Ronald, 1930-")
    try:
        parse_document(broken, "demo.json")
    except ValidationError as exc:
        assert exc.field == "subjects" and exc.record == broken["testimonies"][0]["id"]
        assert "contains a comma" in exc.message and "keywords" in exc.message
    else:
        raise AssertionError("a subject with a comma was accepted")
