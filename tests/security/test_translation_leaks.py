"""Leak suite for translations (issue 14): a name redacted in the original and left in its translation
(plainly, or disguised with a look-alike letter and an invisible joiner) reaches neither the public nor
researchers through any output: the page, search (pages, API, suggestions, the index files), the API,
exports, OHMS, WebVTT and SRT. The translation is left out of every lower view until it holds the
counterpart redaction; staff still read it, to fix it."""
from __future__ import annotations

import json

import lxml.html

from archive.audience import Audience
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM, Identity, for_role
from archive.services.gate import protective
from tests.security.conftest import client_as
from tests.security.disguises import search_would_match
from tests.security.test_leaks import LOWER, as_text, found_in, index_leaks
from tests.translation_fixtures import ACCESSION, CANARY, DISGUISED, document

ANN = for_role("archivist", 2, "ann")
DISGUISED_ID = "TR-2020-0002"
WORDS = {CANARY, "Talrik", DISGUISED}


def _plant(archive) -> None:
    # 1. Published with a translation that says the name; the original's redaction comes after (a
    #    protective write: never refused, the translation leaves the lower views at once).
    plain = document(counterpart=None)
    plain["testimonies"][0]["redactions"] = []
    archive.transfer.import_document(SYSTEM, parse_document(plain, "plain.json"))
    en = plain["testimonies"][0]["transcripts"][0]["text"]
    archive.redactions.add(ANN, ACCESSION, category="person", replacement="[name withheld]", transcript="en",
                           start=en.index(CANARY), end=en.index(CANARY) + len(CANARY), text=CANARY)
    # 2. The name disguised in the translation, linked behind the gate's back (straight in the database,
    #    as a protective write): the views alone must keep it in.
    disguised = document(counterpart=None, linked=False,
                         sk_text=document()["testimonies"][0]["transcripts"][1]["text"].replace(CANARY, DISGUISED))
    record = disguised["testimonies"][0]
    record["id"], record["narrators"][0]["id"] = DISGUISED_ID, "N-TR-2"
    archive.transfer.import_document(SYSTEM, parse_document(disguised, "disguised.json"))
    from archive.model import Testimony
    from sqlalchemy import select
    with archive.unit_of_work() as session:
        protective(session)
        testimony = session.scalar(select(Testimony).where(Testimony.accession_id == DISGUISED_ID))
        sk = next(t for t in testimony.transcripts if t.key == "sk")
        sk.translation_of, sk.kind = "en", "translation"
        archive.index.sync(session, testimony)


def _outputs(client, accession: str) -> dict[str, str]:
    """Everything a reader may ask about the testimony, as text; of searches only what they found (a
    search page repeats the query it was asked)."""
    out = {}
    for url in (f"/testimonies/{accession}", f"/api/v1/testimonies/{accession}", f"/testimonies/{accession}/cite",
                f"/api/v1/testimonies/{accession}/citation", f"/api/v1/testimonies/{accession}/dc",
                f"/testimonies/{accession}/ohms.xml", f"/api/v1/testimonies/{accession}/ohms"):
        out[url] = client.get(url)
    for key in ("en", "sk"):
        for fmt in ("vtt", "srt"):
            for prefix in ("", "/api/v1"):
                url = f"{prefix}/testimonies/{accession}/transcripts/{key}.{fmt}"
                out[url] = client.get(url)
    assert out[f"/testimonies/{accession}"].status_code == 200          # the testimony itself is read
    assert out[f"/testimonies/{accession}/transcripts/sk.vtt"].status_code == 404
    texts = {name: as_text(r) for name, r in out.items()}
    for q in ("Talrik", "Vesna", "talr*", "rieke", '"Vesna Talrik"', "Prekladateľ"):
        page = lxml.html.fromstring(client.get("/search", query_string={"q": q}).get_data(as_text=True))
        texts[f"search {q}"] = " ".join(h.text_content() for h in page.xpath("//ol[@class='hits']"))
        found = client.get("/api/v1/search", query_string={"q": q}).get_json()
        texts[f"api search {q}"] = json.dumps([found["total"], found["testimonies"]], ensure_ascii=False)
        assert found["total"] == (0 if q != "Prekladateľ" else found["total"]), q
    texts["suggest"] = json.dumps(client.get("/api/v1/suggest", query_string={"q": "Talr"}).get_json()["suggestions"])
    return texts


def test_a_name_left_in_a_translation_reaches_no_reader_through_any_output(security_app):
    app = security_app
    archive = app.extensions["archive"]
    _plant(archive)
    for audience in LOWER:
        client = client_as(app, audience)
        for accession in (ACCESSION, DISGUISED_ID):
            for name, text in _outputs(client, accession).items():
                assert not found_in(text, WORDS), (audience, accession, name, found_in(text, WORDS))
                assert not search_would_match(text, CANARY) and "talrik" not in text.lower(), (audience, name)
        identity = Identity(Audience.parse(audience), username=f"leak-{audience}")
        export = json.dumps(archive.transfer.export(identity, audience), ensure_ascii=False)
        assert ACCESSION in export and not found_in(export, WORDS) and "talrik" not in export.lower()
        assert not index_leaks(archive, audience, {"Talrik", "talrik", "rieke"}), audience
    # The scans are not blind: staff still read the translation (to fix it), and their index holds it.
    page = as_text(client_as(app, "archivist").get(f"/testimonies/{DISGUISED_ID}"))
    assert DISGUISED in page and "rieke" in page and CANARY in as_text(
        client_as(app, "archivist").get(f"/testimonies/{ACCESSION}"))
    assert index_leaks(archive, "staff", {"rieke"}) == {"rieke"}
    # OHMS carries a second transcript as its alternate: staff's holds the translation, with the name
    staff_ohms = as_text(client_as(app, "archivist").get(f"/api/v1/testimonies/{DISGUISED_ID}/ohms"))
    assert "<transcript_alt_lang>sk</transcript_alt_lang>" in staff_ohms and DISGUISED in staff_ohms
