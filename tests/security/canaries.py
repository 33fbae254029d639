"""A canary dataset: unique words planted in every place that must stay hidden from lower audiences.

`build()` returns a document in the archive's JSON format ("testimony-archive/1") that
`archive.formats.json_format.parse_document` accepts. Every canary is a word that occurs nowhere
else, so finding it (raw or in any encoding) in something a lower audience received is a leak.
`CANARIES` maps each canary to the lowest audience allowed to see it; `hidden_from(audience)`
is the set that audience must never see. Span offsets are computed here, never written by hand.

Most canaries are single alphabetic tokens (the analysers split on punctuation and digits); a few
are phrases ("the ford by CNRYSPANMULTI farm", and the names the example file redacts, which the
security app imports next to this document: see `EXAMPLE_SECRETS`).
"""
from __future__ import annotations

import copy
import datetime as dt

from tests.conftest import TODAY

ORDER = ("public", "researcher", "archivist", "admin")

# canary -> lowest audience that may see it (filled by build())
CANARIES: dict[str, str] = {}
# words that the named audience (and those above) must see: proof that the scans are not blind
VISIBLE: dict[str, str] = {
    "CNRYVISIBLE": "public",        # plain transcript word of the open testimony
    "Ferrylantern": "public",       # redacted later through the web (dynamic test)
    "Oxbowquill": "public",         # its testimony's consent is withdrawn through the web
    "CNRYPASTEMB": "public",        # an embargo that ended today
    "CNRYNOTRTITLE": "public",      # title of the testimony whose transcript is withheld
}

COLLECTION = "cnry-river"           # visible collection
HIDDEN_COLLECTION = "cnry-sealed"   # holds only testimonies nobody below archivist may see
RESEARCH_COLLECTION = "cnry-ledgers"  # holds only the researchers-scope testimony

OPEN_ID = "CNRY-OPEN"                 # published, open; span and field redactions, restricted fields
WITHDRAW_ID = "CNRY-WITHDRAW-LATER"   # published, open; the dynamic withdrawal test withdraws it
RESEARCH_ID = "CNRY-RESEARCH"         # published, researchers scope
NOTRANSCRIPT_ID = "CNRY-NOTRANSCRIPT"  # published, open, publish_transcript = false
PAST_EMBARGO_ID = "CNRY-PASTEMBARGO"   # published, open, embargo ended today (visible)
MISSING_ID = "CNRY-NOSUCH"             # never imported

# /work/shared/examples/archive-v1.json, imported next to the canaries: what it hides, from whom
EXAMPLE_OPEN_ID = "OH-2015-0001"       # open; span and field redactions
EXAMPLE_EMBARGOED_ID = "OH-2015-0002"  # researchers scope, embargoed until 2030: archivists only
EXAMPLE_COLLECTION = "leaving-raqqa"
EXAMPLE_SECRETS = {
    "Khaled Haddad": "archivist", "Khaled": "archivist", "Haddad": "archivist",   # span R-1
    "Khalid Haddad": "archivist", "Khalid": "archivist", "خالد حداد": "archivist",  # its sensitive term
    "the farm near Suluk": "researcher", "Suluk": "researcher",                  # span R-2
    "Gaziantep": "archivist",                                                     # field R-3
    "EXAMPLE-LEGAL-NAME-1": "archivist", "EXAMPLE-CONTACT-1": "archivist",        # restricted fields
    "EXAMPLE-LEGAL-NAME-2": "archivist", "سامر العلي": "archivist", "سامر": "archivist",  # embargoed
}

# hidden-as-a-whole testimonies: kind -> (accession id, Latin tag, Arabic tag)
HIDDEN = {
    "pending": ("CNRY-PENDING", "PEND", "معلق"),
    "embargoed": ("CNRY-EMBARGO", "EMBG", "حظر"),
    "embargo-tomorrow": ("CNRY-EMBARGO-TOMORROW", "TMRW", "غدا"),
    "withdrawn": ("CNRY-WITHDRAWN", "WDRN", "سحب"),
    "archive-only": ("CNRY-ARCHIVE", "ARCV", "ارشف"),
    "draft": ("CNRY-DRAFT", "DRFT", "مسود"),
    "in-review": ("CNRY-INREVIEW", "RVEW", "مرجع"),
}

PERMISSIONS = {"publish_transcript": True, "publish_audio": True, "publish_images": True,
               "quote": True, "attribute_real_name": False}


def _c(word: str, lowest: str) -> str:
    assert lowest in ORDER[1:], lowest
    assert word not in CANARIES, f"duplicate canary {word}"
    CANARIES[word] = lowest
    return word


def _consent(**changes) -> dict:
    consent = {"status": "granted", "scope": "open", "date": "2020-01-01", "obtained_by": "Interviewer A",
               "embargo_until": None, "permissions": dict(PERMISSIONS)}
    consent.update(changes)
    return consent


