"""The leak suite for history: revisions and diffs hold originals, so they never reach the public or a
researcher (nor an archivist, where only an admin may read an original), and no restore brings a
redacted original back below archivist. Runs on SQLite and PostgreSQL over the canary archive."""
from __future__ import annotations

import pytest

from archive.errors import PermissionDenied
from archive.identity import ANONYMOUS, SYSTEM, for_role
from tests.conftest import csrf_from
from tests.security import canaries
from tests.security.conftest import client_as
from tests.security.test_leaks import LOWER, _public_traces, api_search, as_text, found_in, index_leaks

OPEN = canaries.OPEN_ID        # R-1 CNRYSPANARC (archivist), R-2 CNRYSPANRES (researcher), R-5 CNRYSPANADM (admin)


def _history_urls(archive, accession: str) -> list[str]:
    ids = [r["id"] for r in archive.history.revisions(SYSTEM, accession)]
    base = f"/staff/testimonies/{accession}"
    return [f"{base}/history", f"{base}/history/diff", f"{base}/segments",
            *(f"{base}/history/diff?from={i}" for i in ids), *(f"{base}/history/diff?to={i}" for i in ids)]


def _redact(client, accession: str, text: str, word: str, visible_to: str):
    start = text.index(word)
    page = f"/staff/testimonies/{accession}"
    response = client.post(f"{page}/redactions", data={
        "csrf_token": csrf_from(client, page), "transcript": "t", "start": str(start), "end": str(start + len(word)),
        "text": word, "field": "", "category": "identifier", "replacement": "[withheld here]", "reason": "test",
        "visible_to": visible_to})
    assert response.status_code == 302, response.get_data(as_text=True)


def _transcript(accession: str) -> str:
    return next(t for t in canaries.build()["testimonies"] if t["id"] == accession)["transcripts"][0]["text"]


def _restore(client, accession: str, revision: int):
    page = f"/staff/testimonies/{accession}/history"
    return client.post(f"{page}/restore", data={"csrf_token": csrf_from(client, page), "revision": str(revision)})


def test_diff_pages_and_revisions_never_reach_public_or_researcher(security_app):
    app = security_app
    archive = app.extensions["archive"]
    archivist = client_as(app, "archivist")
    # a change whose diff holds an original: a new admin-only redaction of a word everyone could read
    _redact(archivist, OPEN, _transcript(OPEN), "CNRYVISIBLE", "admin")
    urls = [u for accession in sorted(canaries.accession_ids()) for u in _history_urls(archive, accession)]
    assert len(urls) > 40
    diff = as_text(archivist.get(f"/staff/testimonies/{OPEN}/history/diff"))
    # (the scan is not blind: the archivist's pages hold originals; an admin's hold the admin-only one)
    shown = found_in(diff, canaries.CANARIES) | found_in(
        as_text(archivist.get(f"/staff/testimonies/{OPEN}/segments")), canaries.CANARIES)
    assert {"CNRYSPANARC", "CNRYSPANRES"} <= shown and "CNRYSPANADM" not in shown
    admin_diff = as_text(client_as(app, "admin").get(f"/staff/testimonies/{OPEN}/history/diff"))
    assert "[withheld here]" in diff and "CNRYVISIBLE" not in diff and "CNRYVISIBLE" in admin_diff
    hidden_now = {"CNRYVISIBLE"}
    for audience in LOWER:
        client = client_as(app, audience)
        hidden = canaries.hidden_from(audience) | hidden_now
        for url in urls:
            response = client.get(url)
            assert response.status_code == (302 if audience == "public" else 403), (url, audience)
            assert not found_in(as_text(response), hidden), (url, audience)
            response.close()
        identity = ANONYMOUS if audience == "public" else for_role("researcher")
        for call in (lambda: archive.history.revisions(identity, OPEN), lambda: archive.history.diff(identity, OPEN),
                     lambda: archive.segments.editor(identity, OPEN), lambda: archive.history.audit_log(identity)):
            with pytest.raises(PermissionDenied):
                call()


