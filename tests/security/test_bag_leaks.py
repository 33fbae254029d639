"""The leak suite for BagIt bags: a public or researcher bag (made by the service or downloaded zipped
from the staff route) holds no hidden canary (plain, or a name in disguise), no testimony the
audience may not read (restricted, embargoed, withdrawn, draft), and no original media: only the
derivatives that audience's pages serve."""
from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile

import pytest

from archive.audience import Audience
from archive.formats import bagit_format
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM, Identity
from archive.scanning import find_terms
from archive.services import Archive
from tests.conftest import EXAMPLE, TODAY, csrf_from
from tests.conftest import export_by_job as exported
from tests.security import canaries, media_canaries
from tests.security.conftest import client_as
from tests.security.disguises import ARABIC_TERM, LATIN_TERM
from tests.security.test_disguised_names import SLIPPED_THROUGH
from tests.security.test_leaks import found_in
from tests.security.test_media_leaks import binary_leaks

LOWER = ("public", "researcher")


def bag_files(bag_dir) -> dict[str, bytes]:
    return {p.relative_to(bag_dir).as_posix(): p.read_bytes() for p in sorted(bag_dir.rglob("*")) if p.is_file()}


def zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name.split("/", 1)[1]: z.read(name) for name in z.namelist()}


def leaks(files: dict[str, bytes], audience: str, coordinates: set[bytes]) -> dict[str, set[str]]:
    hidden = canaries.hidden_from(audience)
    media_hidden = media_canaries.hidden_from(audience)
    found = {}
    for name, data in files.items():
        bad = found_in(name + "\n" + data.decode("utf-8", "replace"), hidden | media_hidden)
        bad |= binary_leaks(data, media_hidden, coordinates)
        if bad:
            found[name] = bad
    return found


@pytest.fixture
def originals(security_app):
    archive = security_app.extensions["archive"]
    keys = media_canaries.asset_keys(archive)
    photo = archive.media.original(SYSTEM, keys["open-photo"])["data"]
    # The originals that carry what a derivative drops (EXIF and GPS, tags, a title, a file's content).
    # (A metadata-free PNG's derivative, rebuilt from its pixels, can be the same bytes: not a leak.)
    carriers = {keys[case] for case in ("open-photo", "document", "consent-form", "open-audio", "open-video")}
    hashes = {a["sha256"] for accession in canaries.accession_ids() for a in archive.media.assets_for(SYSTEM, accession)
              if a["id"] in carriers}
    assert len(hashes) == len(carriers)
    return keys, media_canaries.gps_rational_bytes(photo), hashes


@pytest.mark.parametrize("audience", LOWER)
def test_a_bag_holds_nothing_hidden_from_its_audience(security_app, originals, tmp_path, audience):
    archive = security_app.extensions["archive"]
    keys, coordinates, original_hashes = originals
    archive.bags.export_bag(Identity(Audience.parse(audience), username=f"leak-{audience}"), tmp_path / "bag")
    bagit_format.check(tmp_path / "bag")
    made = bag_files(tmp_path / "bag")
    # the same bag made by an export job for an archivist, downloaded zipped from the job's page
    response = exported(client_as(security_app, "archivist"), audience, "bag")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    downloaded = zip_files(response.data)
    for files in (made, downloaded):
        assert not leaks(files, audience, coordinates), leaks(files, audience, coordinates)
        document = json.loads(files["data/archive.json"])
        assert {t["id"] for t in document["testimonies"]} == canaries.visible_to(audience)
        folders = {name.split("/")[2] for name in files if name.startswith("data/testimonies/")}
        assert folders <= canaries.visible_to(audience)
        # no original that carries metadata, byte for byte: only derivatives
        same = [name for name, data in files.items() if hashlib.sha256(data).hexdigest() in original_hashes]
        assert not same, same
        media = ["/".join(name.split("/")[-2:]) for name in files if "/media/" in name and not name.endswith("media.json")]
        assert all(m.split("/")[1].split(".")[0] in ("thumb", "medium", "full", "audio", "video") for m in media), media
        # not blind: the open photo's derivatives and the open recording are there
        assert f"{keys['open-photo']}/thumb.png" in media
        assert any(m.startswith(f"{keys['open-audio']}/audio.") for m in media), media
        assert (keys["research-photo"] in " ".join(media)) == (audience == "researcher")
        assert keys["document"] not in " ".join(files) and keys["consent-form"] not in " ".join(files)


def test_the_scans_of_bags_are_not_blind(security_app, originals, tmp_path):
    """Positive control: an admin's bag holds the canaries the scans look for (all but the media's,
    which only originals carry: bags never hold an original)."""
    archive = security_app.extensions["archive"]
    _, coordinates, _ = originals
    archive.bags.export_bag(SYSTEM, tmp_path / "bag", "admin")
    files = bag_files(tmp_path / "bag")
    text = "\n".join(data.decode("utf-8", "replace") for data in files.values())
    assert found_in(text, canaries.CANARIES) == set(canaries.CANARIES)
    assert not binary_leaks(b"".join(files.values()), {"CNRYEXIFWORD", "CNRYGPSDATUM"}, coordinates)


