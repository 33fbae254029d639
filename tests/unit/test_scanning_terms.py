"""find_terms: spellings, scripts, clitics, whole words, offsets into the original text, redactions."""
import unicodedata
from types import SimpleNamespace

import pytest

from archive.scanning import Term, compile_terms, find_terms
from archive.scanning.offsets import fold
from archive.search.analysis import normalize

RAQQA = {"term": "Raqqa", "variants": ["Al-Raqqa", "Al-Raqqah", "ar-Raqqah", "Rakka", "الرقة", "الرَّقَّة"],
         "category": "place"}


def spans(text, terms, **kw):
    found = find_terms(text, terms, **kw)
    for o in found:
        assert text[o.start:o.end] == o.matched_text
    return [(o.start, o.matched_text) for o in found]


@pytest.mark.parametrize("written", [
    "Raqqa", "raqqa", "RAQQA", "Al-Raqqa", "al-Raqqah", "ar-Raqqa", "Ar-Raqqah", "Al Raqqa", "ar’Raqqa",
    "Rakka", "الرقة", "الرَّقَّة", "الرقـــة", "بالرقة", "والرقة", "وبالرقة", "للرقة", "فالرقة", "الرقه",
])
def test_every_spelling_and_script_of_raqqa_is_found_whole(written):
    text = f"He left {written}, then Kilis."
    assert spans(text, [RAQQA]) == [(8, written)]


@pytest.mark.parametrize("written", ["Raqqawi", "فرقة", "الرقتين", "xRaqqa", "Raqqa1"])
def test_longer_words_and_lookalikes_are_not_raqqa(written):
    assert find_terms(f"a {written} b", [RAQQA]) == []


@pytest.mark.parametrize("written", ["Raqqas", "ورقة", "رقة"])
def test_words_search_reads_as_raqqa_are_flagged(written):
    # Porter reads "Raqqas" as "raqqa"; light10 reads "ورقة" (paper) and a bare "رقة" as "الرقة":
    # public search for Raqqa would find them, so the scanner must flag them.
    assert [o.matched_text for o in find_terms(f"a {written} b", [RAQQA])] == [written]


def test_a_bare_term_takes_clitics_and_the_article_but_a_definite_one_keeps_its_article():
    text = "رقة ورقة والرقة بالرقة للرقة"
    assert [m for _, m in spans(text, ["رقة"])] == ["رقة", "ورقة", "والرقة", "بالرقة", "للرقة"]
    # The definite term keeps its article ("فرقة", a band, is not it), but light10 search reads a
    # bare "رقة" and "ورقة" as "الرقة", so those are flagged too.
    assert [m for _, m in spans(text, ["الرقة"])] == ["رقة", "ورقة", "والرقة", "بالرقة", "للرقة"]
    assert spans("فرقة", ["الرقة"]) == []


def test_every_word_of_an_arabic_name_takes_clitics():
    text = "وخالد الحسن و خالد حسن و خالد والحسن و عبدالله و وخالد وحداد"
    found = spans(text, ["خالد الحسن", "عبد الله", "خالد حداد"])
    assert [m for _, m in found] == ["وخالد الحسن", "خالد حسن", "خالد والحسن", "عبدالله", "وخالد وحداد"]


def test_offsets_count_code_points_of_the_original_text_through_diacritics_and_decomposed_accents():
    decomposed = unicodedata.normalize("NFD", "Idoméni")
    text = f"«الرَّقَّةُ» {decomposed} and Ido\u0301meni, ÉIDOMENI"
    terms = [RAQQA, {"term": "Idomeni", "variants": ["Eidomeni"]}]
    found = find_terms(text, terms)
    assert [(o.start, o.end) for o in found] == [(1, 11), (13, 21), (26, 34), (36, 44)]
    assert [o.matched_text for o in found] == ["الرَّقَّةُ", decomposed, "Ido\u0301meni", "ÉIDOMENI"]
    # The final damma stays inside the span: cutting it off would split the letter from its mark.
    assert found[0].matched_text.endswith("\u064f")


def test_expanding_folds_map_back_to_the_whole_character():
    text = "Straße and İzmir and ﬁlm"
    found = find_terms(text, ["strasse", "izmir", "film"])
    assert [o.matched_text for o in found] == ["Straße", "İzmir", "ﬁlm"]


