"""A dataset with canary words planted wherever something must stay hidden from lower audiences."""
from __future__ import annotations

import copy

OPEN = {"status": "granted", "scope": "open", "date": "2020-01-01", "obtained_by": "A",
        "permissions": {"publish_transcript": True, "publish_audio": True, "publish_images": True,
                        "quote": True, "attribute_real_name": False}}

# canary -> the lowest audience allowed to see it
CANARIES: dict[str, str] = {}


def _canary(word: str, lowest: str) -> str:
    CANARIES[word] = lowest
    return word


def _testimony(accession, title, text, *, consent=None, state="published", spans=(), fields=(),
               narrator=None, subjects=(), places=(), segment_title="Opening", keywords=()):
    """spans: (word, visible_to) pairs, each redacted wherever it first occurs in text."""
    redactions = []
    for n, (word, visible_to) in enumerate(spans, 1):
        start = text.index(word)
        redactions.append({"id": f"R-{n}", "transcript": "t", "start": start, "end": start + len(word),
                           "text": word, "category": "person", "reason": "test", "visible_to": visible_to,
                           "replacement": "[withheld]", "state": "approved"})
    for n, (field, visible_to) in enumerate(fields, len(redactions) + 1):
        redactions.append({"id": f"R-{n}", "field": field, "category": "place", "reason": "test",
                           "visible_to": visible_to, "replacement": "[undisclosed]", "state": "approved"})
    return {
        "id": accession, "collection": "canaries", "title": title, "summary": f"Summary of {title}.",
        "interview_date": "2016-05", "interview_place": "Nowhere in particular", "languages": ["en"],
        "subjects": list(subjects) or ["testing"], "places": list(places), "interviewers": ["I"],
        "narrators": [narrator or {"id": f"N-{accession}", "public_name": "Sami"}],
        "consent": copy.deepcopy(consent or OPEN), "state": state,
        "transcripts": [{"id": "t", "language": "en", "kind": "original", "text": text,
                         "segments": [{"start": 0, "end": 60, "title": segment_title,
                                       "keywords": list(keywords)}]}],
        "redactions": redactions, "sensitive_terms": [],
    }


def build() -> dict:
    CANARIES.clear()
    c = _canary
    hidden_whole = {
        "CAN-PENDING": {"consent": {**OPEN, "status": "pending"}, "state": "in_review"},
        "CAN-EMBARGO": {"consent": {**OPEN, "embargo_until": "2031-01-01"}},
        "CAN-WITHDRAWN": {"consent": {**OPEN, "status": "withdrawn", "withdrawn_date": "2024-02-02",
                                      "withdrawal_reason": "asked"}, "state": "withdrawn"},
        "CAN-ARCHIVE": {"consent": {**OPEN, "scope": "archive"}},
        "CAN-DRAFT": {"state": "draft"},
    }
    testimonies = [
        _testimony(
            "CAN-OPEN", "Crossing the river at night",
            "Interviewer: Who drove?\nSami: My cousin " + c("Zorvathel", "archivist") + " drove us, and "
            + c("Quelmaris", "researcher") + " waited at the mill. The river was cold.\n"
            "Sami: Later " + c("خزرقيل", "archivist") + " met us near the bridge and we crossed together.\n",
            spans=[("Zorvathel", "archivist"), ("Quelmaris", "researcher"), ("خزرقيل", "archivist")],
            fields=[("interview_place", "archivist")],
            narrator={"id": "N-OPEN", "public_name": "Sami", "legal_name": c("Brontovex", "archivist"),
                      "contact": c("Plimquast", "archivist"), "risk_notes": c("Vardenholm", "archivist")}),
        _testimony(
            "CAN-RESEARCH", "A ledger of names " + c("Yslothrin", "researcher"),
            "Interviewer: What did the ledger hold?\nNadia: Names, and the word " + c("Grevallion", "researcher")
            + " on every page.\n", consent={**OPEN, "scope": "researchers"},
            narrator={"id": "N-RES", "public_name": "Nadia"}),
        _testimony(
            "CAN-NOTRANSCRIPT", "A testimony whose transcript stays closed",
            "Interviewer: Tell us.\nRami: The password was " + c("Omblethar", "archivist") + ".\n",
            consent={**OPEN, "permissions": {**OPEN["permissions"], "publish_transcript": False}},
            narrator={"id": "N-NOTR", "public_name": "Rami"}),
    ]
    # The interview place of CAN-OPEN is field-redacted: plant a canary there.
    testimonies[0]["interview_place"] = c("Tarvesh", "archivist") + " safe house"
    testimonies[0]["sensitive_terms"] = [{"term": c("Wistrophel", "archivist"), "variants": [], "category": "person"}]
    for accession, extra in hidden_whole.items():
        word = c("Hid" + accession.split("-")[1].lower() + "xq", "archivist")
        title_word = c("Ttl" + accession.split("-")[1].lower() + "zq", "archivist")
        testimonies.append(_testimony(
            accession, f"Hidden {title_word}",
            f"Interviewer: Where?\n{word}: The crossing near {word} was closed.\n",
            narrator={"id": f"N-{accession}", "public_name": word},
            subjects=[c("Sbj" + accession.split("-")[1].lower() + "vq", "archivist")],
            places=["place:" + accession.lower()],
            segment_title=c("Seg" + accession.split("-")[1].lower() + "wq", "archivist"),
            keywords=[c("Kwd" + accession.split("-")[1].lower() + "yq", "archivist")], **extra))
    authorities = [{"id": "place:" + a.lower(), "type": "place",
                    "label": c("Plc" + a.split("-")[1].lower() + "uq", "archivist"), "variants": []}
                   for a in hidden_whole]
    return {"format": "testimony-archive/1",
            "collections": [{"id": "canaries", "title": "Canaries", "description": "Leak-test data."}],
            "authorities": authorities, "testimonies": testimonies}


def hidden_from(audience: str) -> set[str]:
    order = ["public", "researcher", "archivist", "admin"]
    return {word for word, lowest in CANARIES.items() if order.index(audience) < order.index(lowest)}


HIDDEN_ACCESSIONS = ("CAN-PENDING", "CAN-EMBARGO", "CAN-WITHDRAWN", "CAN-ARCHIVE", "CAN-DRAFT")
