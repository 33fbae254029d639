"""Dublin Core (the 15 elements of DCMES 1.1) of a testimony, made from its **public** audience view.

The mapping (README, "OAI-PMH and Dublin Core"):

    dc:title        the title (a redacted title is its replacement, as the public reads it)
    dc:creator      each narrator's public name (the narrator is the author of an oral history)
    dc:contributor  each interviewer, "Interviewer: <name>"
    dc:subject      the subjects, then the keywords
    dc:description  the summary
    dc:publisher    the repository (SITE_NAME)
    dc:date         the interview date, EDTF as recorded (left out when withheld or not a date)
    dc:type         "Oral history" and the DCMI type "Sound" (an interview is a sound recording first)
    dc:identifier   the accession id, and the testimony page's address when the archive has one
    dc:language     each language code
    dc:relation     "Part of: <collection title>"
    dc:coverage     each place mentioned, by its label (places the view hides are not there)
    dc:rights       the rights statement

Nothing else leaves: no interview place (undisclosed places keep narrators safe; the citations leave it
out for the same reason), no narrator role, birth year, gender or nationality, no transcript text.

`oai_dc(view)` is the `<oai_dc:dc>` element OAI-PMH carries; `simple_dc_document(records)` a file of
many records, each a `dc:elementContainer` (the container the simple DC schema offers), valid against
`dc_records.xsd` here, which imports the real simple DC schema.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable

from lxml import etree

from .. import edtf

DC = "http://purl.org/dc/elements/1.1/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
RECORDS = "urn:testimony-archive:dc-records"
RECORDS_SCHEMA = Path(__file__).with_name("dc_records.xsd")
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# Characters XML 1.0 cannot hold (lxml refuses them): dropped, never a half-written document.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text) -> str:
    return _NOT_XML.sub("", str(text)).strip()


def _date(value) -> str | None:
    """The interview date if it is one (a withheld date is its replacement text: not a date)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        edtf.parse(value)
    except edtf.EdtfError:
        return None
    return value.strip()


def elements(view: dict, *, repository: str, url: str | None = None) -> list[tuple[str, str]]:
    """(element, value) pairs of the mapping above, in DCMES order of the mapping, from a public view."""
    if view.get("audience") != "public":
        raise ValueError("Dublin Core is made from the public audience view only")
    out: list[tuple[str, str]] = [("title", view.get("title") or "")]
    out += [("creator", n["public_name"]) for n in view.get("narrators", []) if n.get("public_name")]
    interviewers = view.get("interviewers")
    if isinstance(interviewers, list):
        out += [("contributor", f"Interviewer: {name}") for name in interviewers if name]
    out += [("subject", s) for s in [*view.get("subjects", []), *view.get("keywords", [])] if s]
    if view.get("summary"):
        out.append(("description", view["summary"]))
    out.append(("publisher", repository))
    date = _date(view.get("interview_date"))
    if date:
        out.append(("date", date))
    out += [("type", "Oral history"), ("type", "Sound")]
    out.append(("identifier", view["accession_id"]))
    if url:
        out.append(("identifier", url))
    out += [("language", code) for code in view.get("languages", []) if code]
    out.append(("relation", f"Part of: {view['collection']['title']}"))
    out += [("coverage", p["label"]) for p in view.get("places", []) if p.get("label")]
    if view.get("rights"):
        out.append(("rights", view["rights"]))
    return [(name, clean(value)) for name, value in out if clean(value)]


def _fill(parent, pairs: list[tuple[str, str]]) -> None:
    for name, value in pairs:
        etree.SubElement(parent, f"{{{DC}}}{name}").text = value


def oai_dc(view: dict, *, repository: str, url: str | None = None) -> etree._Element:
    """The `<oai_dc:dc>` element of one testimony (OAI-PMH's metadata format oai_dc)."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} {OAI_DC_SCHEMA}")
    _fill(root, elements(view, repository=repository, url=url))
    return root


def record(view: dict, *, repository: str, url: str | None = None) -> etree._Element:
    """One `<record>` of the simple Dublin Core file: a container of dc:* elements."""
    element = etree.Element(f"{{{RECORDS}}}record", nsmap={None: RECORDS, "dc": DC})
    _fill(element, elements(view, repository=repository, url=url))
    return element


def simple_dc_document(views: Iterable[dict], *, repository: str,
                       url_for: Callable[[str], str | None] = lambda _: None) -> bytes:
    """Many testimonies as simple Dublin Core: `<records>` of `<record>`s holding dc:* elements."""
    root = etree.Element(f"{{{RECORDS}}}records", nsmap={None: RECORDS, "dc": DC})
    for view in views:
        root.append(record(view, repository=repository, url=url_for(view["accession_id"])))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
