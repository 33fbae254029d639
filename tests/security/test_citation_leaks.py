"""Leak suite for citations rendered by the CSL processor (issue 16): a narrator whose legal name is a
sensitive term, written disguised (look-alike letters, a zero-width space) in the narrator record and in
the transcript (redacted there), is cited by the public name only, in every format, whole or by segment,
for the public and a researcher; the undisclosed interview place stays out too."""
from __future__ import annotations

import datetime as dt

import pytest

from archive.audience import Audience
from archive.citation import STYLES, cite
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM, Identity
from archive.scanning import find_terms
from archive.services import Archive
from tests.conftest import TODAY
from tests.security.disguises import LATIN_TERM, TERMS, search_would_match
from tests.security.test_exchange_leaks import DISGUISED, _disguise_document
from tests.security.test_leaks import LOWER


@pytest.fixture(scope="module")
def cited(tmp_path_factory):
    root = tmp_path_factory.mktemp("cited")
    document = _disguise_document()
    document["testimonies"][0]["narrators"][0]["legal_name"] = DISGUISED
    archive = Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media", clock=lambda: TODAY)
    archive.init()
    archive.transfer.import_document(SYSTEM, parse_document(document, "cited.json"))
    yield archive
    archive.close()


def _citations(view: dict) -> dict[str, str]:
    return {f"{style} {segment}": cite(view, style, "https://archive.example.org/testimonies/DSG-1",
                                       repository="Riverside Library", accessed=dt.date(2026, 1, 2), segment=segment)
            for style in STYLES for segment in (None, "t-0")}


@pytest.mark.parametrize("audience", LOWER)
def test_a_disguised_narrator_name_never_leaves_in_a_citation(cited, audience):
    view = cited.testimonies.get(Identity(Audience.parse(audience), username="leak"), "DSG-1")
    for name, text in _citations(view).items():
        assert "Sami" in text, name
        assert not search_would_match(text, LATIN_TERM) and not find_terms(text, TERMS), name
        assert DISGUISED not in text and "zorvath" not in text.lower() and "quillan" not in text.lower(), name
        assert "Idoméni" not in text, name


def test_the_check_is_not_blind(cited):
    staff = cited.testimonies.get(Identity(Audience.ARCHIVIST, username="a"), "DSG-1")
    assert [n.get("legal_name") for n in staff["narrators"]] == [DISGUISED]
    assert find_terms(f"Sami ({DISGUISED}). “A crossing.”", TERMS)      # the scan flags the disguise
