"""Translations (issue 14): a transcript linked to the one it translates, read beside it, and the
publication gate: a translation reaches no reader while a span redacted in its original has no
counterpart redaction in the translation's paired segment(s). Tried at the import and form doors and
in the views (a redaction proposed after publication withholds the translation at once)."""
from __future__ import annotations

import pytest

from archive.errors import ValidationError
from archive.identity import ANONYMOUS, SYSTEM, for_role
from tests.translation_fixtures import ACCESSION, CANARY, DISGUISED, SK_0, SK_1, document, write

ANN = for_role("archivist", 2, "ann")


def public_view(archive):
    return archive.testimonies.get(ANONYMOUS, ACCESSION)


def _anonymous():
    return ANONYMOUS


def test_import_refuses_a_published_translation_without_the_counterpart_redaction(archive, tmp_path):
    with pytest.raises(ValidationError) as refused:
        archive.transfer.import_file(SYSTEM, write(tmp_path, document(counterpart=None)))
    message = str(refused.value)
    # It names the translation, the original's redaction, its span and the segment it should be in.
    assert "translation sk" in message and "redaction R-1" in message and "segment 0" in message
    start = document()["testimonies"][0]["transcripts"][0]["text"].index(CANARY)
    assert f"{start}..{start + len(CANARY)}" in message
    assert archive.testimonies.list(SYSTEM) == []          # nothing of the refused file was written


def test_import_refuses_a_counterpart_in_a_segment_the_span_is_not_paired_with(archive, tmp_path):
    with pytest.raises(ValidationError, match="no counterpart redaction .* segment 0"):
        archive.transfer.import_file(SYSTEM, write(tmp_path, document(counterpart="other")))


def test_import_refuses_the_name_left_disguised_elsewhere_in_the_translation(archive, tmp_path):
    sk = SK_0 + SK_1.replace("Potom", f"Potom {DISGUISED}")
    with pytest.raises(ValidationError, match="segment 1 .* still reads what redaction R-1"):
        archive.transfer.import_file(SYSTEM, write(tmp_path, document(sk_text=sk)))


def test_a_covered_translation_is_read_beside_its_original_segment_by_segment(archive, tmp_path):
    archive.transfer.import_file(SYSTEM, write(tmp_path, document()))
    view = public_view(archive)
    en, sk = view["transcripts"]
    assert (en["kind"], sk["kind"], sk["translation_of"], sk["translator"]) == \
        ("original", "translation", "en", "T. Prekladateľ")
    assert [s["pairs"] for s in sk["segments"]] == [[0], [1]] and CANARY not in str(view)
    # The staff export carries the link; imported again (another id), it is the same.
    record = archive.transfer.export(SYSTEM, "admin")["testimonies"][0]
    assert record["transcripts"][1]["translation_of"] == "en" and record["transcripts"][1]["translator"]


def test_untimed_segments_pair_by_position_and_a_hit_lands_on_the_originals_moment(archive, tmp_path):
    doc = document(timed=False)
    doc["testimonies"][0]["transcripts"][0]["segments"][0].update(start=0.0, end=10.0)
    doc["testimonies"][0]["transcripts"][0]["segments"][1].update(start=10.0, end=20.0)
    archive.transfer.import_file(SYSTEM, write(tmp_path, doc))
    sk = public_view(archive)["transcripts"][1]
    assert [s["pairs"] for s in sk["segments"]] == [[0], [1]]
    assert [s["moment"] for s in sk["segments"]] == [0.0, 10.0]
    hits = archive.search.search(_anonymous(), "rieke").testimonies
    [hit] = [h for t in hits for h in t.hits if h.transcript == "sk"]
    assert (hit.seq, hit.start) == (0, 0.0)


def test_the_form_refuses_to_link_a_translation_of_a_published_testimony_that_says_the_name(archive, tmp_path):
    archive.transfer.import_file(SYSTEM, write(tmp_path, document(counterpart=None, linked=False)))
    with pytest.raises(ValidationError, match="translation sk: redaction R-1 .* segment 0"):
        archive.segments.translation(ANN, ACCESSION, "sk", translation_of="en", translator="T. P.")
    assert public_view(archive)["transcripts"][1]["kind"] == "original"      # nothing written


def test_the_form_links_a_covered_translation_and_refuses_a_bad_link(archive, tmp_path):
    archive.transfer.import_file(SYSTEM, write(tmp_path, document(linked=False)))
    result = archive.segments.translation(ANN, ACCESSION, "sk", translation_of="en", translator="T. P.",
                                          machine=True)
    assert "translation_of" in result["changed"]
    sk = public_view(archive)["transcripts"][1]
    assert (sk["translation_of"], sk["machine"], sk["translator"]) == ("en", True, "T. P.")
    for wrong, reason in (("sk", "itself"), ("fr", "no transcript 'fr'")):
        with pytest.raises(ValidationError, match=reason):
            archive.segments.translation(ANN, ACCESSION, "sk", translation_of=wrong)
    with pytest.raises(ValidationError, match="'sk' is itself a translation"):
        archive.segments.translation(ANN, ACCESSION, "en", translation_of="sk")
    with pytest.raises(ValidationError, match="not a person's authority record"):
        archive.segments.translation(ANN, ACCESSION, "sk", translation_of="en", translator_key="nobody")
    assert any("translation_of" in r["summary"] for r in archive.history.revisions(ANN, ACCESSION))


