"""Issue 12, findings 2, 3 and 4: one gate on every path to readers.

Each door that changes what an audience below archivist sees (an import that arrives published, an
edit of a published record, its segments, an authority's label) runs the publication checks; a term
registered while a testimony holding it is published holds that testimony back from every reader.
"""
from __future__ import annotations

import copy
import json

import pytest

from archive.errors import ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from tests.conftest import EXAMPLE

ARCHIVIST = for_role("archivist", username="archivist")
CANARY = "Zorvath Quillan"


def _document(**changes) -> dict:
    """The example file's first testimony under a new id, with `changes` applied."""
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    testimony = copy.deepcopy(raw["testimonies"][0])
    testimony.update(id="OH-2099-0001", **changes)
    for narrator in testimony["narrators"]:
        narrator["id"] = "N-2099"
        narrator["legal_name"] = "Nobody Here"
    raw["testimonies"] = [testimony]
    return raw


def _publicly_found(archive, query: str) -> int:
    return archive.search.search(ANONYMOUS, f'"{query}"').total


def _import(archive, raw: dict):
    return archive.transfer.import_document(SYSTEM, parse_document(raw, "gate.json"))


def test_an_import_that_arrives_published_with_an_unreviewed_redaction_is_refused(example_archive):
    raw = _document()
    raw["testimonies"][0]["redactions"][0]["state"] = "proposed"
    with pytest.raises(ValidationError, match="redactions awaiting review"):
        _import(example_archive, raw)
    assert example_archive.testimonies.get(SYSTEM, "OH-2015-0001")  # the archive is untouched
    with pytest.raises(Exception):
        example_archive.testimonies.get(SYSTEM, "OH-2099-0001")


def test_an_import_that_arrives_published_with_a_term_in_a_segment_title_and_keywords_is_refused(example_archive):
    raw = _document()
    segment = raw["testimonies"][0]["transcripts"][0]["segments"][0]
    segment["title"] = f"Meeting {CANARY}"
    segment["keywords"] = [CANARY]
    raw["testimonies"][0]["sensitive_terms"].append({"term": CANARY, "variants": [], "category": "person"})
    with pytest.raises(ValidationError, match="sensitive terms unredacted"):
        _import(example_archive, raw)
    assert _publicly_found(example_archive, CANARY) == 0


def test_an_import_that_arrives_published_and_passes_the_checks_is_published(example_archive):
    _import(example_archive, _document())
    assert example_archive.testimonies.get(ANONYMOUS, "OH-2099-0001")["accession_id"] == "OH-2099-0001"


def test_editing_a_published_summary_or_keywords_to_show_a_term_is_refused(example_archive):
    example_archive.sensitive.add(SYSTEM, CANARY, category="person")
    for fields in ({"summary": f"He met {CANARY.replace(' ', '-')} there."}, {"keywords": [f"{CANARY}"]}):
        with pytest.raises(ValidationError, match="would show sensitive terms"):
            example_archive.records.edit_testimony(ARCHIVIST, "OH-2015-0001", **fields)
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert "Zorvath" not in json.dumps(view)
    assert _publicly_found(example_archive, "Zorvath") == 0


def test_a_published_segment_title_cannot_be_given_a_term(example_archive):
    example_archive.sensitive.add(SYSTEM, CANARY, category="person")
    with pytest.raises(ValidationError, match="would show sensitive terms"):
        example_archive.segments.describe(ARCHIVIST, "OH-2015-0001", "en", 0, title=f"With {CANARY}",
                                          synopsis="", keywords=[])
    assert _publicly_found(example_archive, "Zorvath") == 0


def test_an_authority_label_that_is_a_term_is_refused_where_it_is_published(example_archive):
    example_archive.sensitive.add(SYSTEM, CANARY, category="person")
    with pytest.raises(ValidationError, match="would show sensitive terms"):
        example_archive.records.edit_authority(ARCHIVIST, "place:tel-abyad", type="place", label=CANARY,
                                               variants=["Tal Abyad"])
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert "Zorvath" not in json.dumps(view)
    assert example_archive.search.suggest(ANONYMOUS, "Zorv") == []


def test_a_term_registered_after_publication_holds_the_testimony_until_it_is_redacted(example_archive):
    archive = example_archive
    # "bribes" is in OH-2015-0001's public transcript, unredacted.
    assert _publicly_found(archive, "bribes") == 1
    archive.sensitive.add(SYSTEM, "Bribes", category="other")
    assert _publicly_found(archive, "bribes") == 0
    assert archive.search.search(ANONYMOUS, "Raqqa").total == 0 or all(
        hit.accession_id != "OH-2015-0001" for hit in archive.search.search(ANONYMOUS, "Raqqa").testimonies)
    with pytest.raises(Exception):
        archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    held = archive.dashboard.panels(ARCHIVIST)["held"]
    assert [h["accession_id"] for h in held] == ["OH-2015-0001"]
    # Archivists still read it; redacting every occurrence brings it back to readers.
    assert archive.testimonies.get(ARCHIVIST, "OH-2015-0001")
    term_id = next(t["id"] for t in archive.sensitive.list(ARCHIVIST) if t["term"] == "Bribes")
    archive.sensitive.redact_all(ARCHIVIST, "OH-2015-0001", term_id, replacement="[withheld]")
    assert archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert archive.dashboard.panels(ARCHIVIST)["held"] == []
    assert _publicly_found(archive, "bribes") == 0


def test_a_variant_that_is_part_of_a_hidden_phrase_is_hidden(example_archive):
    # R-2 hides "the farm near Suluk" below researcher; a place variant "Suluk" would name it.
    example_archive.records.edit_authority(ARCHIVIST, "place:tel-abyad", type="place", label="Tel Abyad",
                                           variants=["Tal Abyad", "Suluk"])
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    assert "Suluk" not in json.dumps(view)
    assert example_archive.search.suggest(ANONYMOUS, "Sul") == []
    staff = example_archive.testimonies.get(ARCHIVIST, "OH-2015-0001")
    assert "Suluk" in json.dumps(staff)


def test_a_photo_caption_that_names_a_term_is_refused_on_a_published_testimony(example_archive):
    import io

    from PIL import Image
    example_archive.sensitive.add(SYSTEM, CANARY, category="person")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, "PNG")
    with pytest.raises(ValidationError, match="would show sensitive terms"):
        example_archive.media.add(ARCHIVIST, "OH-2015-0001", buffer.getvalue(), "photo.png", kind="photo",
                                  caption=f"{CANARY} at the farm")
    assert "Zorvath" not in json.dumps(example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001"))
    example_archive.media.add(ARCHIVIST, "OH-2015-0001", buffer.getvalue(), "photo.png", kind="photo",
                              caption="The farm road")
