"""BagIt bags out and in, on SQLite and PostgreSQL: what a bag holds per audience, the round trip
into an empty archive, and bags refused whole (with their reason, nothing written)."""
from __future__ import annotations

import io
import json
import shutil
import zipfile

import bagit
import pytest
import webvtt

from archive.errors import NotFound, PermissionDenied, ValidationError
from archive.formats import bagit_format
from archive.identity import SYSTEM, for_role
from tests.conftest import SHARED
from tests.integration.test_import_export import counts, other_archive  # noqa: F401 (a fixture)

RESEARCHER = for_role("researcher", 1, "rita")
ARCHIVIST = for_role("archivist", 2, "ann")
SUITE = SHARED / "realdata" / "bagit_conformance_suite"


def files(bag_dir) -> dict[str, bytes]:
    return {p.relative_to(bag_dir).as_posix(): p.read_bytes() for p in sorted(bag_dir.rglob("*")) if p.is_file()}


def without_date(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "exported_on"}


@pytest.mark.parametrize("audience", ["public", "admin"])
def test_a_bag_round_trips_into_an_empty_archive(example_archive, other_archive, tmp_path, audience):  # noqa: F811
    bag_dir = tmp_path / "bag"
    made = example_archive.bags.export_bag(SYSTEM, bag_dir, audience, organization="Test Archive")
    before = example_archive.transfer.export(SYSTEM, audience)
    assert made["testimonies"] == len(before["testimonies"]) > 0
    bag = bagit_format.check(bag_dir)
    assert bag.version_info == (1, 0) and set(bag.algorithms) == {"sha512"}
    names = files(bag_dir)
    assert {"bagit.txt", "bag-info.txt", "manifest-sha512.txt", "tagmanifest-sha512.txt"} <= set(names)
    assert not [n for n in names if n.startswith(("manifest-", "tagmanifest-")) and "sha512" not in n]
    info = bag.info
    assert info["Source-Organization"] == "Test Archive" and info["External-Identifier"] == "archive"
    assert info["Bagging-Date"] == example_archive.today().isoformat()
    assert info["Payload-Oxum"] == f"{sum(len(v) for k, v in names.items() if k.startswith('data/'))}." \
                                   f"{sum(1 for k in names if k.startswith('data/'))}"
    assert without_date(json.loads(names["data/archive.json"])) == without_date(before)

    result = other_archive.bags.import_bag(SYSTEM, bag_dir)
    assert sorted(result["testimonies"]) == sorted(t["id"] for t in before["testimonies"])
    assert without_date(other_archive.transfer.export(SYSTEM, audience)) == without_date(before)


def test_what_a_bag_of_one_testimony_holds(example_archive, tmp_path):
    public = tmp_path / "public"
    example_archive.bags.export_bag(SYSTEM, public, "public", accession_id="OH-2015-0001")
    names = files(public)
    folder = "data/testimonies/OH-2015-0001"
    assert {f"{folder}/transcripts/en.txt", f"{folder}/captions/en.vtt"} <= set(names)
    document = json.loads(names["data/archive.json"])
    assert [t["id"] for t in document["testimonies"]] == ["OH-2015-0001"]
    text = names[f"{folder}/transcripts/en.txt"].decode()
    assert text == document["testimonies"][0]["transcripts"][0]["text"] and "[name withheld]" in text
    assert "Khaled" not in text and "Suluk" not in text
    captions = webvtt.from_buffer(io.StringIO(names[f"{folder}/captions/en.vtt"].decode()))
    assert len(captions.captions) == len(document["testimonies"][0]["transcripts"][0]["segments"]) > 0
    assert bagit.Bag(str(public)).info["External-Identifier"] == "OH-2015-0001"
    # the researcher's bag of it lifts what researchers may read, and nothing more
    researcher = tmp_path / "researcher"
    example_archive.bags.export_bag(RESEARCHER, researcher, accession_id="OH-2015-0001")
    text = (researcher / folder / "transcripts" / "en.txt").read_text()
    assert "Suluk" in text and "Khaled" not in text


def test_a_bag_carries_each_testimonys_ohms_as_its_audience_sees_it(example_archive, tmp_path):
    from lxml import etree

    from archive.identity import ANONYMOUS
    from tests.xml_schemas import assert_valid
    folder = "data/testimonies/OH-2015-0001"
    bare = etree.XMLParser(remove_blank_text=True)
    for who, name in ((ANONYMOUS, "public"), (RESEARCHER, "researcher")):
        example_archive.bags.export_bag(SYSTEM if who is ANONYMOUS else who, tmp_path / name,
                                        "public" if who is ANONYMOUS else None, accession_id="OH-2015-0001")
        ohms = files(tmp_path / name)[f"{folder}/ohms.xml"]
        assert_valid("ohms", ohms)
        # the same document as that audience's OHMS download
        assert etree.tostring(etree.fromstring(ohms, bare)) == \
            etree.tostring(etree.fromstring(example_archive.exchange.ohms(who, "OH-2015-0001"), bare))
    assert b"Suluk" in files(tmp_path / "researcher")[f"{folder}/ohms.xml"]
    assert b"Suluk" not in files(tmp_path / "public")[f"{folder}/ohms.xml"]


