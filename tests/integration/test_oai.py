"""OAI-PMH 2.0 at /oai and the Dublin Core export: every response valid against the real OAI-PMH.xsd
(which holds oai_dc and the simple DC schema), every error condition of the protocol, cursors that
survive changes between pages, datestamps that follow what the public sees, withdrawals as deleted
records; and an independent harvester (Sickle) against the archive served on a loopback port."""
from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from lxml import etree
from werkzeug.serving import make_server

from archive import oai
from archive.identity import ANONYMOUS, SYSTEM, for_role
from archive.oai import OAI
from tests.conftest import TODAY
from tests.xml_schemas import assert_valid

NS = {"o": OAI, "dc": "http://purl.org/dc/elements/1.1/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}
OPEN = "OH-2015-0001"        # the example's open testimony
EMBARGOED = "OH-2015-0002"   # the example's embargoed one: never public
ID = "oai:localhost:{}"
ARCHIVIST = for_role("archivist", username="archivist")
REVIEWER = for_role("archivist", username="reviewer")


def harvest(client, method: str = "get", **params) -> etree._Element:
    """One OAI-PMH response, checked against OAI-PMH.xsd (and, inside it, oai_dc and simple DC)."""
    response = getattr(client, method)("/oai", **({"query_string": params} if method == "get" else {"data": params}))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return assert_valid("OAI-PMH", response.get_data())


def error_code(root) -> str | None:
    found = root.find("o:error", NS)
    return None if found is None else found.get("code")


def identifiers(root) -> list[tuple[str, bool]]:
    return [(h.findtext("o:identifier", namespaces=NS).rsplit(":", 1)[1], h.get("status") == "deleted")
            for h in root.iter(f"{{{OAI}}}header")]


def set_clock(archive, *moments):
    """The datestamps the next notes get, one per call of the clock."""
    it = iter(moments)
    archive.oai._clock = lambda: next(it)


# -- every verb, valid --------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["get", "post"])
def test_every_verb_answers_valid_oai_pmh(client, method):
    root = harvest(client, method, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:baseURL", namespaces=NS) == "http://localhost/oai"

    formats = harvest(client, method, verb="ListMetadataFormats")
    assert "oai_dc" in [p.text for p in formats.iter(f"{{{OAI}}}metadataPrefix")]
    assert error_code(harvest(client, method, verb="ListMetadataFormats", identifier=ID.format(OPEN))) is None

    sets = harvest(client, method, verb="ListSets")
    assert {"leaving-raqqa", "crossings"} <= {s.text for s in sets.iter(f"{{{OAI}}}setSpec")}

    listed = identifiers(harvest(client, method, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    ids = [i for i, _ in listed]
    assert OPEN in ids and EMBARGOED not in ids and not any(deleted for _, deleted in listed)
    records = harvest(client, method, verb="ListRecords", metadataPrefix="oai_dc")
    assert [i for i, _ in identifiers(records)] == ids

    record = harvest(client, method, verb="GetRecord", identifier=ID.format(OPEN), metadataPrefix="oai_dc")
    dc = record.find(".//oai_dc:dc", NS)
    assert_valid("oai_dc", etree.fromstring(etree.tostring(dc)))   # on its own too, against oai_dc.xsd
    assert dc.findtext("dc:identifier", namespaces=NS) == OPEN
    assert f"http://localhost/testimonies/{OPEN}" in [e.text for e in dc.findall("dc:identifier", NS)]
    assert dc.findtext("dc:title", namespaces=NS)
    assert dc.findtext("dc:publisher", namespaces=NS) == "Testimony Archive"


def test_a_set_selects_its_collection(client):
    root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="crossings")
    specs = {h.findtext("o:setSpec", namespaces=NS) for h in root.iter(f"{{{OAI}}}header")}
    assert specs == {"crossings"}


# -- every error condition ------------------------------------------------------------------------

ERRORS = [
    ({}, "badVerb"),
    ({"verb": "Nope"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "extra": "1"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-13-45"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01T00:00:00"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01",
      "until": "2021-01-01T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-01-01", "until": "2020-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "e30"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": ID.format(OPEN)}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": ID.format("OH-NOSUCH")}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere:" + OPEN}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": ID.format(EMBARGOED)}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": ID.format("OH-NOSUCH")}, "idDoesNotExist"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2100-01-01"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "1999-12-31"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "no-such-set"}, "noRecordsMatch"),
]


def test_every_error_condition_is_reported_valid(client):
    for params, code in ERRORS:
        root = harvest(client, **params)
        assert error_code(root) == code, (params, etree.tostring(root))
        request = root.find("o:request", NS)
        if code in ("badVerb", "badArgument"):
            assert not request.attrib, params     # the protocol: no arguments echoed for these
    # a token of one verb is refused by another
    token = _first_token(client, "ListIdentifiers")
    assert error_code(harvest(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"


def _first_token(client, verb: str) -> str:
    client.application.extensions["archive"].oai.page_size = 2
    root = harvest(client, verb=verb, metadataPrefix="oai_dc")
    return root.find(f".//o:resumptionToken", NS).text


def test_no_set_hierarchy_in_an_archive_nobody_may_read(archive):
    ctx = oai.Context("http://x/oai", "X", "x", "a@b.org")
    root = assert_valid("OAI-PMH", archive.oai.respond(ANONYMOUS, {"verb": ["ListSets"]}, ctx))
    assert error_code(root) == "noSetHierarchy"
    root = assert_valid("OAI-PMH", archive.oai.respond(ANONYMOUS, {"verb": ["ListRecords"],
                                                                    "metadataPrefix": ["oai_dc"]}, ctx))
    assert error_code(root) == "noRecordsMatch"


# -- pages, datestamps, deletions -----------------------------------------------------------------

def _all_pages(client, verb="ListIdentifiers", **params) -> list[tuple[str, bool]]:
    seen, root = [], harvest(client, verb=verb, metadataPrefix="oai_dc", **params)
    while True:
        seen += identifiers(root)
        token = root.find(f"o:{verb}/o:resumptionToken", NS)
        if token is None or not token.text:
            return seen
        root = harvest(client, verb=verb, resumptionToken=token.text)


def test_resumption_survives_an_insert_and_an_edit_between_pages(client):
    archive = client.application.extensions["archive"]
    archive.oai.page_size = 2
    before = [i for i, _ in _all_pages(client)]
    assert len(before) >= 5 and len(set(before)) == len(before)
    first = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    page1 = [i for i, _ in identifiers(first)]
    token = first.find("o:ListIdentifiers/o:resumptionToken", NS)
    assert token.get("cursor") == "0" and token.text
    # between pages: a new public testimony, and an edit of one already harvested and one not yet
    # (one whose summary the public reads: a withheld summary's edit changes nothing it sees; the
    # seeded records' order follows the seconds their import took, so it is looked for, not assumed)
    later = next(i for i in reversed(before[2:-1])
                 if archive.testimonies.get(ANONYMOUS, i)["summary"] == archive.testimonies.get(SYSTEM, i)["summary"])
    set_clock(archive, *[dt.datetime(2099, 1, 1, 0, 0, s) for s in range(3)])
    _publish_new(archive, "OH-2099-0001")
    archive.records.edit_testimony(ARCHIVIST, page1[0], summary="A summary the public now reads.")
    archive.records.edit_testimony(ARCHIVIST, later, summary="Another new public summary.")
    rest, root = [], harvest(client, verb="ListIdentifiers", resumptionToken=token.text)
    while True:
        rest += [i for i, _ in identifiers(root)]
        token = root.find("o:ListIdentifiers/o:resumptionToken", NS)
        if not token.text:
            assert token.get("cursor") and not token.attrib.get("completeListSize")
            break
        root = harvest(client, verb="ListIdentifiers", resumptionToken=token.text)
    # nothing unchanged is skipped or repeated; what changed comes again at the end, the new one too
    assert page1 == before[:2]
    assert rest == [i for i in before[2:] if i != later] + ["OH-2099-0001", page1[0], later]


def _publish_new(archive, accession: str) -> None:
    import json

    from archive.formats.json_format import parse_document
    from tests.conftest import EXAMPLE
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    testimony = dict(raw["testimonies"][0], id=accession)
    testimony["narrators"] = [dict(n, id="N-2099", legal_name="Nobody Here") for n in testimony["narrators"]]
    raw["testimonies"] = [testimony]
    archive.transfer.import_document(SYSTEM, parse_document(raw, "new.json"))


def _datestamp(client, accession: str) -> str:
    root = harvest(client, verb="GetRecord", identifier=ID.format(accession), metadataPrefix="oai_dc")
    return root.findtext(".//o:header/o:datestamp", namespaces=NS)


def test_the_datestamp_follows_what_the_public_sees(client):
    archive = client.application.extensions["archive"]
    set_clock(archive, *[dt.datetime(2030, 1, 1, 10, m) for m in range(10)])
    consent = archive.testimonies.get(SYSTEM, OPEN)["consent"]
    for who in ("someone", "someone else"):   # (the first may state permissions the import left unsaid)
        start = _datestamp(client, OPEN)
        archive.consent.record(ARCHIVIST, OPEN, "granted", "open", permissions=consent["permissions"],
                               date=consent["date"], obtained_by=who)
    # a change the public does not see (who obtained consent is for staff only) leaves it
    assert _datestamp(client, OPEN) == start
    archive.records.edit_testimony(ARCHIVIST, OPEN, summary="An edited public summary.")
    edited = _datestamp(client, OPEN)
    assert edited > start and edited.startswith("2030-01-01T10:0")
    view = archive.testimonies.get(SYSTEM, OPEN)
    word = view["transcripts"][0]["segments"][0]["text"].split()[0]
    redaction = archive.redactions.add(ARCHIVIST, OPEN, category="other", replacement="[x]", reason="test",
                                       visible_to="researcher", transcript=view["transcripts"][0]["key"],
                                       start=0, end=len(word), text=word)
    redacted = _datestamp(client, OPEN)
    assert redacted > edited        # proposed, it already hides the word from the public
    archive.redactions.approve(REVIEWER, OPEN, redaction["key"])
    assert _datestamp(client, OPEN) == redacted   # approving changes nothing the public sees
    # incremental harvests: from/until select by datestamp, at either granularity
    since = identifiers(harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2030-01-01"}))
    assert since == [(OPEN, False)]
    after = (dt.datetime.strptime(redacted, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert error_code(harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": after})) \
        == "noRecordsMatch"
    older = identifiers(harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2029-12-31"))
    assert OPEN not in [i for i, _ in older] and older


def test_a_withdrawal_and_a_purge_are_a_persistent_deleted_record(client):
    archive = client.application.extensions["archive"]
    set_clock(archive, dt.datetime(2031, 5, 5, 5, 5, 5), dt.datetime(2031, 6, 6))
    archive.consent.withdraw(ARCHIVIST, OPEN, "the narrator asked")
    root = harvest(client, verb="GetRecord", identifier=ID.format(OPEN), metadataPrefix="oai_dc")
    record = root.find(".//o:record", NS)
    assert record.find("o:header", NS).get("status") == "deleted" and record.find("o:metadata", NS) is None
    assert record.findtext("o:header/o:datestamp", namespaces=NS) == "2031-05-05T05:05:05Z"
    assert identifiers(harvest(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2031-01-01"})) \
        == [(OPEN, True)]
    archive.consent.purge(for_role("admin", username="admin"), OPEN, OPEN)
    assert identifiers(harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2031-01-01"})) \
        == [(OPEN, True)]
    assert "leaving-raqqa" in {s.text for s in harvest(client, verb="ListSets").iter(f"{{{OAI}}}setSpec")}


# -- an independent harvester against the served archive --------------------------------------------

@pytest.fixture
def served(app):
    """The app served by a real HTTP server on a loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai", app.extensions["archive"]
    finally:
        server.shutdown()
        thread.join()


def test_sickle_harvests_the_archive_and_sees_a_withdrawal_as_deleted(served):
    from sickle import Sickle
    from sickle.oaiexceptions import CannotDisseminateFormat, IdDoesNotExist, NoRecordsMatch

    url, archive = served
    archive.oai.page_size = 2     # several pages, resumed by the harvester
    harvester = Sickle(url, max_retries=0)
    assert harvester.Identify().deletedRecord == "persistent"
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    accessions = [r.header.identifier.rsplit(":", 1)[1] for r in records]
    assert len(accessions) >= 5 and len(set(accessions)) == len(accessions)
    assert OPEN in accessions and EMBARGOED not in accessions
    first = records[accessions.index(OPEN)]
    assert first.metadata["identifier"][0] == OPEN and not first.header.deleted
    assert {s.setSpec for s in harvester.ListSets()} >= {"leaving-raqqa"}

    set_clock(archive, dt.datetime(2040, 1, 1, 12, 0, 0))
    archive.consent.withdraw(ARCHIVIST, OPEN, "the narrator asked")
    changed = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False,
                                             **{"from": "2040-01-01T00:00:00Z"}))
    assert [(h.identifier.rsplit(":", 1)[1], h.deleted) for h in changed] == [(OPEN, True)]
    assert harvester.GetRecord(identifier=first.header.identifier, metadataPrefix="oai_dc").header.deleted
    assert [r for r in harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True,
                                             **{"from": "2040-01-01T00:00:00Z"})] == []
    with pytest.raises(IdDoesNotExist):
        harvester.GetRecord(identifier=ID.format(EMBARGOED).replace("localhost", "127.0.0.1"),
                            metadataPrefix="oai_dc")
    with pytest.raises(CannotDisseminateFormat):
        list(harvester.ListRecords(metadataPrefix="marc21"))
    with pytest.raises(NoRecordsMatch):
        list(harvester.ListRecords(metadataPrefix="oai_dc", **{"from": "2100-01-01"}))


# -- the Dublin Core export ---------------------------------------------------------------------------

def test_the_dublin_core_export_is_valid_simple_dc_of_public_testimonies_only(app):
    archive = app.extensions["archive"]
    out = io.BytesIO()
    written = archive.oai.export_dc(SYSTEM, out, repository="Testimony Archive",
                                    url_for=lambda a: f"https://archive.example.org/testimonies/{a}")
    root = assert_valid("dc_records", out.getvalue())
    ids = [r.findtext("dc:identifier", namespaces=NS) for r in root]
    public = [v["accession_id"] for v in archive.testimonies.list(ANONYMOUS)]
    assert written == len(ids) and sorted(ids) == sorted(public) and EMBARGOED not in ids
    assert "https://archive.example.org/testimonies/" + OPEN in root.itertext()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)   # the commands' part: the database's is above
def test_export_format_dc_and_cite_from_the_command_line(app, tmp_path):
    import os
    import subprocess

    from tests.integration.test_cli import PYTHON
    from tests.conftest import ROOT
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env.update(ARCHIVE_INSTANCE_PATH=app.config["INSTANCE_PATH"], ARCHIVE_DATABASE_URL=app.config["DATABASE_URL"],
               ARCHIVE_INDEX_DIR=app.config["INDEX_DIR"], ARCHIVE_MEDIA_DIR=app.config["MEDIA_DIR"],
               ARCHIVE_PUBLIC_URL="https://archive.example.org", ARCHIVE_SECRET_KEY="x", NO_COLOR="1")

    def run(*args):
        return subprocess.run([str(PYTHON), "-m", "app", "export", "--format", "dc", *args], cwd=ROOT, env=env,
                              capture_output=True, timeout=120, stdin=subprocess.DEVNULL)

    done = run("-o", str(tmp_path / "dc.xml"))
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    root = assert_valid("dc_records", (tmp_path / "dc.xml").read_bytes())
    assert f"https://archive.example.org/testimonies/{OPEN}" in root.itertext()
    assert EMBARGOED not in set(root.itertext())
    refused = run("--audience", "admin")
    assert refused.returncode == 1 and b"public" in refused.stderr and not refused.stdout
    assert b"Traceback" not in refused.stderr
    # citations for reference managers, from the command line (the public's view)
    cited = subprocess.run([str(PYTHON), "-m", "app", "cite", OPEN, "--style", "ris"], cwd=ROOT, env=env,
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert cited.returncode == 0 and cited.stdout.startswith(b"TY  - SOUND\r\n"), cited.stderr
    assert f"UR  - https://archive.example.org/testimonies/{OPEN}".encode() in cited.stdout


def test_the_about_page_tells_harvesters_where_to_go(client):
    page = client.get("/about").get_data(as_text=True)
    assert 'href="/oai?verb=Identify"' in page and "http://localhost/oai" in page


def test_a_page_costs_the_same_statements_whatever_it_holds(client):
    """No statement per record: a page of 2 and a page of 6 run as many (bench/oai.py times them)."""
    from sqlalchemy import event
    archive = client.application.extensions["archive"]
    counted = []
    event.listen(archive.db.engine, "before_cursor_execute", lambda *_: counted.append(1))
    costs = {}
    for size in (2, 6):
        archive.oai.page_size = size
        for verb, prefix in (("ListRecords", "oai_dc"), ("ListIdentifiers", "oai_dc"), ("ListRecords", "ohms")):
            counted.clear()
            response = client.get("/oai", query_string={"verb": verb, "metadataPrefix": prefix})
            root = assert_valid("OAI-PMH+ohms" if prefix == "ohms" else "OAI-PMH", response.get_data())
            assert len(identifiers(root)) == size
            costs[(verb, prefix, size)] = len(counted)
    assert costs[("ListRecords", "oai_dc", 2)] == costs[("ListRecords", "oai_dc", 6)] <= 12
    assert costs[("ListIdentifiers", "oai_dc", 2)] == costs[("ListIdentifiers", "oai_dc", 6)] <= 12
    # OHMS records carry the transcripts: loaded for the whole page too, never a testimony at a time
    assert costs[("ListRecords", "ohms", 2)] == costs[("ListRecords", "ohms", 6)], costs


def test_the_api_serves_a_public_testimonys_dublin_core_only(client):
    response = client.get(f"/api/v1/testimonies/{OPEN}/dc")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    dc = assert_valid("oai_dc", response.get_data())
    assert dc.findtext("dc:identifier", namespaces=NS) == OPEN
    assert client.get(f"/api/v1/testimonies/{EMBARGOED}/dc").status_code == 404
    assert client.get("/api/v1/testimonies/OH-NOSUCH/dc").status_code == 404


# -- OHMS as a metadata format ------------------------------------------------------------------

OHMS = "https://www.weareavp.com/nunncenter/ohms"


def test_ohms_is_offered_with_its_schema_and_namespace(client):
    formats = harvest(client, verb="ListMetadataFormats")
    offered = {f.findtext("o:metadataPrefix", namespaces=NS): (f.findtext("o:schema", namespaces=NS),
                                                               f.findtext("o:metadataNamespace", namespaces=NS))
               for f in formats.iter(f"{{{OAI}}}metadataFormat")}
    assert offered["ohms"] == (f"{OHMS}/ohms.xsd", OHMS)
    assert "oai_dc" in offered


def _ohms_harvest(client, **params) -> etree._Element:
    response = client.get("/oai", query_string=params)
    assert response.status_code == 200
    return assert_valid("OAI-PMH+ohms", response.get_data())


def test_get_record_and_list_records_give_the_public_ohms_valid_against_ohms_xsd(client):
    archive = client.application.extensions["archive"]
    record = _ohms_harvest(client, verb="GetRecord", identifier=ID.format(OPEN), metadataPrefix="ohms")
    roots = record.findall(f".//o:metadata/{{{OHMS}}}ROOT", NS)
    assert len(roots) == 1
    alone = assert_valid("ohms", etree.fromstring(etree.tostring(roots[0])))   # on its own, against ohms.xsd
    ohms = {"h": OHMS}
    assert alone.findtext("h:record/h:accession", namespaces=ohms) == OPEN
    assert alone.find("h:record", ohms).get("dt") == TODAY.isoformat()
    public = archive.testimonies.get(ANONYMOUS, OPEN)
    assert alone.findtext("h:record/h:title", namespaces=ohms) == public["title"]
    text = alone.findtext("h:record/h:transcript", namespaces=ohms) or \
        alone.findtext("h:record/h:vtt_transcript", namespaces=ohms)
    first_words = public["transcripts"][0]["segments"][0]["text"].split()[:3]
    assert text and all(word in text for word in first_words)
    # the same record as the public's OHMS download
    bare = etree.XMLParser(remove_blank_text=True)
    assert etree.tostring(etree.fromstring(etree.tostring(alone), bare)) == \
        etree.tostring(etree.fromstring(archive.exchange.ohms(ANONYMOUS, OPEN), bare))

    records = _ohms_harvest(client, verb="ListRecords", metadataPrefix="ohms")
    listed = [h.findtext("o:identifier", namespaces=NS) for h in records.iter(f"{{{OAI}}}header")]
    assert ID.format(OPEN) in listed and ID.format(EMBARGOED) not in listed
    assert len(records.findall(f".//o:metadata/{{{OHMS}}}ROOT", NS)) == len(listed)
    assert identifiers(_ohms_harvest(client, verb="ListIdentifiers", metadataPrefix="ohms")) == identifiers(records)
