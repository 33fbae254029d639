"""The API's OpenAPI 3.1 description (/api/v1/openapi.json, generated from the routes) and schemathesis
against the served API: a bounded number of generated requests per operation, as the public and as a
signed-in researcher and archivist, each answer checked for no server error and for conformance of its status,
content type and body to the description."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.conftest import private_app, sign_in

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 8     # generated requests per operation (and per audience): enough to vary, bounded in time


@pytest.fixture(scope="module")
def api_app(seeded, tmp_path_factory):
    """One app over a copy of the seeded archive for the whole module (nothing here writes)."""
    with private_app("sqlite", *seeded("sqlite"), tmp_path_factory.mktemp("openapi"), None) as app:
        yield app


@pytest.fixture(scope="module")
def sessions(api_app) -> list[dict]:
    """The session cookies of a signed-in researcher and archivist (staff views hold more fields)."""
    return [{"archive_session": sign_in(api_app.test_client(), role).get_cookie("archive_session").value}
            for role in ("researcher", "archivist")]


@pytest.fixture(scope="module")
def api_schema(api_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)


OPERATIONS = ["/api/v1/", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/testimonies", "/api/v1/search",
              "/api/v1/suggest", "/api/v1/collections", "/api/v1/testimonies/{accession_id}",
              "/api/v1/testimonies/{accession_id}/citation", "/api/v1/testimonies/{accession_id}/dc",
              "/api/v1/testimonies/{accession_id}/ohms",
              "/api/v1/testimonies/{accession_id}/transcripts/{transcript}.{caption_format}"]
# Besides generated ones, ids of real records: public, researchers only, embargoed, withdrawn (410)
RECORDS = ["OH-2015-0001", "DEMO-2015-0003", "OH-2015-0002", "DEMO-2017-0011"]


@pytest.mark.parametrize("path", OPERATIONS)
def test_the_served_api_conforms_to_its_description(api_schema, sessions, path):
    operation = api_schema[path]["GET"]
    strategies = [operation.as_strategy()]
    if "{accession_id}" in path:
        fixed = {"transcript": "en"} if "{transcript}" in path else {}
        strategies += [operation.as_strategy(path_parameters={"accession_id": record, **fixed}) for record in RECORDS]
    for strategy in strategies:
        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(checks=CHECKS)
            for cookies in sessions:
                case.call_and_validate(checks=CHECKS, cookies=cookies)
        run()


def test_every_api_route_is_described_with_its_answers(api_app):
    doc = api_app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    routes = {(rule.rule, method) for rule in api_app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            described.add((path.replace("{", "<").replace("}", ">"), method.upper()))
            assert op["summary"] and op["operationId"]
            assert "200" in op["responses"] and "503" in op["responses"]
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == set(path.replace("}", "{").split("{")[1::2]), path
    assert described == routes
    assert set(doc["paths"]) == set(OPERATIONS)     # schemathesis tries each of them
    testimony = doc["paths"]["/api/v1/testimonies/{accession_id}"]["get"]["responses"]
    assert {"404", "410"} <= set(testimony)
    assert "session" in doc["components"]["securitySchemes"]


def test_the_docs_page_lists_every_operation_without_outside_scripts(api_app):
    doc = api_app.test_client().get("/api/v1/openapi.json").get_json()
    page = api_app.test_client().get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path, item in doc["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in html
    assert "Testimony" in html and "accession_id" in html
    assert "<script src=\"http" not in html and "cdn" not in html.lower()