def test_multi_word_terms_match_across_any_separator_or_none():
    text = "Khaled\r\n   Mansour and Khaled\tMansur and Khaled\u00a0Mansour, and KhaledMansour"
    found = find_terms(text, [{"term": "Khaled Mansour", "variants": ["Khaled Mansur"]}])
    assert [o.matched_text for o in found] == ["Khaled\r\n   Mansour", "Khaled\tMansur", "Khaled\u00a0Mansour",
                                               "KhaledMansour"]
    assert [o.variant for o in found] == ["Khaled Mansour", "Khaled Mansur", "Khaled Mansour", "Khaled Mansour"]


def test_occurrences_carry_their_term_key_variant_and_category():
    (o,) = find_terms("… in بالرقة …", [RAQQA])
    assert (o.term_key, o.variant, o.category) == ("Raqqa", "الرقة", "place")


def test_apostrophes_and_accents_fold_across_typography():
    text = "Ra’ad Younes, Raad Yunis, RA'AD YOUNÈS"
    found = find_terms(text, [{"term": "Raad Younis", "variants": ["Raad Yunis", "Ra'ad Younes"]}])
    assert [o.matched_text for o in found] == ["Ra’ad Younes", "Raad Yunis", "RA'AD YOUNÈS"]


def test_a_term_inside_another_is_reported_for_each_term_once():
    text = "Khaled Mansour met al-Raqqa"
    found = find_terms(text, ["Khaled Mansour", "Mansour", RAQQA])
    assert [(o.term_key, o.matched_text) for o in found] == [
        ("Khaled Mansour", "Khaled Mansour"), ("Mansour", "Mansour"), ("Raqqa", "al-Raqqa")]


def test_handles_and_punctuated_terms_match_literally():
    text = "اسمه @DEMO_handle_04، و DEMO_handle_04x و demo_handle_04"
    found = find_terms(text, [{"term": "@DEMO_handle_04", "variants": ["DEMO_handle_04"]}])
    assert [o.matched_text for o in found] == ["@DEMO_handle_04", "demo_handle_04"]


def test_occurrences_inside_a_redaction_are_left_out_and_partial_overlaps_are_flagged():
    text = "Khaled Mansour, Khaled Mansour, Khaled Mansour and Khaled Mansour."
    #       0              16              32              51
    found = find_terms(text, ["Khaled Mansour"], redacted=[(0, 14), (16, 22), (40, 46), (51, 57), (57, 65)])
    # 0..14 exact and 51..65 covered by two adjacent spans are hidden; 16..22 hides only "Khaled",
    # 40..46 only "Mansour": the rest of the name still shows.
    assert [(o.start, o.partly_redacted) for o in found] == [(16, True), (32, True)]


def test_terms_accept_model_rows_dicts_terms_and_strings():
    row = SimpleNamespace(term="Faris Othman", variants=["Fares Othman"], category="person")
    authority = SimpleNamespace(label="Manbij", variants=["منبج"], type="place", key="place:manbij")
    text = "Fares Othman went to منبج; Nabil too; Omar."
    found = find_terms(text, [row, authority, {"term": "Nabil", "variants": None}, Term("Omar"), ""])
    assert [(o.term_key, o.category) for o in found] == [
        ("Faris Othman", "person"), ("Manbij", "place"), ("Nabil", "other"), ("Omar", "other")]


def test_no_terms_and_empty_text_find_nothing():
    assert find_terms("Raqqa", []) == []
    assert find_terms("", [RAQQA]) == []
    assert find_terms("Raqqa", ["   "]) == []


def test_a_compiled_term_set_is_reusable():
    compiled = compile_terms([RAQQA])
    assert compiled is compile_terms(compiled)
    assert [o.start for o in compiled.find("Raqqa, الرقة", redacted=[(0, 5)])] == [7]


@pytest.mark.parametrize("text", [
    "الرَّقَّةُ وبالرقـــة", "Ido\u0301meni ÉTÉ Straße", "plain ascii", "ﻻ ٱلله ـ", "\u0301leading mark", "x\u0640\u064e",
])
def test_folding_equals_the_search_normalisation_and_maps_every_character(text):
    folded = fold(text)
    assert folded.text == normalize(text)
    assert len(folded.starts) == len(folded.ends) == len(folded.text)
    assert all(0 <= s < e <= len(text) for s, e in zip(folded.starts, folded.ends))
    assert list(folded.starts) == sorted(folded.starts)
