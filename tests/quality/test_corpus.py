"""The judged corpus parses the way the judgements assume, and the judgements fit the corpus."""
import pytest

from archive.audience import Audience
from archive.formats.json_format import parse_document

from .corpus import REALDATA, demo_document, real_document, split_narratives, FLORIDA_HEADING
from .evaluation import load_judgements

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not beside the checkout")


@pytest.fixture(scope="module")
def real():
    return real_document()


def test_the_real_texts_make_a_valid_document_with_stable_ids(real):
    parse_document(real, "realdata")
    ids = [t["id"] for t in real["testimonies"]]
    assert ids == [t["id"] for t in real_document()["testimonies"]]
    counts = {prefix: sum(i.startswith(prefix) for i in ids) for prefix in ("WPA-FL-", "WPA-TX-", "AR-MUQ-", "AR-ED-")}
    assert counts == {"WPA-FL-": 28, "WPA-TX-": 27, "AR-MUQ-": 3, "AR-ED-": 1}


def test_narratives_are_split_at_their_narrators(real):
    titles = {t["id"]: t["title"] for t in real["testimonies"]}
    assert titles["WPA-FL-001"] == "Josephine Anderson"
    assert titles["WPA-FL-007"] == "Matilda Brooks"  # its subtitle is not a narrator
    assert titles["WPA-FL-017"] == '"Mama Duck"'  # three headings, one narrator
    assert titles["WPA-TX-013"] == "C.B. McRay"
    assert titles["AR-MUQ-002"].startswith("ابن حزم")
    # The next narrative's interviewer header stays out of this one.
    first = next(t for t in real["testimonies"] if t["id"] == "WPA-FL-001")["transcripts"][0]["text"]
    assert "FEDERAL WRITERS" not in first and "Rachel A. Austin" not in first


def test_quirks_of_the_files_do_not_reach_the_text(real):
    for t in real["testimonies"]:
        text = t["transcripts"][0]["text"]
        assert "\ufeff" not in text and "\r" not in text, t["id"]
        assert "[Illustration" not in text, t["id"]
        assert t["state"] == "published" and t["consent"]["scope"] == "open"


def test_split_narratives_on_a_small_volume():
    volume = "\n".join(["FRONT", "", "", "JANE DOE", "", "", '"Hello."', "", "", "REFERENCE", "", "Notes.",
                        "", "", "", "", "", "", "", "", "JOHN ROE", "", "", "Words.", ""])
    assert split_narratives(volume, FLORIDA_HEADING) == [("Jane Doe", '"Hello."'), ("John Roe", "Words.")]


def test_judgements_name_testimonies_their_audience_can_see(real):
    testimonies = {t["id"]: t for t in real["testimonies"] + demo_document()["testimonies"]}
    judged = load_judgements()
    assert 30 <= len(judged) <= 50
    assert len({(j.query, j.audience) for j in judged}) == len(judged)
    for j in judged:
        audience = Audience.parse(j.audience)
        assert j.relevant and j.note, j.query
        for accession, grade in j.relevant.items():
            assert grade in (1, 2, 3), (j.query, accession)
            t = testimonies[accession]
            consent = t["consent"]
            # The demo's embargoes (2020, 2031) are judged at the suite's clock, 2026-11-24.
            visible = (t["state"] == "published" and consent["status"] == "granted"
                       and audience >= {"open": Audience.PUBLIC, "researchers": Audience.RESEARCHER}.get(
                           consent["scope"], Audience.ARCHIVIST)
                       and (consent.get("embargo_until") or "0") < "2026-11-24")
            assert visible, (j.query, j.audience, accession)
