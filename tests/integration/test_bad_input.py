"""Bad input, on SQLite and PostgreSQL: numbers out of range, deep nesting, control characters and
oversized files are refused with one plain message naming what and where, before anything is
written; a CSV row the database refuses is reported and the rows after it are still imported;
what is accepted is read in time proportional to its size."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from archive import model
from archive.audience import Audience
from archive.errors import ValidationError
from archive.formats import csv_format, json_format
from archive.identity import SYSTEM, Identity
from archive.intake import limits, parse
from archive.services.intake import IntakeService
from tests.conftest import EXAMPLE
from tests.integration.test_cli import cli, instance  # noqa: F401  (fixtures)

ARCHIVIST = Identity(Audience.ARCHIVIST, username="archivist")
EXAMPLE_DATA = json.loads(EXAMPLE.read_text(encoding="utf-8"))


def example() -> dict:
    return copy.deepcopy(EXAMPLE_DATA)


def count_testimonies(archive) -> int:
    with archive.db.session() as session:
        return session.scalar(select(func.count()).select_from(model.Testimony))


def refused_json(archive, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        archive.intake.import_json(ARCHIVIST, data, "bad.json")
    assert count_testimonies(archive) == 0
    assert info.value.file == "bad.json"
    return info.value


def set_path(data: dict, path: tuple, value) -> dict:
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


# -- numbers ---------------------------------------------------------------------------------

T = ("testimonies", 0)
SEGMENT = (*T, "transcripts", 0, "segments", 0)


@pytest.mark.parametrize("path, raw, field", [
    ((*T, "duration"), "1" + "0" * 400, "duration"),
    ((*T, "duration"), "1e400", "duration"),
    ((*T, "duration"), "-5", "duration"),
    ((*T, "narrators", 0, "birth_year"), "1" + "0" * 40, "birth_year"),
    ((*T, "narrators", 0, "birth_year"), "99999", "birth_year"),
    ((*SEGMENT, "start"), "1e300", "start"),
    ((*SEGMENT, "end"), "1" + "0" * 400, "end"),
    ((*SEGMENT, "start"), "-1", "start"),
    ((*SEGMENT, "text_start"), "1" + "0" * 30, "text_start"),
])
def test_a_number_out_of_range_is_refused_with_its_field_named(archive, path, raw, field):
    # The raw number is spliced into the text: json.dumps cannot write 10**400 as a float.
    text = json.dumps(set_path(example(), path, "@NUMBER@")).replace('"@NUMBER@"', raw)
    error = refused_json(archive, text.encode())
    assert error.field == field, str(error)
    assert "between" in error.message or "at most" in error.message or "not a" in error.message, str(error)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_not_numbers(archive, constant):
    text = json.dumps(set_path(example(), (*T, "duration"), "@N@")).replace('"@N@"', constant)
    error = refused_json(archive, text.encode())
    assert constant in error.message


def test_the_cli_says_which_field_is_out_of_range_without_a_traceback(cli, tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(set_path(example(), (*T, "duration"), "@N@")).replace('"@N@"', "1" + "0" * 400))
    out = cli("import", path, expect=1)
    assert "field duration" in out and "OH-2015-0001" in out


@pytest.mark.parametrize("path, width, field", [
    ((*T, "title"), 500, "title"),
    ((*T, "interview_place"), 300, "interview_place"),
    ((*T, "narrators", 0, "public_name"), 200, "public_name"),
    ((*T, "narrators", 0, "role"), 80, "role"),
    ((*T, "transcripts", 0, "id"), 40, "id"),
    ((*SEGMENT, "title"), 500, "title"),
    (("collections", 0, "title"), 300, "title"),
])
def test_text_longer_than_its_column_is_refused_with_its_field_named(archive, path, width, field):
    # PostgreSQL refuses it with a traceback mid-import; SQLite would keep it: both now refuse it first.
    error = refused_json(archive, json.dumps(set_path(example(), path, "x" * (width + 1))).encode())
    assert error.field == field and f"over the {width} allowed" in error.message, str(error)


def test_a_database_refusal_the_checks_missed_is_one_plain_line_in_the_cli(instance, tmp_path):
    # Whatever validation misses, the operator gets what failed and what to do, not a traceback.
    import os
    import subprocess
    import textwrap
    from tests.integration.test_cli import PYTHON
    from tests.conftest import ROOT
    script = textwrap.dedent(f"""
        import sys
        from sqlalchemy.exc import DataError
        from archive.services.transfer import TransferService
        def refuse(self, *args, **kwargs):
            raise DataError("INSERT INTO testimonies ...", {{}}, Exception("value too long for type character varying(500)"))
        TransferService.import_document = refuse
        from app.cli import main
        sys.argv = ["python -m app", "import", {str(EXAMPLE)!r}]
        main()
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env.update(ARCHIVE_INSTANCE_PATH=str(instance), COLUMNS="1000", NO_COLOR="1")
    done = subprocess.run([str(PYTHON), "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output, output
    assert "the database refused" in output and "character varying(500)" in output
    assert "INSERT" not in output


# -- nesting ---------------------------------------------------------------------------------

def test_json_nested_deeper_than_the_limit_is_refused_before_parsing(archive, tmp_path):
    deep = b'{"format": "testimony-archive/1", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    error = refused_json(archive, deep)
    assert f"nested more than {limits.MAX_JSON_DEPTH} deep" in error.message
    path = tmp_path / "deep.json"
    path.write_bytes(deep)
    with pytest.raises(ValidationError, match="nested more than"):
        json_format.load(path)
    # Brackets inside strings are text, not nesting.
    fine = example()
    fine["testimonies"][0]["summary"] = "[" * 1000 + '{"\\"' + "]"
    json_format.parse_document(json_format.loads(json.dumps(fine).encode(), "ok.json"), "ok.json")


def test_the_cli_refuses_deep_nesting_without_a_traceback(cli, tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b"{" + b'"a":{' * 100_000 + b"}" * 100_001)
    out = cli("import", path, expect=1)
    assert "nested more than" in out


# -- control characters ----------------------------------------------------------------------

@pytest.mark.parametrize("path, field", [
    ((*T, "title"), "title"),
    ((*T, "transcripts", 0, "text"), "text"),
    ((*T, "narrators", 0, "legal_name"), "legal_name"),
    ((*T, "subjects", 0), "subjects"),
    ((*SEGMENT, "title"), "title"),
])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_json_text_with_a_control_character_is_refused_on_both_databases(archive, path, field, char):
    data = example()
    set_path(data, path, "before" + char + "after")
    error = refused_json(archive, json.dumps(data).encode())
    assert error.field == field and f"U+{ord(char):04X}" in error.message, str(error)
    assert "OH-2015-0001" in (error.record or ""), str(error)


def test_json_tabs_and_line_breaks_are_text(archive):
    data = example()
    data["testimonies"][0]["summary"] = "one\ttwo\nthree\r\nfour"
    archive.intake.import_json(ARCHIVIST, json.dumps(data).encode(), "ok.json")
    assert count_testimonies(archive) == len(data["testimonies"])


CSV_WITH_CONTROLS = ("accession_id,title,summary,narrator_public_name\n"
                     "C-1,First,fine,\n"
                     "C-2,Second,has a NUL\x00here,\n"
                     "C-3,Third,fine,Abu\x01Sami\n"
                     "C-4,Fourth,tab\tis fine,\n").encode()


def test_a_csv_cell_with_a_control_character_refuses_its_row_only_on_both_databases(archive):
    report = archive.intake.import_csv(ARCHIVIST, CSV_WITH_CONTROLS, "controls.csv")
    rows = [(r["line"], r["accession_id"], r["status"], r.get("field")) for r in report["rows"]]
    assert rows == [(2, "C-1", "created", None), (3, "C-2", "error", "summary"),
                    (4, "C-3", "error", "narrator_public_name"), (5, "C-4", "created", None)]
    assert "U+0000" in report["rows"][1]["error"] and "U+0001" in report["rows"][2]["error"]
    assert count_testimonies(archive) == 2


def test_a_row_the_database_refuses_is_reported_and_later_rows_are_imported(archive, monkeypatch):
    real = IntakeService._apply_row

    def apply(self, session, identity, plan, row, filename):
        real(self, session, identity, plan, row, filename)
        if row.accession_id == "D-2":
            raise DataError("INSERT ...", {}, Exception("value out of range for type integer"))

    monkeypatch.setattr(IntakeService, "_apply_row", apply)
    data = b"accession_id,title\nD-1,One\nD-2,Two\nD-3,Three\n"
    report = archive.intake.import_csv(ARCHIVIST, data, "db.csv")
    assert [r["status"] for r in report["rows"]] == ["created", "error", "created"]
    assert "the database refused this row" in report["rows"][1]["error"]
    assert "INSERT" not in report["rows"][1]["error"]
    assert count_testimonies(archive) == 2


@pytest.mark.parametrize("column, value", [
    ("duration", "1" + "0" * 400), ("duration", "1e12"), ("narrator_birth_year", "1" + "0" * 40),
])
def test_csv_numbers_out_of_range_refuse_their_row(archive, column, value):
    data = f"accession_id,title,narrator_public_name,{column}\nN-1,One,A,{value}\nN-2,Two,B,\n".encode()
    report = archive.intake.import_csv(ARCHIVIST, data, "n.csv")
    assert [(r["status"], r.get("field")) for r in report["rows"]] == [("error", column), ("created", None)]


def test_the_cli_reports_every_csv_row_without_a_traceback(cli, tmp_path):
    path = tmp_path / "controls.csv"
    path.write_bytes(CSV_WITH_CONTROLS)
    out = cli("import", path, expect=1)
    assert "2 of 4 rows were refused (lines 3, 4)" in out and "U+0000" in out


# -- intake limits ---------------------------------------------------------------------------

def test_a_csv_file_over_the_row_limit_is_refused_at_once(archive, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CSV_ROWS", 3)
    data = b"accession_id,title\n" + b"".join(b"R-%d,T\n" % i for i in range(4))
    with pytest.raises(ValidationError, match="over the limit of 3 rows"):
        archive.intake.import_csv(ARCHIVIST, data, "many.csv")
    assert count_testimonies(archive) == 0


def vtt(cues: int) -> bytes:
    lines = ["WEBVTT", ""]
    for i in range(cues):
        lines += [f"00:{i // 60 % 60:02d}:{i % 60:02d}.000 --> 00:{i // 60 % 60:02d}:{i % 60:02d}.500",
                  f"words {i}", ""]
    return "\n".join(lines).encode()


def test_transcript_limits_are_named_when_exceeded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CUES", 10)
    with pytest.raises(ValidationError, match="11 cues, over the limit of 10"):
        parse(vtt(11), "many.vtt")
    parse(vtt(10), "ten.vtt")
    monkeypatch.setattr(limits, "MAX_CHARACTERS", 1000)
    with pytest.raises(ValidationError, match="over the limit of 1,000 characters"):
        parse(b"word " * 201, "long.txt")
    monkeypatch.setattr(limits, "MAX_SEGMENTS", 5)
    marks = "".join(f"[00:00:{i:02d}] words\n" for i in range(6)).encode()
    with pytest.raises(ValidationError, match="6 segments, over the limit of 5"):
        parse(marks, "marks.txt")


def test_json_transcripts_obey_the_same_limits(archive, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SEGMENTS", 1)
    error = refused_json(archive, json.dumps(example()).encode())
    assert "over the limit of 1 segments" in error.message and error.field == "segments"


def test_the_limits_are_stated_in_the_readme():
    from tests.conftest import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for value in (limits.MAX_CUES, limits.MAX_SEGMENTS, limits.MAX_CHARACTERS, limits.MAX_CSV_ROWS,
                  limits.MAX_JSON_DEPTH):
        assert f"{value:,}" in readme, value


# -- linear time: measured by bench/linearity.py (timed runs belong in bench/, not in the suite) --------

def test_a_csv_control_character_scan_leaves_ordinary_cells_alone():
    rows = csv_format.read(b"accession_id,summary\nA,caf\xc3\xa9 \xd8\xb9\xd9\x85\xd8\xb1\n", "ok.csv")
    assert rows[0].error is None and rows[0].values["summary"] == "café عمر"


def test_files_over_the_real_limits_are_refused_at_once(archive):
    # At full scale (100,001 cues; 5,000,001 characters), counted before any parser builds anything.
    archive.intake.import_csv(ARCHIVIST, b"accession_id,title\nBIG-1,Big\n", "one.csv")
    cue = b"00:00.000 --> 00:01.000\nx\n\n"
    for name, data, words in (
            ("many.vtt", b"WEBVTT\n\n" + cue * (limits.MAX_CUES + 1), f"over the limit of {limits.MAX_CUES:,} cues"),
            ("long.txt", b"w" * (limits.MAX_CHARACTERS + 1), f"over the limit of {limits.MAX_CHARACTERS:,} characters")):
        with pytest.raises(ValidationError, match=words):
            archive.intake.add_transcript(ARCHIVIST, "BIG-1", data, name, language="en")