# -- names in disguise ------------------------------------------------------------------------------

DISGUISED = [*SLIPPED_THROUGH, "خالد وحداد", "Zorvath\u200dQuillan"]
TERMS = [{"term": LATIN_TERM, "variants": [ARABIC_TERM]}]


@pytest.fixture(scope="module")
def disguised_archive(tmp_path_factory):
    """A published testimony whose transcript holds the name in every disguise the scanner once
    missed, each redacted (archivists only): the public bag must hold none of them."""
    root = tmp_path_factory.mktemp("bag-disguise")
    archive = Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media", clock=lambda: TODAY)
    archive.init()
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    item = copy.deepcopy(raw["testimonies"][0])
    text, redactions = "", []
    for n, written in enumerate(DISGUISED):
        text += f"Sentence {n} names "
        redactions.append({"id": f"R-D{n}", "transcript": "en", "start": len(text), "end": len(text) + len(written),
                           "text": written, "category": "person", "reason": "at risk", "visible_to": "archivist",
                           "replacement": "[name withheld]", "state": "approved"})
        text += written + " and goes on.\n"
    item.update(id="BAG-DISGUISED", redactions=[*redactions, *[r for r in item["redactions"] if r.get("field")]],
                sensitive_terms=[{"term": LATIN_TERM, "variants": [ARABIC_TERM], "category": "person"}])
    item["transcripts"] = [{"id": "en", "language": "en", "kind": "original", "text": text,
                            "segments": [{"start": 0.0, "end": 30.0, "title": "", "synopsis": "", "keywords": [],
                                          "text_start": 0, "text_end": len(text)}]}]
    raw["testimonies"] = [item]
    archive.transfer.import_document(SYSTEM, parse_document(raw, "disguised.json"))
    yield archive, root
    archive.close()


def test_a_public_bag_holds_no_name_in_disguise(disguised_archive):
    archive, root = disguised_archive
    archive.bags.export_bag(SYSTEM, root / "public", "public", accession_id="BAG-DISGUISED")
    files = bag_files(root / "public")
    for name, data in files.items():
        text = data.decode("utf-8", "replace")
        assert not find_terms(text, TERMS), (name, find_terms(text, TERMS))
        assert not [w for w in DISGUISED if w in text], name
    assert files["data/testimonies/BAG-DISGUISED/transcripts/en.txt"].decode().count("[name withheld]") == len(DISGUISED)
    # not blind: the admin's bag holds every disguise, and the scanner finds them there
    archive.bags.export_bag(SYSTEM, root / "admin", "admin", accession_id="BAG-DISGUISED")
    text = (root / "admin" / "data" / "testimonies" / "BAG-DISGUISED" / "transcripts" / "en.txt").read_text()
    assert all(w in text for w in DISGUISED)
    assert len(find_terms(text, TERMS)) >= len(DISGUISED)


@pytest.mark.parametrize("audience", LOWER)
def test_an_export_job_holds_nothing_hidden_from_its_audience(security_app, audience):
    response = exported(client_as(security_app, "archivist"), audience, "json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert not found_in(text, canaries.hidden_from(audience)), found_in(text, canaries.hidden_from(audience))
    assert {t["id"] for t in json.loads(text)["testimonies"]} == canaries.visible_to(audience)


def test_an_export_job_is_refused_at_once_and_read_only_by_its_audience(security_app):
    archivist, admin = client_as(security_app, "archivist"), client_as(security_app, "admin")
    jobs = security_app.extensions["archive"].jobs
    before = len(jobs.latest(SYSTEM))
    # CNRY-OPEN holds a redaction only an admin may lift: an archivists' export would carry its original.
    token = csrf_from(archivist, "/staff/")
    refused = archivist.post("/staff/exports", data={"audience": "archivist", "csrf_token": token})
    assert refused.status_code == 403
    assert archivist.post("/staff/exports", data={"audience": "admin", "csrf_token": token}).status_code == 403
    assert len(jobs.latest(SYSTEM)) == before      # nothing queued
    # an admin's export is the admin's to download, not an archivist's
    token = csrf_from(admin, "/staff/")
    asked = admin.post("/staff/exports", data={"audience": "admin", "format": "json", "csrf_token": token})
    download = f"/staff/jobs/{asked.headers['Location'].rstrip('/').rsplit('/', 1)[1]}/download"
    assert archivist.get(download).status_code == 403
    got = admin.get(download)
    got.get_data()
    got.close()
    assert got.status_code == 200 and canaries.OPEN_ID in got.get_data(as_text=True)
