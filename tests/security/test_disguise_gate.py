"""Issue 12, finding 1, end to end on the engine the suite runs with (both engines in `make test`):
a testimony arriving published with a disguised sensitive name is refused; had the scanner missed a
disguise, the public index must not find the name in it either."""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.errors import ValidationError
from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM
from archive.services import Archive
from tests.conftest import EXAMPLE, TODAY
from tests.security.disguises import ARABIC_TERM, LATIN_TERM, text_with_disguise


@pytest.fixture(scope="module")
def gated_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("disguise-gate")
    archive = Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media", clock=lambda: TODAY)
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.sensitive.add(SYSTEM, LATIN_TERM, variants=[ARABIC_TERM], category="person")
    yield archive
    archive.close()


_counter = iter(range(10_000))


def _published_with(text: str) -> dict:
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    item = copy.deepcopy(raw["testimonies"][0])
    n = next(_counter)
    item.update(id=f"DG-{n:04d}", redactions=[], sensitive_terms=[])
    item["narrators"][0].update(id=f"N-DG-{n}", legal_name=f"Nobody {n}")
    item["transcripts"][0].update(text=text, segments=[{"start": 0.0, "end": 10.0, "title": "", "synopsis": "",
                                                         "keywords": [], "text_start": 0, "text_end": len(text)}])
    raw["testimonies"] = [item]
    return raw


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([LATIN_TERM, ARABIC_TERM]).flatmap(text_with_disguise))
def test_a_disguised_name_never_reaches_public_search(gated_archive, case):
    text, _ = case
    try:
        gated_archive.transfer.import_document(SYSTEM, parse_document(_published_with(text), "disguise.json"))
    except ValidationError as exc:
        assert "sensitive terms unredacted" in str(exc)
        return
    for term in (LATIN_TERM, ARABIC_TERM):
        assert gated_archive.search.search(ANONYMOUS, f'"{term}"').total == 0, (text, term)
