"""Citations for reference managers (issue 14): RIS and CSL-JSON, made from the audience view, offered on
the testimony page, the citation page, the API and the command line; each read back by an independent
parser (rispy for RIS, citeproc-py for CSL-JSON, which formats it in a real CSL style)."""
from __future__ import annotations

import json

import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

OPEN = "OH-2015-0001"


def _formatted(items: list[dict]) -> list[str]:
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


def test_ris_and_csl_json_are_offered_and_read_back(client):
    page = client.get(f"/testimonies/{OPEN}").get_data(as_text=True)
    assert f"/testimonies/{OPEN}/cite?style=ris&amp;download=1" in page
    assert f"/testimonies/{OPEN}/cite?style=csl-json&amp;download=1" in page
    view = client.get(f"/api/v1/testimonies/{OPEN}").get_json()
    narrators = [n["public_name"] for n in view["narrators"]]

    response = client.get(f"/testimonies/{OPEN}/cite", query_string={"style": "ris", "download": "1"})
    assert response.status_code == 200 and response.mimetype == "application/x-research-info-systems"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{OPEN}.ris"'
    text = response.get_data(as_text=True)
    assert text.startswith("TY  - SOUND\r\n") and text.endswith("ER  - \r\n")
    [entry] = rispy.loads(text)
    assert entry["title"] == view["title"] and entry["authors"] == narrators
    assert entry["accession_number"] == OPEN and entry["urls"] == [f"http://localhost/testimonies/{OPEN}"]
    assert view["interview_place"] not in text          # undisclosed places stay out of citations

    response = client.get(f"/testimonies/{OPEN}/cite", query_string={"style": "csl-json", "download": "1"})
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    items = json.loads(response.get_data())
    assert items[0]["type"] == "interview" and [a["literal"] for a in items[0]["author"]] == narrators
    [formatted] = _formatted(items)
    assert view["title"] in formatted and narrators[0] in formatted

    # a segment at its timecode; the citation page shows both formats
    segment = f"{view['transcripts'][0]['key']}-1"
    api = client.get(f"/api/v1/testimonies/{OPEN}/citation", query_string={"segment": segment}).get_json()
    assert api["csl-json"][0]["note"].startswith("Segment") and api["csl-json"][0]["id"] == f"{OPEN}-{segment}"
    assert "N1  - Segment" in api["ris"] and f"#seg-{segment}" in api["ris"]
    cite_page = client.get(f"/testimonies/{OPEN}/cite").get_data(as_text=True)
    assert 'id="cite-ris"' in cite_page and 'id="cite-csl-json"' in cite_page
    assert client.get(f"/testimonies/{OPEN}/cite", query_string={"style": "mla"}).status_code == 400


def test_a_hidden_testimony_has_no_citation_in_any_format(client):
    for style in ("ris", "csl-json"):
        assert client.get("/testimonies/OH-2015-0002/cite", query_string={"style": style}).status_code == 404
    assert client.get("/api/v1/testimonies/OH-2015-0002/citation").status_code == 404
