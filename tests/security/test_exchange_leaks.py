"""Leak suite for OHMS XML, WebVTT and SRT out (issue 14): made from the audience view, they hold no
hidden canary (plain or disguised), no GPS point of an undisclosed place, no outside recording that
plays a redacted name; a withdrawn testimony is not exportable, by the web, the API or the CLI."""
from __future__ import annotations

import io

import pytest
import webvtt
from click.testing import CliRunner

from archive.audience import Audience
from archive.errors import NotFound
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM, Identity
from archive.services import Archive
from tests.conftest import TODAY
from tests.security import canaries
from tests.security.conftest import client_as
from tests.security.disguises import LATIN_TERM, search_would_match
from tests.security.test_leaks import LOWER, as_text, found_in

FORMATS = ("vtt", "srt")


def _exports(client, accession: str, keys) -> dict[str, object]:
    """Every exchange file of a testimony that a client asks for, by label."""
    out = {f"{prefix}ohms {accession}": client.get(f"{prefix}/testimonies/{accession}/{name}")
           for prefix, name in (("", "ohms.xml"), ("/api/v1", "ohms"))}
    for key in keys:
        for fmt in FORMATS:
            for prefix in ("", "/api/v1"):
                out[f"{prefix}{key}.{fmt} {accession}"] = client.get(
                    f"{prefix}/testimonies/{accession}/transcripts/{key}.{fmt}")
    return out


@pytest.mark.parametrize("audience", LOWER)
def test_ohms_and_captions_hold_no_hidden_canary(security_app, audience):
    """(test_leaks.test_no_route_shows_a_hidden_canary asks these routes for every testimony, transcript
    and format; here, the files a reader gets of the two testimonies with redactions, and proof the
    scan is not blind: the archivist's files hold what the redactions hide from lower audiences)"""
    app = security_app
    hidden = canaries.hidden_from(audience)
    client, staff = client_as(app, audience), client_as(app, "archivist")
    for accession, key in ((canaries.OPEN_ID, "t"), (canaries.EXAMPLE_OPEN_ID, "en")):
        files = _exports(client, accession, (key,))
        assert {r.status_code for r in files.values()} == {200}
        text = "".join(as_text(r) for r in files.values())
        assert not found_in(text, hidden), found_in(text, hidden)
        staff_text = "".join(as_text(r) for r in _exports(staff, accession, (key,)).values())
        assert found_in(staff_text, hidden - canaries.hidden_from("archivist"))


@pytest.mark.parametrize("audience", LOWER)
def test_a_withdrawn_testimony_is_not_exportable(security_app, audience, monkeypatch):
    app = security_app
    archive = app.extensions["archive"]
    client = client_as(app, audience)
    accession = canaries.WITHDRAW_ID
    assert all(r.status_code == 200 for r in _exports(client, accession, ("t",)).values())
    archive.consent.withdraw(SYSTEM, accession, "leak test")
    assert {r.status_code for r in _exports(client, accession, ("t",)).values()} == {404}
    identity = Identity(Audience.parse(audience), username="leak")
    with pytest.raises(NotFound):
        archive.exchange.ohms(identity, accession)
    with pytest.raises(NotFound):
        archive.exchange.captions(identity, accession, "t", "vtt")
    # the command line answers with one line, no file and no traceback
    from app import cli as cli_module
    monkeypatch.setattr(cli_module, "_archive", lambda: archive)
    for args in (["--format", "ohms"], ["--format", "vtt"], ["--format", "srt", "--transcript", "t"]):
        result = CliRunner().invoke(cli_module.cli, ["export", *args, "--audience", audience, accession])
        assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and "<ROOT" not in result.output and "-->" not in result.output


# -- disguised names, GPS points, links and the recording's address ---------------------------------

DISGUISED = "Zоrvаth\u200bQuillan"           # Cyrillic о and а, a zero-width space: the name to a reader
HIDDEN_PLACE = "Marlowe Crossing"              # redacted from the text: an undisclosed place
PLACE_DISGUISED = "Marlоwe\u00adCrossing"      # Cyrillic о and a soft hyphen


