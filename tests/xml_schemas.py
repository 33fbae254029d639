"""The real XML schemas of ../shared/realdata, loaded offline: libxml2 resolves their remote
schemaLocations through the OASIS catalog named by XML_CATALOG_FILES (set in tests/conftest.py before
lxml first reads a catalog)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

REALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"
CATALOG = REALDATA / "schemas_catalog" / "catalog.xml"
XSD = {
    "OAI-PMH": REALDATA / "scihist_digicoll" / "xsd" / "OAI-PMH.xsd",
    "oai_dc": REALDATA / "scihist_digicoll" / "xsd" / "oai_dc.xsd",
    "ohms": REALDATA / "scihist_digicoll" / "xsd" / "ohms.xsd",
    "dc_records": Path(__file__).resolve().parent.parent / "archive" / "formats" / "dc_records.xsd",
}


# OAI-PMH.xsd holds its metadata strictly (processContents="strict"): a response carrying another
# format validates against a schema that imports both, OAI-PMH.xsd (with oai_dc) and that format's.
COMBINED = {"OAI-PMH+ohms": (("http://www.openarchives.org/OAI/2.0/", "OAI-PMH"),
                             ("https://www.weareavp.com/nunncenter/ohms", "ohms"))}


@lru_cache(maxsize=None)
def schema(name: str) -> etree.XMLSchema:
    # no_network: a schemaLocation the catalog does not map fails here instead of being fetched
    parser = etree.XMLParser(no_network=True)
    if name in COMBINED:
        imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{XSD[part].as_uri()}"/>'
                          for ns, part in COMBINED[name])
        wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
        return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser))
    return etree.XMLSchema(etree.parse(str(XSD[name]), parser))


def assert_valid(name: str, document: bytes | etree._Element) -> etree._Element:
    """The document parsed, after checking it against the named schema (the errors listed if not)."""
    root = etree.fromstring(document) if isinstance(document, bytes) else document
    checker = schema(name)
    if not checker.validate(root):
        raise AssertionError(f"not valid against {name}:\n" + "\n".join(str(e) for e in checker.error_log))
    return root