def test_a_redaction_proposed_after_publication_withholds_the_translation_at_once(archive, tmp_path):
    doc = document(counterpart=None)
    doc["testimonies"][0]["redactions"] = []
    archive.transfer.import_file(SYSTEM, write(tmp_path, doc))
    assert len(public_view(archive)["transcripts"]) == 2
    en_text = doc["testimonies"][0]["transcripts"][0]["text"]
    at = en_text.index(CANARY)
    archive.redactions.add(ANN, ACCESSION, category="person", replacement="[name withheld]",
                           transcript="en", start=at, end=at + len(CANARY), text=CANARY)
    view = public_view(archive)
    assert [t["key"] for t in view["transcripts"]] == ["en"] and CANARY not in str(view)
    assert archive.search.search(_anonymous(), "Talrik").total == 0
    staff = archive.testimonies.get(ANN, ACCESSION)
    assert [t["key"] for t in staff["transcripts"]] == ["en", "sk"]       # staff still read it, to fix it
    # A change of its transcripts or segments is refused while it is so (the segment and span named);
    # a change of anything else is not (the translation stays out of the lower views).
    with pytest.raises(ValidationError, match="translation sk: redaction"):
        archive.segments.describe(ANN, ACCESSION, "en", 0, title="The river")
    archive.records.edit_testimony(ANN, ACCESSION, title="Crossing the river at night")
    assert [t["key"] for t in public_view(archive)["transcripts"]] == ["en"]


def test_removing_the_counterpart_redaction_of_a_published_translation_is_refused(archive, tmp_path):
    archive.transfer.import_file(SYSTEM, write(tmp_path, document()))
    with pytest.raises(ValidationError, match="translation sk: redaction R-1 .* segment 0"):
        archive.redactions.remove(ANN, ACCESSION, "R-2", two_person=False)
    assert CANARY not in str(public_view(archive))


def test_a_restore_that_would_bring_back_an_unredacted_translation_is_refused(archive, tmp_path):
    archive.transfer.import_file(SYSTEM, write(tmp_path, document(counterpart=None, linked=False)))
    archive.testimonies.set_state(SYSTEM, ACCESSION, "draft", two_person=False)
    # a draft takes the link (a translator too: the restore's what-if views show or hide the name)
    archive.segments.translation(ANN, ACCESSION, "sk", translation_of="en", translator="T. P.")
    linked = archive.history.revisions(ANN, ACCESSION)[0]["id"]
    archive.segments.translation(ANN, ACCESSION, "sk", translation_of=None)
    archive.testimonies.set_state(SYSTEM, ACCESSION, "published", two_person=False)
    with pytest.raises(ValidationError, match="translation sk: redaction R-1 .* segment 0"):
        archive.history.restore(ANN, ACCESSION, linked)
    assert public_view(archive)["transcripts"][1]["kind"] == "original"                # nothing restored


def test_a_translator_named_by_a_person_record_is_shown_by_its_label_and_a_hidden_name_not_at_all(archive, tmp_path):
    doc = document(linked=False)
    doc["authorities"] = [{"id": "person:t-p", "type": "person", "label": "Tomáš Prekladateľ"}]
    archive.transfer.import_file(SYSTEM, write(tmp_path, doc))
    archive.segments.translation(ANN, ACCESSION, "sk", translation_of="en", translator_key="person:t-p")
    assert public_view(archive)["transcripts"][1]["translator"] == "Tomáš Prekladateľ"
    # A translator whose name is a redacted text of the testimony (at risk as the narrator is) is not shown.
    archive.segments.translation(ANN, ACCESSION, "sk", translation_of="en", translator=CANARY)
    assert "translator" not in public_view(archive)["transcripts"][1]
    assert archive.testimonies.get(ANN, ACCESSION)["transcripts"][1]["translator"] == CANARY


def test_a_restores_what_if_view_of_a_translation_with_its_translator_reads_as_the_public_would(archive, tmp_path):
    from archive import restoring
    from archive.audience import Audience
    archive.transfer.import_file(SYSTEM, write(tmp_path, document()))
    record = archive.transfer.export(SYSTEM, "admin")["testimonies"][0]
    text = restoring._reader_text(record, Audience.PUBLIC)          # (a stand-in record: no session)
    assert "prekladateľ" in text and CANARY.lower() not in text
