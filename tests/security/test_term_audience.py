"""Issue 12, finding 8: a sensitive term has an audience, like a redaction. The term itself (its name
and variants) is as dangerous as the name it protects, so an admin-only term is shown to admins only:
not on an archivist's pages, API, exports, revision diffs, dashboard or publication refusals. The
scanner still uses every term, whoever asks: the gate keeps protecting."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from archive.errors import PermissionDenied, ValidationError
from archive.formats.json_format import FORMAT, parse_document
from archive.identity import SYSTEM, for_role
from archive.model import Revision
from tests.conftest import csrf_from, export_by_job

ANN = for_role("archivist", 2, "ann")
ADA = for_role("admin", 4, "ada")
LEILA = "DEMO-2018-0007"            # published; "my brother Anas" unredacted, once, in transcript en
WIDE, WIDE_VARIANT = "Zorvath Quillan", "Qelmirak Vantu"
OWN_VARIANT = "Anasso Veldrin"       # only ever written in the term: its absence is the proof
CANARIES = (WIDE, WIDE_VARIANT, OWN_VARIANT)


def register(archive) -> tuple[dict, dict]:
    wide = archive.sensitive.add(SYSTEM, WIDE, variants=[WIDE_VARIANT], category="person", visible_to="admin")
    own = archive.sensitive.add(SYSTEM, "Anas", variants=[OWN_VARIANT], category="third party",
                                accession_id=LEILA, visible_to="admin")
    return wide, own


def leaks(value) -> list[str]:
    text = json.dumps(value, ensure_ascii=False)
    return [c for c in CANARIES if c in text]


def term_names(items) -> set[str]:
    return {t["term"] for t in items}


@pytest.fixture
def restricted(demo_archive):
    return (demo_archive, *register(demo_archive))


# -- the services -----------------------------------------------------------------------------------

def test_only_an_admin_adds_changes_or_removes_an_admin_only_term(restricted):
    archive, wide, own = restricted
    assert wide["visible_to"] == own["visible_to"] == "admin"
    with pytest.raises(PermissionDenied):
        archive.sensitive.add(ANN, "Velmora", visible_to="admin")
    with pytest.raises(PermissionDenied):
        archive.sensitive.edit(ANN, own["id"], term="Anas", variants=[], category="person")
    with pytest.raises(PermissionDenied):
        archive.sensitive.remove(ANN, wide["id"])
    with pytest.raises(PermissionDenied):
        archive.sensitive.redact_all(ANN, LEILA, own["id"], replacement="[brother]")
    mine = archive.sensitive.add(ANN, "Velmora")
    assert mine["visible_to"] == "archivist"
    with pytest.raises(PermissionDenied):          # nor raise one of theirs out of their own sight
        archive.sensitive.edit(ANN, mine["id"], term="Velmora", visible_to="admin")
    for audience in ("public", "researcher", "nobody"):
        with pytest.raises(ValidationError):
            archive.sensitive.add(ADA, "Velmora Two", visible_to=audience)
    # an edit that does not name the audience keeps it
    kept = archive.sensitive.edit(ADA, own["id"], term="Anas", variants=[OWN_VARIANT], category="person")
    assert kept["visible_to"] == "admin"
    lowered = archive.sensitive.edit(ADA, mine["id"], term="Velmora", visible_to="admin")
    assert lowered["visible_to"] == "admin"
    assert {mine["id"]} & {t["id"] for t in archive.sensitive.list(ANN)} == set()


def test_an_archivist_never_reads_an_admin_only_term(restricted):
    archive, wide, own = restricted
    assert WIDE not in term_names(archive.sensitive.list(ANN))
    assert "Anas" not in term_names(archive.sensitive.list(ANN, LEILA))
    assert {(t["term"], t["visible_to"]) for t in archive.sensitive.list(ADA)} >= {(WIDE, "admin")}
    assert "Anas" in term_names(archive.sensitive.list(ADA, LEILA))

    findings = archive.sensitive.findings(ANN, LEILA)
    assert leaks(findings) == []
    assert "Anas" not in term_names(findings["terms"])
    assert not [o for o in findings["occurrences"] if o["term_id"] == own["id"] or o["term"] == "Anas"]
    assert findings["restricted"] == 1              # that something is there is no secret; what it is is
    assert "Anas" in term_names(archive.sensitive.findings(ADA, LEILA)["terms"])

    dashboard = archive.dashboard.panels(ANN)["unredacted"]
    assert leaks(dashboard) == [] and "Anas" not in json.dumps(dashboard)
    (leila,) = [f for f in dashboard if f["accession_id"] == LEILA]
    assert "Anas" not in leila["terms"] and leila["restricted"] == 1 and leila["count"] >= 1
    assert ["Anas"] in [f["terms"] for f in archive.dashboard.panels(ADA)["unredacted"]]

    view = archive.testimonies.get(ANN, LEILA)
    assert "Anas" not in term_names(view["sensitive_terms"]) and leaks(view) == []
    assert "Anas" in term_names(archive.testimonies.get(ADA, LEILA)["sensitive_terms"])


def test_publishing_is_refused_for_every_caller_and_the_term_named_only_to_admins(restricted):
    archive, wide, own = restricted
    archive.testimonies.set_state(ANN, LEILA, "draft")
    with pytest.raises(ValidationError) as refused:
        archive.testimonies.set_state(ANN, LEILA, "published")
    assert "a term restricted to admins ×1 (transcript en)" in refused.value.message
    assert "Anas" not in refused.value.message
    with pytest.raises(ValidationError) as refused:
        archive.testimonies.set_state(ADA, LEILA, "published")
    assert "'Anas' ×1 (transcript en)" in refused.value.message


def test_an_archivist_export_leaves_admin_only_terms_out_and_an_admin_export_keeps_their_audience(restricted):
    archive, wide, own = restricted
    for_archivists = archive.transfer.export(ANN, "archivist")
    assert leaks(for_archivists) == []
    record = next(t for t in for_archivists["testimonies"] if t["id"] == LEILA)
    assert "Anas" not in term_names(record["sensitive_terms"])

    for_admins = archive.transfer.export(ADA, "admin")
    assert {"term": WIDE, "variants": [WIDE_VARIANT], "category": "person",
            "visible_to": "admin"} in for_admins["sensitive_terms"]
    record = next(t for t in for_admins["testimonies"] if t["id"] == LEILA)
    assert [s["visible_to"] for s in record["sensitive_terms"] if s["term"] == "Anas"] == ["admin"]


def test_the_json_format_reads_the_audience_and_only_an_admin_imports_an_admin_only_term(archive):
    document = {"format": FORMAT, "sensitive_terms": [
        {"term": "Velmora Tasq", "visible_to": "admin"}, {"term": "Ordinary Name"}]}
    parsed = parse_document(document)
    assert [s["visible_to"] for s in parsed["sensitive_terms"]] == ["admin", "archivist"]
    for audience in ("public", "researcher", "everyone"):
        with pytest.raises(ValidationError):
            parse_document({"format": FORMAT, "sensitive_terms": [{"term": "X", "visible_to": audience}]})
    with pytest.raises(PermissionDenied):
        archive.transfer.import_document(ANN, parse_document(document))
    assert archive.sensitive.list(ADA) == []
    archive.transfer.import_document(ADA, parse_document(document))
    assert {(t["term"], t["visible_to"]) for t in archive.sensitive.list(ADA)} == {
        ("Velmora Tasq", "admin"), ("Ordinary Name", "archivist")}


def test_a_revision_diff_shows_an_admin_only_term_to_admins_only(restricted):
    archive, wide, own = restricted
    with archive.db.session() as session:
        imported = session.scalar(select(Revision.id).where(Revision.accession_id == LEILA).order_by(Revision.id))
    for_archivist = archive.history.diff(ANN, LEILA, imported, "current")
    assert leaks(for_archivist) == [] and for_archivist["diff"]["sensitive_terms"] == []
    for_admin = archive.history.diff(ADA, LEILA, imported, "current")
    assert [s["key"] for s in for_admin["diff"]["sensitive_terms"]] == ["Anas"]


# -- the web app --------------------------------------------------------------------------------------

def test_the_staff_pages_api_and_export_show_an_admin_only_term_to_admins_only(app, signed_in):
    register(app.extensions["archive"])
    archivist, admin = signed_in("archivist"), signed_in("admin")
    pages = ["/staff/sensitive-terms", f"/staff/testimonies/{LEILA}", "/staff/", f"/api/v1/testimonies/{LEILA}",
             "export for archivists"]
    for url in pages:
        response = export_by_job(archivist, "archivist") if url.startswith("export") else archivist.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert [c for c in CANARIES if c in body] == [], url
    for url in ("/staff/sensitive-terms", "/staff/"):     # "Anas" is written nowhere else on these
        assert "Anas" not in archivist.get(url).get_data(as_text=True), url
    assert WIDE in admin.get("/staff/sensitive-terms").get_data(as_text=True)
    assert OWN_VARIANT in admin.get(f"/staff/testimonies/{LEILA}").get_data(as_text=True)
    assert OWN_VARIANT in admin.get(f"/api/v1/testimonies/{LEILA}").get_data(as_text=True)
    assert WIDE in export_by_job(admin, "admin").get_data(as_text=True)


def test_an_archivist_cannot_register_an_admin_only_term_through_the_form(app, signed_in):
    archivist, admin = signed_in("archivist"), signed_in("admin")
    data = {"term": "Velmora Tasq", "variants": "", "category": "person", "visible_to": "admin"}
    refused = archivist.post("/staff/sensitive-terms",
                             data={**data, "csrf_token": csrf_from(archivist, "/staff/sensitive-terms")})
    assert refused.status_code == 403
    done = admin.post("/staff/sensitive-terms", data={**data, "csrf_token": csrf_from(admin, "/staff/sensitive-terms")})
    assert done.status_code == 302
    archive = app.extensions["archive"]
    (term,) = [t for t in archive.sensitive.list(SYSTEM) if t["term"] == "Velmora Tasq"]
    assert term["visible_to"] == "admin"
    # the testimony page's edit form has no audience menu: saving it keeps the audience
    page = f"/staff/testimonies/{LEILA}"
    admin.post(f"{page}/sensitive-terms", data={"term": "Anas", "variants": "", "category": "person",
                                                "visible_to": "admin", "csrf_token": csrf_from(admin, page)})
    (own,) = archive.sensitive.list(SYSTEM, LEILA)
    admin.post(f"/staff/sensitive-terms/{own['id']}/edit", data={"term": "Anas", "variants": OWN_VARIANT,
                                                                 "category": "person", "csrf_token": csrf_from(admin, page)})
    (own,) = archive.sensitive.list(SYSTEM, LEILA)
    assert own["variants"] == [OWN_VARIANT] and own["visible_to"] == "admin"
    assert OWN_VARIANT not in signed_in("archivist").get(page).get_data(as_text=True)


def test_the_refusal_page_names_no_admin_only_term_to_an_archivist(app, signed_in):
    archive = app.extensions["archive"]
    register(archive)
    archive.testimonies.set_state(SYSTEM, LEILA, "draft")
    archivist = signed_in("archivist")
    page = f"/staff/testimonies/{LEILA}"
    refused = archivist.post(f"{page}/state", data={"state": "published", "csrf_token": csrf_from(archivist, page)})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True).replace("&#39;", "'")
    assert "a term restricted to admins ×1 (transcript en)" in body
    assert "'Anas'" not in body and OWN_VARIANT not in body


def test_an_edit_refused_by_the_gate_names_a_testimonys_admin_only_term_to_nobody(example_archive):
    published = "OH-2015-0001"
    example_archive.sensitive.add(ADA, "Velmora Tasq", accession_id=published, visible_to="admin")
    with pytest.raises(ValidationError) as refused:
        example_archive.records.edit_testimony(ANN, published, summary="She met Velmora Tasq there.")
    assert "a term restricted to admins ×1 (summary)" in refused.value.message
    assert "'Velmora Tasq'" not in refused.value.message
