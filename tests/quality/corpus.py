"""The judged corpus: real texts read in place from ../shared/realdata, as one JSON-format document.

Real text is the point: dialect spelling, OCR quirks, harakat and bidi artefacts are what a
synthetic corpus never has. The files stay where they are (licences differ; see their SOURCE.txt)
and are parsed here into testimonies with deterministic accession ids, so judgements keyed by id
stay valid from run to run. Every testimony is published, consented and open, so every audience
sees it; the demo collection comes in as is, with its own mix of scopes and embargoes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REALDATA = ROOT.parent / "shared" / "realdata"
WPA = REALDATA / "wpa_slave_narratives"
MUQTABAS = REALDATA / "openarabicpe_muqtabas" / "md"
CAPTIONS = REALDATA / "elephantsdream_vtt" / "captions.ar.vtt"
DEMO = ROOT / "archive" / "demo" / "demo-collection.json"

PARAGRAPHS_PER_SEGMENT = 4
CUES_PER_SEGMENT = 6
# The WPA volumes end each narrative with a run of blank lines; inside one, paragraphs are two
# blank lines apart and a section or reference block at most four.
NARRATIVE_GAP = re.compile(r"\n{7,}")
END_MARKERS = {"REFERENCE", "REFERENCES", "BIBLIOGRAPHY"}
# Florida: narrators are headed in capitals ("REV. ELI BOYD", '"FATHER" CHARLES COATES').
FLORIDA_HEADING = re.compile(r'^"?[A-Z][A-Z."\']*(?: [A-Z."\',]+)+$')
FLORIDA_NOT_NAMES = {"FOLK STUFF, FLORIDA", "FLORIDA FOLKLORE", "SLAVE CUSTOMS AND ANECDOTES",
                     "LIGHTING SYSTEM.", "DADE COUNTY, FLORIDA, FOLKLORE", "SLAVE INTERVIEW",
                     "FLORIDA NARRATIVES", "VOLUME III", "FEDERAL WRITERS' PROJECT"}
# Texas: in title case ("C.B. McRay", "La San Mire"), alone between blank lines.
TEXAS_HEADING = re.compile(r"^[A-Z][A-Za-z.']*(?: [A-Z][A-Za-z.']*){1,3}$")
TEXAS_FRONT_MATTER_ENDS = "[TR:] Transcriber's note"

OPEN_CONSENT = {"status": "granted", "scope": "open", "date": "2026-01-01", "obtained_by": "public domain",
                "embargo_until": None,
                "permissions": {"publish_transcript": True, "publish_audio": False, "publish_images": False,
                                "quote": True, "attribute_real_name": True}}


def read_text(path: Path) -> str:
    """UTF-8 with or without a byte-order mark, any line endings, as "\\n" text."""
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(text: str) -> list[str]:
    """Paragraphs with their hard line wraps undone, and the scans' notes left out."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines or lines[0].startswith(("[Illustration", "[HW")):
            continue
        out.append(" ".join(lines).strip("*"))
    return out


def _name_key(heading: str) -> str:
    return re.sub(r'[^A-Z ]', "", heading.upper().split(",")[0]).strip()


def _title(heading: str) -> str:
    """'"FATHER" CHARLES COATES, FORMER SLAVE' -> '"Father" Charles Coates'."""
    heading = heading.split(",")[0].strip()
    if not heading.isupper():
        return heading
    return " ".join('"' + w[1:].capitalize() if w.startswith('"') else w.capitalize() for w in heading.split())


def split_narratives(text: str, heading: re.Pattern, not_names: set[str] = frozenset(),
                     start_after: str | None = None) -> list[tuple[str, str]]:
    """(heading, body) per narrator, in the volume's order.

    A body runs from its heading to the end of the narrative (a long blank gap or a reference
    block), so the next narrative's interviewer header is not read as this narrator's words.
    Headings repeated for one narrator (Mama Duck has three) join into one narrative.
    """
    lines = text.split("\n")
    first = lines.index(start_after) + 1 if start_after else 0
    heads = [i for i in range(first, len(lines))
             if heading.match(lines[i]) and lines[i] not in not_names
             and not lines[i - 1].strip() and i + 1 < len(lines) and not lines[i + 1].strip()]
    # A heading right under another is its subtitle ("MATILDA BROOKS" / "A GOVERNOR'S SLAVES").
    heads = [i for n, i in enumerate(heads)
             if n == 0 or any(line.strip() for line in lines[heads[n - 1] + 1:i])]
    found: dict[str, tuple[str, list[str]]] = {}
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        body_lines = []
        for line in lines[i + 1:end]:
            if line.strip() in END_MARKERS:
                break
            body_lines.append(line)
        body = NARRATIVE_GAP.split("\n".join(body_lines).strip("\n"))[0].strip("\n")
        key = _name_key(lines[i])
        title, bodies = found.setdefault(key, (_title(lines[i]), []))
        bodies.append(body)
    return [(title, "\n\n".join(bodies)) for title, bodies in found.values()]


