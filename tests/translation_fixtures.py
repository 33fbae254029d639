"""A small archive document with a transcript and its translation, for the translation gate's tests
(every door: import, form, the views) and the leak suite."""
from __future__ import annotations

import copy
import json
from pathlib import Path

CANARY = "Vesna Talrik"            # redacted in the original: a name no sensitive term registers
# The same name as a careless keyboard or an attacker writes it: a zero-width joiner, a Cyrillic "а".
DISGUISED = "Vesn\u0430\u200dTalrik"
ACCESSION = "TR-2020-0001"

EN_0 = f"Interviewer: Who met you?\nNarrator: {CANARY} met me at the river.\n"
EN_1 = "Narrator: Then we crossed at night.\n"
SK_0 = f"Anketár: Kto vás stretol?\nRozprávač: {CANARY} ma stretla pri rieke.\n"
SK_1 = "Rozprávač: Potom sme v noci prešli.\n"


def document(*, counterpart: str | None = "same", timed: bool = True, sk_text: str | None = None,
             state: str = "published", linked: bool = True) -> dict:
    """The document. counterpart: "same" (the translation's name redacted in the paired segment),
    "other" (redacted in the other segment only), None (not redacted)."""
    en = EN_0 + EN_1
    sk = sk_text if sk_text is not None else SK_0 + SK_1
    cut_en, cut_sk = len(EN_0), sk.index(SK_1) if SK_1 in sk else len(sk) // 2

    def segments(cut: int, total: int) -> list[dict]:
        times = [(0.0, 10.0), (10.0, 20.0)] if timed else [(None, None), (None, None)]
        return [{"start": times[0][0], "end": times[0][1], "title": "", "synopsis": "", "keywords": [],
                 "text_start": 0, "text_end": cut},
                {"start": times[1][0], "end": times[1][1], "title": "", "synopsis": "", "keywords": [],
                 "text_start": cut, "text_end": total}]
    redactions = [{"id": "R-1", "transcript": "en", "start": en.index(CANARY), "end": en.index(CANARY) + len(CANARY),
                   "text": CANARY, "category": "person", "reason": "at risk", "visible_to": "archivist",
                   "replacement": "[name withheld]", "state": "approved"}]
    if counterpart == "same" and CANARY in sk:
        at = sk.index(CANARY)
        redactions.append({"id": "R-2", "transcript": "sk", "start": at, "end": at + len(CANARY), "text": CANARY,
                           "category": "person", "reason": "at risk", "visible_to": "archivist",
                           "replacement": "[meno odstránené]", "state": "approved"})
    elif counterpart == "other":
        word = "noci"
        at = sk.index(word)
        redactions.append({"id": "R-2", "transcript": "sk", "start": at, "end": at + len(word), "text": word,
                           "category": "person", "reason": "at risk", "visible_to": "archivist",
                           "replacement": "[meno odstránené]", "state": "approved"})
    sk_record = {"id": "sk", "language": "sk", "kind": "translation" if linked else "original", "text": sk,
                 "segments": segments(cut_sk, len(sk))}
    if linked:
        sk_record.update(translation_of="en", translator="T. Prekladateľ", machine=False)
    return {
        "format": "testimony-archive/1",
        "collections": [{"id": "translated", "title": "Translated testimonies", "description": ""}],
        "authorities": [],
        "testimonies": [{
            "id": ACCESSION, "collection": "translated", "title": "Crossing the river",
            "summary": "A crossing at night.", "languages": ["en", "sk"], "state": state,
            "narrators": [{"id": "N-TR-1", "public_name": "Narrator"}],
            "consent": {"status": "granted", "scope": "open", "date": "2020-01-01",
                        "permissions": {"publish_transcript": True, "quote": True}},
            "transcripts": [{"id": "en", "language": "en", "kind": "original", "text": en,
                             "segments": segments(cut_en, len(en))}, sk_record],
            "redactions": redactions,
        }],
    }


def write(tmp_path: Path, doc: dict, name: str = "translated.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(copy.deepcopy(doc), ensure_ascii=False), encoding="utf-8")
    return path