def _span(text: str, word: str, visible_to: str, key: str, *, replacement: str = "[withheld]",
          reason: str = "test", transcript: str = "t") -> dict:
    start = text.index(word)
    assert text.count(word) == 1, f"{word!r} must occur once in its transcript"
    return {"id": key, "transcript": transcript, "start": start, "end": start + len(word), "text": word,
            "category": "person", "reason": reason, "visible_to": visible_to,
            "replacement": replacement, "state": "approved"}


def _field(field: str, visible_to: str, key: str, replacement: str) -> dict:
    return {"id": key, "field": field, "category": "place", "reason": "test", "visible_to": visible_to,
            "replacement": replacement, "state": "approved"}


def _base(accession: str, collection: str, title: str, text: str, **extra) -> dict:
    t = {"id": accession, "collection": collection, "title": title, "summary": "",
         "interview_date": "2016-05", "interview_place": None, "languages": ["en"],
         "subjects": ["river crossings"], "keywords": [], "places": ["place:cnry-riverton"],
         "interviewers": ["Interviewer A"], "rights": "CC BY-NC 4.0", "state": "published",
         "narrators": [{"id": f"N-{accession}", "public_name": "Sami"}], "consent": _consent(),
         "transcripts": [{"id": "t", "language": "en", "kind": "original", "text": text,
                          "segments": [{"start": 0.0, "end": 60.0, "title": "The river", "keywords": ["river"]}]}],
         "redactions": [], "sensitive_terms": []}
    t.update(extra)
    return t


def _open_testimony() -> dict:
    span_arc, span_res, span_adm = _c("CNRYSPANARC", "archivist"), _c("CNRYSPANRES", "researcher"), \
        _c("CNRYSPANADM", "admin")
    span_ar, span_harakat = _c("كناريسري", "archivist"), _c("كَنارِيحَرَكة", "archivist")
    multi = _c("CNRYSPANMULTI", "archivist")
    text = (
        "Interviewer: Who drove the boat?\n"
        f"Sami: My cousin {span_arc} drove us, and {span_res} waited at the mill. The CNRYVISIBLE "
        "river was cold and the Ferrylantern was out.\n"
        f"Sami: Later {span_ar} met us near the bridge, and {span_harakat} carried the bags.\n"
        f"Sami: The code word was {span_adm}. We crossed at the ford by {multi} farm, then walked.\n"
    )
    multi_phrase = f"the ford by {multi} farm"
    redactions = [
        _span(text, span_arc, "archivist", "R-1", replacement="[name withheld]",
              reason=_c("CNRYREASON", "archivist")),
        _span(text, span_res, "researcher", "R-2", replacement="[name withheld]"),
        _span(text, span_ar, "archivist", "R-3", replacement="[اسم محجوب]"),
        _span(text, span_harakat, "archivist", "R-4", replacement="[اسم محجوب]"),
        _span(text, span_adm, "admin", "R-5", replacement="[code withheld]"),
        _span(text, multi_phrase, "archivist", "R-6", replacement="[place withheld]"),
        _field("interview_place", "archivist", "R-7", "[undisclosed location]"),
        _field("summary", "archivist", "R-8", "[summary withheld]"),
        _field("interviewers", "researcher", "R-9", "[interviewer withheld]"),
    ]
    return _base(
        OPEN_ID, COLLECTION, "Crossing the river at night", text,
        summary=f"A ferryman from {_c('CNRYFIELDSUM', 'archivist')} describes the crossings "
                f"({_c('كناريملخص', 'archivist')}).",
        interview_place=f"{_c('CNRYFIELDPLACE', 'archivist')} safe house, {_c('أرضكناريةحقل', 'archivist')}",
        interviewers=[_c("CNRYFIELDINTV", "researcher")],
        narrators=[{"id": "N-OPEN", "public_name": "Sami", "birth_year": 1980, "gender": "male",
                    "role": "smuggler", "nationality": "Syrian",
                    "legal_name": f"{_c('CNRYLEGAL', 'archivist')} {_c('الكناريقانوني', 'archivist')}",
                    "contact": f"{_c('CNRYCONTACT', 'archivist')}@example.org",
                    "risk_notes": f"Wanted by {_c('CNRYRISK', 'archivist')}."}],
        consent=_consent(obtained_by=_c("CNRYOBTAINED", "archivist")),
        redactions=redactions,
        sensitive_terms=[{"term": _c("CNRYTERM", "archivist"),
                          "variants": [_c("CNRYVARTERM", "archivist"), _c("كناريمصطلح", "archivist")],
                          "category": "person"}])


