"""The reader's page and the dashboard (issue 16): CSV export typed once with a BOM, the dashboard
without a command-line hint and with the index rebuild out of the primary buttons."""
from __future__ import annotations

import lxml.html


def test_the_csv_export_says_its_type_once_and_starts_with_a_bom(client):
    response = client.get("/search/export.csv", query_string={"q": "Raqqa"})
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert response.data.startswith(b"\xef\xbb\xbf") and response.data.count(b"\xef\xbb\xbf") == 1
    assert response.data[3:].decode("utf-8").startswith("accession_id") or b"," in response.data[:200]


def test_the_dashboard_keeps_maintenance_apart_and_shows_no_command_line(signed_in):
    page = signed_in("archivist").get("/staff/").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    assert "python -m app" not in page
    primary = [a.text_content().strip() for a in doc.xpath("//nav[@class='dashboard-actions']//a")]
    assert "Rebuild search indexes" not in primary and "New testimony" in primary
    rebuild = doc.xpath("//details[@id='maintenance']//button")
    assert rebuild and "secondary" in rebuild[0].get("class")
    assert doc.xpath("//p[@class='dashboard-exports']/a")                 # exports are links, not buttons
    assert "Accounts" not in primary
    admin = lxml.html.fromstring(signed_in("admin").get("/staff/").get_data(as_text=True))
    assert "Accounts" in [a.text_content().strip() for a in admin.xpath("//nav[@class='dashboard-actions']//a")]