def test_a_bag_of_one_collection_and_what_is_refused(example_archive, tmp_path):
    example_archive.bags.export_bag(SYSTEM, tmp_path / "c", "admin", collection="leaving-raqqa")
    document = json.loads((tmp_path / "c" / "data" / "archive.json").read_text())
    assert {t["collection"] for t in document["testimonies"]} == {"leaving-raqqa"}
    assert bagit.Bag(str(tmp_path / "c")).info["External-Identifier"] == "collection:leaving-raqqa"
    # OH-2015-0002 is embargoed: the public has no bag of it, and nothing is left behind
    with pytest.raises(NotFound, match="not visible to the public"):
        example_archive.bags.export_bag(SYSTEM, tmp_path / "n", "public", accession_id="OH-2015-0002")
    with pytest.raises(NotFound):
        example_archive.bags.export_bag(SYSTEM, tmp_path / "n", "public", collection="no-such")
    with pytest.raises(PermissionDenied):
        example_archive.bags.export_bag(RESEARCHER, tmp_path / "n", "archivist")
    with pytest.raises(ValidationError, match="already exists"):
        example_archive.bags.export_bag(SYSTEM, tmp_path / "c", "public")
    assert not [p for p in tmp_path.iterdir() if p.name not in ("c", "indexes", "media", "archive.db", "archive.db-wal", "archive.db-shm")]


def _tampered(bag_dir):
    path = next((bag_dir / "data" / "testimonies").rglob("*.txt"))
    path.write_bytes(path.read_bytes().replace(b"the", b"The", 1))


def _not_1_0(bag_dir):
    (bag_dir / "bagit.txt").write_bytes(b"BagIt-Version : 1.0\nTag-File-Character-Encoding : UTF-8\n")


def _extra_file(bag_dir):
    (bag_dir / "data" / "extra.json").write_text("{}")


def _json_gone(bag_dir):
    (bag_dir / "data" / "archive.json").unlink()


SPOILS = [(_tampered, "sha512 validation failed"), (_not_1_0, "bagit.txt is not in the form"),
          (_extra_file, "Payload-Oxum validation failed"), (_json_gone, "Payload-Oxum validation failed")]


def test_an_invalid_bag_is_refused_with_its_reason_and_writes_nothing(example_archive, other_archive, tmp_path):  # noqa: F811
    made = tmp_path / "bag"
    example_archive.bags.export_bag(SYSTEM, made, "public")
    before = counts(other_archive)
    for n, (spoil, reason) in enumerate(SPOILS):
        bag_dir = tmp_path / f"spoiled-{n}"
        shutil.copytree(made, bag_dir)
        spoil(bag_dir)
        with pytest.raises(ValidationError) as refused:
            other_archive.bags.import_bag(SYSTEM, bag_dir)
        assert reason in str(refused.value) and "\n" not in str(refused.value), (spoil.__name__, str(refused.value))
        assert counts(other_archive) == before, spoil.__name__


def test_a_valid_bag_without_the_archive_json_is_refused(archive):
    before = counts(archive)
    with pytest.raises(ValidationError, match="holds no data/archive.json"):
        archive.bags.import_bag(SYSTEM, SUITE / "v1.0" / "valid" / "basicBag")
    with pytest.raises(PermissionDenied):
        archive.bags.import_bag(RESEARCHER, SUITE / "v1.0" / "valid" / "basicBag")
    assert counts(archive) == before


def test_the_zipped_bag_streams_and_imports(example_archive, other_archive, tmp_path):  # noqa: F811
    name, stream = example_archive.bags.export_bag_zip(ARCHIVIST, "researcher", collection="leaving-raqqa")
    assert name == "leaving-raqqa-researcher-bag.zip" and stream.tmp.is_dir()
    pieces = list(stream)
    assert len(pieces) > 1 and not stream.tmp.exists()      # the bag's folder goes with the last byte
    _, dropped = example_archive.bags.export_bag_zip(ARCHIVIST, "public", accession_id="OH-2015-0001")
    dropped.close()                                          # a client that left before the first byte
    assert not dropped.tmp.exists()
    zipped = tmp_path / name
    zipped.write_bytes(b"".join(pieces))
    with zipfile.ZipFile(zipped) as z:
        assert "leaving-raqqa-researcher-bag/bagit.txt" in z.namelist()
    result = other_archive.bags.import_bag(SYSTEM, zipped)
    assert result["testimonies"] and result["bag"]["External-Identifier"] == "collection:leaving-raqqa"
    # a spoiled zipped bag is refused under its own name (not where it was unpacked)
    spoiled = tmp_path / "spoiled.zip"
    with zipfile.ZipFile(zipped) as z, zipfile.ZipFile(spoiled, "w") as out:
        for item in z.infolist():
            data = z.read(item)
            out.writestr(item, data.replace(b"BagIt-Version: 1.0", b"BagIt-Version : 1.0")
                         if item.filename.endswith("/bagit.txt") else data)
    with pytest.raises(ValidationError) as refused:
        other_archive.bags.import_bag(SYSTEM, spoiled)
    assert str(refused.value).startswith(f"{spoiled}: bagit.txt is not in the form"), str(refused.value)
    # a zip whose names leave the bag is refused before anything is unpacked
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("bag/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        z.writestr("../outside.txt", "x")
    with pytest.raises(ValidationError, match="outside the bag"):
        other_archive.bags.import_bag(SYSTEM, evil)
    assert not (tmp_path.parent / "outside.txt").exists()