def _research_testimony() -> dict:
    text = (f"Interviewer: What did the ledger hold?\nNadia: Names, and {_c('CNRYRESTEXT', 'researcher')} "
            f"on every page, {_c('كناريباحث', 'researcher')} too. The clerk was {_c('CNRYRESSPANARC', 'archivist')}.\n")
    return _base(
        RESEARCH_ID, RESEARCH_COLLECTION, f"A ledger of names {_c('CNRYRESTITLE', 'researcher')}", text,
        summary=f"Kept by {_c('CNRYRESSUM', 'researcher')}.",
        subjects=[_c("CNRYRESSUBJ", "researcher")], keywords=[_c("CNRYRESKWD", "researcher")],
        places=["place:cnryresplcid"],
        narrators=[{"id": "N-RES", "public_name": _c("CNRYRESNARR", "researcher")}],
        consent=_consent(scope="researchers"),
        transcripts=[{"id": "t", "language": "en", "kind": "original", "text": text,
                      "segments": [{"start": 0.0, "end": 30.0, "title": _c("CNRYRESSEG", "researcher"),
                                    "synopsis": _c("CNRYRESSYN", "researcher"),
                                    "keywords": [_c("CNRYRESSKW", "researcher")]}]}],
        redactions=[_span(text, "CNRYRESSPANARC", "archivist", "R-1")])


def _hidden_testimony(kind: str) -> dict:
    accession, tag, ar = HIDDEN[kind]
    text = (f"Interviewer: Where?\nNarrator: The crossing near {_c(f'CNRY{tag}TEXT', 'archivist')} was closed, "
            f"said {_c('كناري' + ar, 'archivist')}.\n")
    changes: dict = {}
    if kind == "pending":
        changes = {"consent": _consent(status="pending"), "state": "in_review"}
    elif kind == "embargoed":
        changes = {"consent": _consent(embargo_until="2031-01-01")}
    elif kind == "embargo-tomorrow":
        changes = {"consent": _consent(embargo_until=(TODAY + dt.timedelta(days=1)).isoformat())}
    elif kind == "withdrawn":
        changes = {"consent": _consent(status="withdrawn", withdrawn_date="2024-02-02",
                                       withdrawal_reason=_c("CNRYWDRNREASON", "archivist")),
                   "state": "withdrawn"}
    elif kind == "archive-only":
        changes = {"consent": _consent(scope="archive")}
    elif kind == "draft":
        changes = {"state": "draft"}
    elif kind == "in-review":
        changes = {"state": "in_review"}
    collection = HIDDEN_COLLECTION if kind in ("pending", "draft") else COLLECTION
    return _base(
        accession, collection, f"Hidden {_c(f'CNRY{tag}TITLE', 'archivist')}", text,
        summary=f"About {_c(f'CNRY{tag}SUM', 'archivist')}.",
        interview_place=_c(f"CNRY{tag}IPLACE", "archivist"),
        interviewers=[_c(f"CNRY{tag}INTV", "archivist")],
        subjects=[_c(f"CNRY{tag}SUBJ", "archivist")], keywords=[_c(f"CNRY{tag}KWD", "archivist")],
        places=[f"place:cnry{tag.lower()}plcid"],
        narrators=[{"id": f"N-{accession}", "public_name": _c(f"CNRY{tag}NARR", "archivist"),
                    "legal_name": _c(f"CNRY{tag}LEGAL", "archivist")}],
        transcripts=[{"id": "t", "language": "en", "kind": "original", "text": text,
                      "segments": [{"start": 0.0, "end": 30.0, "title": _c(f"CNRY{tag}SEG", "archivist"),
                                    "synopsis": _c(f"CNRY{tag}SYN", "archivist"),
                                    "keywords": [_c(f"CNRY{tag}SKW", "archivist")]}]}],
        **changes)


def _notranscript_testimony() -> dict:
    text = (f"Interviewer: Tell us.\nRami: The password was {_c('CNRYNOTRTEXT', 'archivist')}, "
            f"or {_c('كناريمغلق', 'archivist')}.\n")
    t = _base(NOTRANSCRIPT_ID, COLLECTION, "A closed transcript CNRYNOTRTITLE", text,
              consent=_consent(permissions={**PERMISSIONS, "publish_transcript": False}),
              narrators=[{"id": "N-NOTR", "public_name": "Rami"}])
    t["transcripts"][0]["segments"] = [{"start": 0.0, "end": 30.0, "title": _c("CNRYNOTRSEG", "archivist"),
                                        "synopsis": _c("CNRYNOTRSYN", "archivist"),
                                        "keywords": [_c("CNRYNOTRSKW", "archivist")]}]
    return t