def _untimed_transcript(language: str, paras: list[str], titles: list[str] | None = None) -> dict:
    text, segments = "", []
    for n in range(0, len(paras), PARAGRAPHS_PER_SEGMENT):
        if text:
            text += "\n\n"
        segments.append({"text_start": len(text), "title": titles[n // PARAGRAPHS_PER_SEGMENT] if titles else ""})
        text += "\n\n".join(paras[n:n + PARAGRAPHS_PER_SEGMENT])
    return {"id": language, "language": language, "kind": "original", "text": text + "\n",
            "segments": segments}


def _testimony(accession: str, collection: str, title: str, language: str, transcript: dict,
               summary: str = "", date: str | None = None, narrator: str | None = None) -> dict:
    return {"id": accession, "collection": collection, "title": title, "summary": summary,
            "interview_date": date, "languages": [language], "state": "published",
            "narrators": [{"id": f"{accession}-N1", "public_name": narrator}] if narrator else [],
            "consent": OPEN_CONSENT, "transcripts": [transcript]}


def wpa_testimonies() -> list[dict]:
    volumes = [("FL", "wpa-florida", "vol03_florida_narratives.txt", FLORIDA_HEADING, FLORIDA_NOT_NAMES, None),
               ("TX", "wpa-texas", "vol16_texas_narratives_part3.txt", TEXAS_HEADING, set(),
                TEXAS_FRONT_MATTER_ENDS)]
    out = []
    for state, collection, name, heading, not_names, start_after in volumes:
        narratives = split_narratives(read_text(WPA / name), heading, not_names, start_after)
        for n, (title, body) in enumerate(narratives, 1):
            out.append(_testimony(f"WPA-{state}-{n:03d}", collection, title, "en",
                                  _untimed_transcript("en", paragraphs(body)), date="1936/1938",
                                  narrator=title))
    return out


def muqtabas_testimonies() -> list[dict]:
    """One testimony per article of al-Muqtabas 1(1), Cairo 1906; its Markdown heading is the title."""
    out = []
    for n, path in enumerate(sorted(MUQTABAS.glob("*.md")), 1):
        text = read_text(path)
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        paras = paragraphs(body)
        title = re.sub(r"\s+", " ", paras[0].lstrip("# ")).strip()
        out.append(_testimony(f"AR-MUQ-{n:03d}", "al-muqtabas", title, "ar",
                              _untimed_transcript("ar", paras[1:]), date="1906-02-25"))
    return out


def vtt_cues(path: Path) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        h, m, s = (["0"] + stamp.split(":"))[-3:]
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    for block in re.split(r"\n\s*\n", read_text(path)):
        lines = block.strip().split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start, end = (seconds(part.split()[0]) for part in lines[timing].split("-->"))
        cues.append((start, end, " ".join(lines[timing + 1:]).strip()))
    return cues


def captions_testimony() -> dict:
    cues = vtt_cues(CAPTIONS)
    text, segments = "", []
    for n in range(0, len(cues), CUES_PER_SEGMENT):
        group = cues[n:n + CUES_PER_SEGMENT]
        segments.append({"start": group[0][0], "end": group[-1][1], "text_start": len(text)})
        text += "".join(cue + "\n" for _, _, cue in group)
    transcript = {"id": "ar", "language": "ar", "kind": "original", "text": text, "segments": segments}
    return _testimony("AR-ED-001", "elephants-dream", "Elephants Dream (الترجمة العربية)", "ar", transcript,
                      summary="Arabic captions of the open movie Elephants Dream (2006).", date="2006")


COLLECTIONS = [
    {"id": "wpa-florida", "title": "WPA Slave Narratives: Florida", "description": "Federal Writers' Project, 1936-1938."},
    {"id": "wpa-texas", "title": "WPA Slave Narratives: Texas, part 3", "description": "Federal Writers' Project, 1936-1938."},
    {"id": "al-muqtabas", "title": "المقتبس 1(1), 1906", "description": "Majallat al-Muqtabas, Cairo 1906."},
    {"id": "elephants-dream", "title": "Elephants Dream captions", "description": "Arabic WebVTT captions."},
]


def real_document() -> dict:
    """The real texts as one "testimony-archive/1" document."""
    return {"format": "testimony-archive/1", "collections": COLLECTIONS, "authorities": [],
            "testimonies": wpa_testimonies() + muqtabas_testimonies() + [captions_testimony()]}


def demo_document() -> dict:
    return json.loads(read_text(DEMO))
