"""Importing ../shared/examples/archive-v1.json gives exactly the outcome its README describes;
a failed import leaves nothing behind; exports round-trip."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from archive import model
from archive.audience import Audience
from archive.errors import ConflictError, NotFound, ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, Identity
from tests.conftest import EXAMPLE

RESEARCHER = Identity(Audience.RESEARCHER, username="r")
NEVER_PUBLIC = ("Khaled", "Haddad", "Suluk", "Gaziantep", "EXAMPLE-LEGAL-NAME-1", "EXAMPLE-CONTACT-1")


def test_the_public_finds_oh_0001_by_raqqa_in_both_scripts(example_archive):
    for query in ("Raqqa", "الرقة"):
        result = example_archive.search.search(ANONYMOUS, query)
        assert [t.accession_id for t in result.testimonies] == ["OH-2015-0001"], query


def test_the_public_reads_the_replacements(example_archive):
    view = example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001")
    text = "".join(s["text"] for s in view["transcripts"][0]["segments"])
    assert "[name withheld]" in text and "[place withheld]" in text
    assert view["interview_place"] == "[undisclosed location]"
    assert all("legal_name" not in n and "contact" not in n for n in view["narrators"])


def test_the_public_finds_nothing_of_what_is_withheld(example_archive):
    view = json.dumps(example_archive.testimonies.get(ANONYMOUS, "OH-2015-0001"), ensure_ascii=False)
    exported = json.dumps(example_archive.transfer.export(ANONYMOUS, "public"), ensure_ascii=False)
    for word in NEVER_PUBLIC:
        assert word not in view and word not in exported
        result = example_archive.search.search(ANONYMOUS, word)
        assert result.total == 0 and not result.testimonies, word
        assert not any(word.lower() in s for s in example_archive.search.suggest(ANONYMOUS, word[:4]))


def test_a_researcher_also_reads_the_farm_near_suluk(example_archive):
    view = example_archive.testimonies.get(RESEARCHER, "OH-2015-0001")
    text = "".join(s["text"] for s in view["transcripts"][0]["segments"])
    assert "the farm near Suluk" in text and "Khaled" not in text
    assert example_archive.search.search(RESEARCHER, "Suluk").total == 1
    assert example_archive.search.search(RESEARCHER, "Khaled").total == 0


def test_oh_0002_appears_to_nobody_below_archivist_until_2030(make_archive):
    before = make_archive(dt.date(2029, 12, 31))
    before.transfer.import_file(SYSTEM, EXAMPLE)
    for identity in (ANONYMOUS, RESEARCHER):
        with pytest.raises(NotFound):
            before.testimonies.get(identity, "OH-2015-0002")
        assert before.search.search(identity, "جرابلس").total == 0
    assert before.testimonies.get(Identity(Audience.ARCHIVIST, username="a"), "OH-2015-0002")
    after = make_archive(dt.date(2030, 1, 1))
    assert after.index.catch_up(SYSTEM) == ["OH-2015-0002"]
    assert after.testimonies.get(RESEARCHER, "OH-2015-0002")["accession_id"] == "OH-2015-0002"
    assert after.search.search(RESEARCHER, "جرابلس").total == 1
    with pytest.raises(NotFound):
        after.testimonies.get(ANONYMOUS, "OH-2015-0002")   # researchers only, for ever


TABLES = (model.Collection, model.Authority, model.Testimony, model.Narrator, model.Consent,
          model.Transcript, model.Segment, model.Redaction, model.SensitiveTerm, model.Revision,
          model.AuditEvent)


def _counts(archive) -> dict:
    with archive.db.session() as session:
        counts = {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}
    counts["indexes"] = {a: sorted(archive.indexes.testimony_ids(a)) for a in ("public", "researcher", "staff")}
    return counts


def _example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_a_bad_second_testimony_leaves_nothing_written(archive):
    before = _counts(archive)
    data = _example()
    data["testimonies"][1]["redactions"][0]["start"] += 1
    with pytest.raises(ValidationError, match="OH-2015-0002"):
        archive.transfer.import_document(SYSTEM, parse_document(data, "bad.json"))
    assert _counts(archive) == before


def test_a_duplicate_accession_id_fails_the_whole_file(example_archive):
    before = _counts(example_archive)
    data = _example()
    data["testimonies"][0]["id"] = "OH-2015-0099"        # new, would be written first ...
    data["testimonies"][0]["narrators"][0]["id"] = "N-0099"
    with pytest.raises(ConflictError) as error:         # ... but OH-2015-0002 already exists
        example_archive.transfer.import_document(SYSTEM, parse_document(data, "again.json"))
    assert "again.json" in str(error.value) and "OH-2015-0002" in str(error.value) and "field id" in str(error.value)
    assert _counts(example_archive) == before
    assert example_archive.search.search(SYSTEM, "Raqqa").total == 1


def test_the_full_export_round_trips(example_archive, tmp_path):
    from archive.services import Archive
    first = example_archive.transfer.export(SYSTEM, "admin")
    path = tmp_path / "full.json"
    path.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    other = Archive(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other-indexes",
                    clock=example_archive.today)
    other.init()
    other.transfer.import_file(SYSTEM, path)
    second = other.transfer.export(SYSTEM, "admin")
    other.close()
    assert first == second


def test_the_public_export_is_valid_and_holds_no_withheld_text(example_archive):
    exported = example_archive.transfer.export(ANONYMOUS, "public")
    parsed = parse_document(copy.deepcopy(exported), "public.json")
    assert [t["id"] for t in parsed["testimonies"]] == ["OH-2015-0001"]
    text = json.dumps(exported, ensure_ascii=False)
    assert "[name withheld]" in text and "legal_name" not in text and "redactions" not in text