def _disguise_document() -> dict:
    text = (f"Sami: We met {DISGUISED} at dawn.\n"
            f"Sami: He took us to {HIDDEN_PLACE} before the checkpoint opened.\n"
            "Sami: Then we walked along the river to the town.\n")
    spans = []
    for key, word, visible_to in (("R-1", DISGUISED, "archivist"), ("R-2", HIDDEN_PLACE, "archivist")):
        start = text.index(word)
        spans.append({"id": key, "transcript": "t", "start": start, "end": start + len(word), "text": word,
                      "category": "person", "reason": "test", "visible_to": visible_to,
                      "replacement": "[withheld]", "state": "approved"})
    lines = text.splitlines(keepends=True)
    cues, at = [], 0
    for n, line in enumerate(lines):
        cues.append([at, at + len(line.rstrip("\n")), n * 10.0, n * 10.0 + 9])
        at += len(line)
    gps = [{"lat": 41.1, "lon": 22.5, "zoom": 10, "label": HIDDEN_PLACE},
           {"lat": 41.2, "lon": 22.6, "zoom": 10, "label": PLACE_DISGUISED},
           {"lat": 41.3, "lon": 22.7, "zoom": None, "label": ""},            # unlabelled: may be anywhere
           {"lat": 41.4, "lon": 22.8, "zoom": 9, "label": "Riverside park"}]
    links = [{"url": "https://example.org/marlowe-crossing", "text": "Interview with the smuggler"},
             {"url": "https://example.org/other", "text": f"More on {PLACE_DISGUISED}"},
             {"url": "https://example.org/ferries", "text": "Ferries of the river"}]
    return {"format": "testimony-archive/1", "collections": [{"id": "disguise", "title": "Crossings"}],
            "testimonies": [{
                "id": "DSG-1", "collection": "disguise", "title": "A crossing", "languages": ["en"],
                "state": "published", "media_url": "https://media.example.org/dsg-1.mp3",
                "interview_place": "Idoméni", "repository": "Riverside Library",
                "narrators": [{"id": "N-DSG-1", "public_name": "Sami"}],
                "consent": {"status": "granted", "scope": "open", "date": "2020-01-01",
                            "permissions": {"publish_transcript": True, "publish_audio": True}},
                "transcripts": [{"id": "t", "language": "en", "text": text, "cues": cues, "segments": [
                    {"start": 0.0, "end": 30.0, "title": "The crossing", "text_start": 0,
                     "gps": gps, "hyperlinks": links}]}],
                "redactions": [*spans, {"id": "R-3", "field": "interview_place", "category": "place",
                                        "reason": "test", "visible_to": "archivist",
                                        "replacement": "[undisclosed]", "state": "approved"}],
                "sensitive_terms": [{"term": LATIN_TERM, "variants": [], "category": "person"}]}]}


@pytest.fixture(scope="module")
def disguised(tmp_path_factory):
    """One archive (SQLite: what is tested here is the views and the writers, the same on both
    databases) holding the disguise testimony, shared by the tests below."""
    root = tmp_path_factory.mktemp("disguise")
    archive = Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media", clock=lambda: TODAY)
    archive.init()
    archive.transfer.import_document(SYSTEM, parse_document(_disguise_document(), "disguise.json"))
    yield archive
    archive.close()


@pytest.mark.parametrize("audience", LOWER)
def test_disguised_names_and_undisclosed_places_never_leave_in_ohms_or_captions(disguised, audience):
    identity = Identity(Audience.parse(audience), username="leak")
    files = {"ohms": disguised.exchange.ohms(identity, "DSG-1").decode("utf-8"),
             **{fmt: disguised.exchange.captions(identity, "DSG-1", "t", fmt) for fmt in FORMATS}}
    for name, text in files.items():
        assert not search_would_match(text, LATIN_TERM), name
        assert DISGUISED not in text and "zorvath" not in text.lower(), name
        assert "marlowe" not in text.lower() and "Marlоwe" not in text, name
        assert "Idoméni" not in text and "dsg-1.mp3" not in text, name   # withheld place; recording
    ohms = files["ohms"]
    # the one labelled point of no hidden place, and the links that name nothing hidden, remain
    assert ohms.count("<gpspoints>") == 1 and "Riverside park" in ohms
    assert "Ferries of the river" in ohms and "More on" not in ohms and "smuggler" not in ohms
    # every cue is still there, timed, its text redacted
    for fmt in FORMATS:
        cues = webvtt.from_buffer(io.StringIO(files[fmt]), format=fmt).captions
        assert [c.start for c in cues] == ["00:00:00.000", "00:00:10.000", "00:00:20.000"]
        assert "[withheld]" in cues[0].text


def test_the_archivist_exports_hold_everything(disguised):
    ohms = disguised.exchange.ohms(Identity(Audience.ARCHIVIST, username="a"), "DSG-1").decode("utf-8")
    assert DISGUISED in ohms and HIDDEN_PLACE in ohms and "dsg-1.mp3" in ohms
    assert ohms.count("<gpspoints>") == 4 and ohms.count("<hyperlinks>") == 3


def test_a_sensitive_name_in_a_gps_label_or_link_stops_publication(disguised):
    archive = disguised
    document = _disguise_document()
    document["testimonies"][0]["id"] = "DSG-2"
    point = document["testimonies"][0]["transcripts"][0]["segments"][0]
    point["gps"] = [{"lat": 1.0, "lon": 2.0, "zoom": 3, "label": f"farm of {DISGUISED}"}]
    with pytest.raises(Exception, match="sensitive terms unredacted"):
        archive.transfer.import_document(SYSTEM, parse_document(document, "gps.json"))
    point["gps"], point["hyperlinks"] = [], [{"url": "https://example.org/x", "text": f"{DISGUISED} speaks"}]
    with pytest.raises(Exception, match="sensitive terms unredacted"):
        archive.transfer.import_document(SYSTEM, parse_document(document, "links.json"))
