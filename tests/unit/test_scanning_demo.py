"""scan_record over the demo collection: its sensitive terms are where its redactions say they are."""
import json
import re
from pathlib import Path

import pytest

from archive.scanning import Location, find_terms, scan_record, scan_record_identifiers
from archive.search.analysis import TOKEN_PATTERN, analyze_term

DEMO = Path(__file__).resolve().parents[2] / "archive" / "demo" / "demo-collection.json"
COLLECTION = json.loads(DEMO.read_text(encoding="utf-8"))
TESTIMONIES = {t["id"]: t for t in COLLECTION["testimonies"]}
RAQQA = next(a for a in COLLECTION["authorities"] if a["id"] == "place:raqqa")

# (transcript, segment seq, start, text): checked by hand against the demo's own span redactions
# (the same start and text) and its segments' text_start/text_end.
EXPECTED_TERMS = {
    "DEMO-2015-0001": [("en", 2, 1375, "Khaled Mansour"), ("en", 4, 2510, "Khaled Mansour")],
    "DEMO-2016-0002": [("ar", 2, 1008, "خالد الحسن"), ("ar", 3, 1813, "خالد الحَسَن")],
    "DEMO-2015-0003": [("en", 1, 689, "Faris Othman")],
    "DEMO-2015-0004": [("ar", None, 614, "ماهر الشيخ"), ("ar", None, 847, "@DEMO_handle_04")],
    "DEMO-2017-0005": [("en", 1, 1017, "Nabil Sarraf")],
    "DEMO-2016-0006": [("en", 1, 1426, "Bassel Kanaan"), ("en", 2, 1800, "Bassel Kanaan")],
    "DEMO-2018-0007": [],
    "DEMO-2016-0008": [("ar", 1, 401, "مراد قايا")],
    "DEMO-2017-0009": [("en", 2, 1537, "Yara Suleiman")],
    "DEMO-2017-0010": [("fr", 1, 1020, "Raad Younis")],
    "DEMO-2017-0011": [],
}


def test_the_demo_covers_every_testimony():
    assert set(EXPECTED_TERMS) == set(TESTIMONIES)


@pytest.mark.parametrize("accession", sorted(EXPECTED_TERMS))
def test_without_redactions_every_sensitive_term_of_the_demo_is_found_where_expected(accession):
    record = TESTIMONIES[accession]
    findings = scan_record(record, redactions=[])
    got = [(f.location.transcript, f.location.segment, f.occurrence.start, f.occurrence.matched_text)
           for f in findings]
    assert got == EXPECTED_TERMS[accession]
    for f in findings:
        text = next(tr["text"] for tr in record["transcripts"] if tr["id"] == f.location.transcript)
        assert text[f.occurrence.start:f.occurrence.end] == f.occurrence.matched_text


@pytest.mark.parametrize("accession", sorted(EXPECTED_TERMS))
def test_the_demo_redactions_hide_every_occurrence(accession):
    record = TESTIMONIES[accession]
    assert scan_record(record) == []
    assert scan_record(record, record["sensitive_terms"], record["redactions"]) == []


def test_each_expected_occurrence_is_one_of_the_demo_span_redactions():
    for accession, expected in EXPECTED_TERMS.items():
        spans = {(r["transcript"], r["start"], r["text"]) for r in TESTIMONIES[accession]["redactions"]
                 if r.get("transcript")}
        assert {(tr, start, text) for tr, _, start, text in expected} <= spans


def test_dropping_one_redaction_brings_back_exactly_its_occurrence():
    record = TESTIMONIES["DEMO-2016-0006"]
    kept = [r for r in record["redactions"] if r["start"] != 1800]
    (finding,) = scan_record(record, redactions=kept)
    assert finding.location == Location("text", "en", 2)
    assert (finding.occurrence.start, finding.occurrence.end) == (1800, 1813)


def test_a_field_redaction_hides_the_whole_field():
    record = TESTIMONIES["DEMO-2015-0001"]     # interview_place "Kilis, Turkey" is field-redacted
    open_ = scan_record(record, ["Kilis"], redactions=[])
    assert [(f.location, f.occurrence.matched_text) for f in open_] == [(Location("interview_place"), "Kilis")]
    assert scan_record(record, ["Kilis"]) == []


def test_raqqa_is_found_in_every_kind_of_text_of_a_record():
    record = TESTIMONIES["DEMO-2016-0002"]
    got = [(f.location, f.occurrence.start, f.occurrence.matched_text)
           for f in scan_record(record, [RAQQA], [])]
    assert got == [
        (Location("text", "ar", 0), 135, "الرَّقَّة"),
        (Location("text", "ar", 2), 1259, "الرقـــة"),
        (Location("text", "ar", 3), 2021, "الرقة"),
        (Location("title", "ar", 0), 10, "الرَّقَّة"),
        (Location("keywords", "ar", 0, 0), 0, "الرقة"),
        (Location("summary"), 10, "الرقة"),
        (Location("places", index=0), 6, "raqqa"),
    ]


def test_raqqa_counts_in_demo_transcripts_agree_with_the_search_analyser():
    # Independent count: the search index's own tokenizer and stemmer, token by token.
    keys = {analyze_term(w) for w in ("Raqqa", "Raqqah", "الرقة")}
    total = 0
    for record in COLLECTION["testimonies"]:
        for tr in record["transcripts"]:
            expected = sum(analyze_term(m.group()) in keys for m in re.finditer(TOKEN_PATTERN, tr["text"]))
            assert len(find_terms(tr["text"], [RAQQA])) == expected, record["id"]
            total += expected
    assert total == 8


def test_identifier_suggestions_in_the_demo_are_exactly_its_redacted_contacts_and_identifiers():
    got = {(a, s.location.transcript, s.suggestion.start, s.suggestion.text)
           for a, r in TESTIMONIES.items() for s in scan_record_identifiers(r, [])}
    redacted = {(a, r["transcript"], r["start"], r["text"]) for a, t in TESTIMONIES.items()
                for r in t["redactions"] if r["category"] in ("contact", "identifier")}
    assert got == redacted
    assert len(got) == 5
    assert all(scan_record_identifiers(r) == [] for r in TESTIMONIES.values())