def build() -> dict:
    """The canary document (a fresh dict each call)."""
    CANARIES.clear()
    testimonies = [
        _open_testimony(),
        _base(WITHDRAW_ID, COLLECTION, "The Oxbowquill ferry",
              "Interviewer: And then?\nLina: We took the Oxbowquill ferry at dawn and nobody spoke.\n",
              narrators=[{"id": "N-LATER", "public_name": "Lina"}]),
        _research_testimony(),
        _notranscript_testimony(),
        _base(PAST_EMBARGO_ID, COLLECTION, "An embargo that ended",
              "Interviewer: Now?\nHadi: Now it can be told: CNRYPASTEMB.\n",
              consent=_consent(embargo_until=TODAY.isoformat(),      # (its photo is not permitted)
                               permissions={**PERMISSIONS, "publish_images": False}),
              narrators=[{"id": "N-PAST", "public_name": "Hadi"}]),
        *(_hidden_testimony(kind) for kind in HIDDEN),
    ]
    authorities = [
        # A visible place whose record also holds a name registered as sensitive: the name must not
        # reach a reader through the place's variants, the search expansion, or its "also searched".
        {"id": "place:cnry-riverton", "type": "place", "label": "Riverton",
         "variants": ["ريفرتون", _c("CNRYRIVERVARIANT", "archivist")]},
        {"id": "place:cnryresplcid", "type": "place", "label": _c("CNRYRESPLACE", "researcher"),
         "variants": [_c("CNRYRESVARPLACE", "researcher")]},
    ]
    for kind, (_, tag, ar) in HIDDEN.items():
        authorities.append({"id": f"place:cnry{tag.lower()}plcid", "type": "place",
                            "label": _c(f"CNRY{tag}PLACE", "archivist"),
                            "variants": [_c(f"CNRY{tag}VARPLC", "archivist"), _c("مكان" + ar + "كنار", "archivist")]})
        # the authority id is itself a word only a hidden testimony uses (a facet value would betray it)
        CANARIES[f"cnry{tag.lower()}plcid"] = "archivist"
    CANARIES["cnryresplcid"] = "researcher"
    document = {
        "format": "testimony-archive/1",
        "collections": [
            {"id": COLLECTION, "title": "Crossings of the river", "description": "Canary test data."},
            {"id": HIDDEN_COLLECTION, "title": _c("CNRYCOLTITLE", "archivist"),
             "description": _c("CNRYCOLDESC", "archivist")},
            {"id": RESEARCH_COLLECTION, "title": _c("CNRYRESCOLTITLE", "researcher"),
             "description": _c("CNRYRESCOLDESC", "researcher")},
        ],
        "authorities": authorities,
        "sensitive_terms": [{"term": "CNRYRIVERVARIANT", "variants": [], "category": "place"},
                            {"term": _c("CNRYGLOBALTERM", "archivist"), "variants": [_c("كناريعام", "archivist")],
                             "category": "person"}],
        "testimonies": testimonies,
    }
    # a phrase canary besides its word: the redacted span of the open testimony, whole
    CANARIES["the ford by CNRYSPANMULTI farm"] = "archivist"
    CANARIES.update(EXAMPLE_SECRETS)
    _check_unique()
    return copy.deepcopy(document)


def _check_unique() -> None:
    """No canary may contain another (or a control word), except a phrase holding its own words:
    a hit must name exactly one hiding place."""
    words = [w.lower() for w in [*CANARIES, *VISIBLE]]
    for a in words:
        for b in words:
            if a == b or (" " in b and a in b.split()):
                continue
            assert a not in b, f"canary {a!r} is part of {b!r}"


def hidden_from(audience: str) -> set[str]:
    """Every canary the audience must never see (in the canaries and the example file)."""
    if not CANARIES:
        build()
    rank = ORDER.index(audience)
    return {word for word, lowest in CANARIES.items() if ORDER.index(lowest) > rank}


expected_hidden = hidden_from


def accession_ids() -> list[str]:
    """Every accession id in the security app: the canaries' and the example file's."""
    if not CANARIES:
        build()
    return [OPEN_ID, WITHDRAW_ID, RESEARCH_ID, NOTRANSCRIPT_ID, PAST_EMBARGO_ID,
            *(accession for accession, _, _ in HIDDEN.values()), EXAMPLE_OPEN_ID, EXAMPLE_EMBARGOED_ID]


def visible_to(audience: str) -> set[str]:
    """Accession ids the audience may read today (what the access matrix expects as 200)."""
    rank = ORDER.index(audience)
    if rank >= ORDER.index("archivist"):
        return set(accession_ids())
    ids = {OPEN_ID, WITHDRAW_ID, NOTRANSCRIPT_ID, PAST_EMBARGO_ID, EXAMPLE_OPEN_ID}
    if rank >= ORDER.index("researcher"):
        ids.add(RESEARCH_ID)
    return ids