def test_archivists_diffs_never_show_an_admin_only_original(security_app):
    archivist = client_as(security_app, "archivist")
    archive = security_app.extensions["archive"]
    hidden = canaries.hidden_from("archivist")
    assert "CNRYSPANADM" in hidden
    for url in _history_urls(archive, OPEN):
        response = archivist.get(url)
        assert response.status_code == 200, url
        assert not found_in(as_text(response), hidden), url


def test_a_restore_cannot_bring_a_redacted_original_back_below_archivist(security_app):
    app = security_app
    archive = app.extensions["archive"]
    archivist, reviewer = client_as(app, "archivist"), client_as(app, "reviewer")
    first = archive.history.revisions(SYSTEM, OPEN)[-1]["id"]
    # 1. raise R-2 (CNRYSPANRES) from researcher to archivist; a second archivist approves
    page = f"/staff/testimonies/{OPEN}"
    response = archivist.post(f"{page}/redactions/R-2/edit", data={
        "csrf_token": csrf_from(archivist, page), "replacement": "[held]", "reason": "closer", "category": "person",
        "visible_to": "archivist"})
    assert response.status_code == 302
    assert reviewer.post(f"{page}/redactions/R-2/approve", data={"csrf_token": csrf_from(reviewer, page)}).status_code == 302
    # 2. redact a word every audience could read (Ferrylantern) for archivists only
    _redact(archivist, OPEN, _transcript(OPEN), "Ferrylantern", "archivist")
    assert _public_traces(app, "public", "Ferrylantern", OPEN) == []
    # 3. the import revision predates both: its restore is refused, saying why, and changes nothing
    before = archive.transfer.export(SYSTEM, "admin")["testimonies"]
    count = len(archive.history.revisions(SYSTEM, OPEN))
    for client in (archivist, reviewer, client_as(app, "admin")):
        refused = _restore(client, OPEN, first)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 400 and "cannot restore" in body
        assert "R-2" in body and "a lower audience" in body and "restoring would show it again" in body
        assert not found_in(body, {"CNRYSPANRES", "Ferrylantern"})      # the reasons name keys, not words
    assert archive.transfer.export(SYSTEM, "admin")["testimonies"] == before
    assert len(archive.history.revisions(SYSTEM, OPEN)) == count
    researcher = client_as(app, "researcher")
    assert not found_in(as_text(researcher.get(f"/testimonies/{OPEN}")), {"CNRYSPANRES", "Ferrylantern"})
    assert not found_in(as_text(researcher.get(f"/api/v1/testimonies/{OPEN}")), {"CNRYSPANRES", "Ferrylantern"})
    assert api_search(researcher, "CNRYSPANRES")["total"] == 0
    for audience in LOWER:
        assert _public_traces(app, audience, "Ferrylantern", OPEN) == [], audience
        assert index_leaks(archive, audience, {"CNRYSPANRES", "Ferrylantern"}) == set(), audience


def test_an_allowed_restore_keeps_every_canary_where_it_was(security_app):
    """A restore that is not refused (undoing a segment edit) leaves the lower audiences reading what
    they read before: no hidden canary in their pages, searches or index files."""
    app = security_app
    archive = app.extensions["archive"]
    archivist = client_as(app, "archivist")
    first = archive.history.revisions(SYSTEM, OPEN)[-1]["id"]
    page = f"/staff/testimonies/{OPEN}/segments"
    response = archivist.post(f"{page}/describe", data={"csrf_token": csrf_from(archivist, page), "transcript": "t",
                                                        "seq": "0", "title": "Heronmarsh"})
    assert response.status_code == 302
    assert api_search(client_as(app, "public"), "Heronmarsh")["total"] == 1
    assert _restore(archivist, OPEN, first).status_code == 302
    for audience in LOWER:
        client = client_as(app, audience)
        assert api_search(client, "Heronmarsh")["total"] == 0
        hidden = canaries.hidden_from(audience)
        for url in (f"/testimonies/{OPEN}", f"/api/v1/testimonies/{OPEN}"):
            assert not found_in(as_text(client.get(url)), hidden), (url, audience)
        assert index_leaks(archive, audience, hidden) == set(), audience
