"""The leak suite for OAI-PMH (/oai) and the Dublin Core export: a whole harvest, every page, and the
export hold the public's records only: no restricted, embargoed, withdrawn, pending or draft testimony
(not even its identifier), no hidden canary (redacted words, restricted narrator fields, hidden places),
no set for a collection the public cannot read; and a name hidden in disguise never reaches a harvester."""
from __future__ import annotations

import copy
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from archive import oai
from archive.errors import ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.search.analysis import normalize
from tests.conftest import EXAMPLE
from tests.security import canaries
from tests.security.disguises import ARABIC_TERM, LATIN_TERM, text_with_disguise
from tests.security.test_leaks import as_text, found_in
from tests.xml_schemas import assert_valid

O = {"o": oai.OAI}


# OHMS records carry the transcripts (redactions applied), oai_dc only the description
PREFIXES = ("oai_dc", "ohms")


def _schema(prefix: str | None) -> str:
    return "OAI-PMH+ohms" if prefix == "ohms" else "OAI-PMH"


def _harvest_all(client, verb: str, **params) -> tuple[str, list[tuple[str, bool]]]:
    """Every page of a list, as one text, and its (accession id, deleted) headers."""
    texts, headers = [], []
    response = client.get("/oai", query_string={"verb": verb, **params})
    while True:
        texts.append(as_text(response))
        root = assert_valid(_schema(params.get("metadataPrefix")), response.get_data())
        headers += [(h.findtext("o:identifier", namespaces=O).rsplit(":", 1)[1], h.get("status") == "deleted")
                    for h in root.iter(f"{{{oai.OAI}}}header")]
        token = root.find(f"o:{verb}/o:resumptionToken", O)
        if token is None or not token.text:
            return "\n".join(texts), headers
        response = client.get("/oai", query_string={"verb": verb, "resumptionToken": token.text})


def test_a_whole_harvest_holds_only_the_public_records(security_app):
    archive = security_app.extensions["archive"]
    archive.oai.page_size = 3
    hidden = canaries.hidden_from("public")
    public = canaries.visible_to("public")
    never = set(canaries.accession_ids()) - public
    # signed in or not, a harvester gets the public's records
    for client in (security_app.test_client(), _signed_in(security_app, "admin")):
        for verb, prefix in (("ListRecords", "oai_dc"), ("ListRecords", "ohms"), ("ListIdentifiers", "oai_dc")):
            text, headers = _harvest_all(client, verb, metadataPrefix=prefix)
            assert {i for i, _ in headers} == public and not any(d for _, d in headers)
            assert not found_in(text, hidden), (prefix, found_in(text, hidden))
            assert not found_in(text, never)
        sets, _ = _harvest_all(client, "ListSets")
        assert canaries.COLLECTION in sets
        assert canaries.HIDDEN_COLLECTION not in sets and canaries.RESEARCH_COLLECTION not in sets
    # each testimony asked for by name: a record if public, otherwise as unknown as a missing one
    client = security_app.test_client()
    for accession in [*canaries.accession_ids(), canaries.MISSING_ID]:
        for verb, extra in (("GetRecord", {"metadataPrefix": "oai_dc"}), ("GetRecord", {"metadataPrefix": "ohms"}),
                            ("ListMetadataFormats", {})):
            response = client.get("/oai", query_string={"verb": verb, "identifier": f"oai:localhost:{accession}",
                                                        **extra})
            root = assert_valid(_schema(extra.get("metadataPrefix")), response.get_data())
            error = root.find("o:error", O)
            assert (error is None) == (accession in public), (verb, accession)
            if error is not None:
                assert error.get("code") == "idDoesNotExist" and error.text.count(accession) == 1
            assert not found_in(as_text(response), hidden)
    # the scan is not blind: the staff's views of the same records hold the canaries
    staff = json.dumps([archive.testimonies.get(SYSTEM, i) for i in public], ensure_ascii=False)
    assert found_in(staff, hidden)

    # withdrawn after a harvest: a deleted record, its words gone with it
    archive.consent.withdraw(for_role("archivist", username="archivist"), canaries.WITHDRAW_ID, "asked")
    for prefix in PREFIXES:
        text, headers = _harvest_all(security_app.test_client(), "ListRecords", metadataPrefix=prefix)
        assert (canaries.WITHDRAW_ID, True) in headers
        assert {i for i, d in headers if not d} == public - {canaries.WITHDRAW_ID}
        assert not found_in(text, hidden)


def _signed_in(app, username: str):
    from tests.conftest import sign_in
    return sign_in(app.test_client(), username)


def test_the_dublin_core_export_holds_only_the_public_records(security_app):
    archive = security_app.extensions["archive"]
    out = io.BytesIO()
    archive.oai.export_dc(SYSTEM, out, repository="Archive")
    root = assert_valid("dc_records", out.getvalue())
    ids = {r.findtext("{http://purl.org/dc/elements/1.1/}identifier") for r in root}
    assert ids == canaries.visible_to("public")
    text = out.getvalue().decode("utf-8")
    assert not found_in(text, canaries.hidden_from("public"))
    assert not found_in(text, set(canaries.accession_ids()) - ids)


# -- names in disguise ---------------------------------------------------------------------------

_counter = iter(range(10_000))


def _published_with(text: str) -> dict:
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    item = copy.deepcopy(raw["testimonies"][0])
    n = next(_counter)
    item.update(id=f"OAI-DG-{n:04d}", redactions=[], sensitive_terms=[], summary=text, keywords=[text[:60]])
    item["narrators"][0].update(id=f"N-OAI-DG-{n}", legal_name=f"Nobody {n}")
    raw["testimonies"] = [item]
    return raw


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([LATIN_TERM, ARABIC_TERM]).flatmap(text_with_disguise))
def test_a_disguised_name_never_reaches_a_harvester(gated_archive, case):
    text, _ = case
    try:
        gated_archive.transfer.import_document(SYSTEM, parse_document(_published_with(text), "disguise.json"))
    except ValidationError as exc:
        assert "sensitive terms unredacted" in str(exc)
    ctx = oai.Context("http://x/oai", "X", "x", "a@b.org")
    folded = " ".join(normalize(" ".join(etree.fromstring(body).itertext())) for body in (
        gated_archive.oai.respond(ANONYMOUS, {"verb": ["ListRecords"], "metadataPrefix": [prefix]}, ctx)
        for prefix in PREFIXES))
    out = io.BytesIO()
    gated_archive.oai.export_dc(SYSTEM, out, repository="X")
    folded_dc = normalize(" ".join(etree.fromstring(out.getvalue()).itertext()))
    for term in (LATIN_TERM, ARABIC_TERM):
        for word in normalize(term).split():
            assert word not in folded and word not in folded_dc, (text, word)


@pytest.fixture(scope="module")
def gated_archive(tmp_path_factory):
    from archive.services import Archive
    from tests.conftest import TODAY
    root = tmp_path_factory.mktemp("oai-disguise")
    archive = Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media", clock=lambda: TODAY)
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.sensitive.add(SYSTEM, LATIN_TERM, variants=[ARABIC_TERM], category="person")
    yield archive
    archive.close()
