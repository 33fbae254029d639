"""OHMS XML out (issue 14), from an audience view: valid against the Nunn Center's ohms.xsd (6.0).

Written so that archive/intake/ohms.py reads it back to the same records: metadata, index points
(segments with a title, synopsis, keywords, links or GPS points) with their synopses, keywords,
hyperlinks and GPS points, and the transcript with its timing. A transcript whose cues are OHMS
legacy sync points (every n minutes) is written as <transcript> + <sync>; one with caption cues as a
WebVTT <vtt_transcript> (speakers as voices); one without cues as <transcript> alone. A second
transcript the audience may read (the original's translation first) goes in the alternate transcript's
elements (<transcript_alt> + <sync_alt>, or <vtt_transcript_alt>), its language in <transcript_alt_lang>.
"""
from __future__ import annotations

import datetime as dt
import re
import zlib

from lxml import etree

from .captions_out import timed

NS = "https://www.weareavp.com/nunncenter/ohms"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
VERSION = "6.0"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds != int(seconds):
        return f"{seconds:g}"
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def record_id(accession_id: str) -> str:
    """OHMS wants a positive xs:int: a stable one made from the accession id."""
    return str(zlib.crc32(accession_id.encode("utf-8")) & 0x7FFFFFFF or 1)


SCHEMA = f"{NS}/ohms.xsd"


def ohms_root(view: dict, today: dt.date) -> etree._Element:
    """One testimony view as an OHMS <ROOT> element (the one global element of ohms.xsd, so what an
    OAI-PMH record's metadata holds)."""
    root = etree.Element(f"{{{NS}}}ROOT", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} {SCHEMA}")
    root.append(record(view, today))
    return root


def ohms_xml(view: dict, today: dt.date) -> bytes:
    """One testimony view as an OHMS <ROOT> document (UTF-8 bytes)."""
    return etree.tostring(ohms_root(view, today), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def record(view: dict, today: dt.date) -> etree._Element:
    """The <record> of one testimony view (OAI-PMH can wrap it as a metadata format)."""
    rec = etree.Element(f"{{{NS}}}record", id=record_id(view["accession_id"]), dt=today.isoformat())

    def add(name: str, text: str | None = None, parent=rec, **attrs) -> etree._Element:
        el = etree.SubElement(parent, f"{{{NS}}}{name}", **attrs)
        if text:
            el.text = _xml_safe(text)
        return el

    transcript, alternate = pick_transcripts(view.get("transcripts") or [])
    add("version", VERSION)
    add("date", value=view.get("interview_date") or "", format="yyyy-mm-dd")
    add("date_nonpreferred_format", view.get("interview_date_text"))
    add("title", view["title"])
    add("accession", view["accession_id"])
    add("duration", _clock(view.get("duration")))
    add("collection_name", view["collection"]["title"])
    add("series_name", view.get("series"))
    add("repository", view.get("repository"))
    add("funding", view.get("funding"))
    for subject in view.get("subjects") or []:
        add("subject", subject)
    for keyword in view.get("keywords") or []:
        add("keyword", keyword)
    for narrator in view.get("narrators") or []:
        # Staff views carry the legal name (what an OHMS interviewee is); others the public name.
        add("interviewee", narrator.get("legal_name") or narrator.get("public_name"))
    for interviewer in view.get("interviewers") or []:
        add("interviewer", interviewer)
    body, sync, vtt = _transcript_parts(transcript)
    alt_body, alt_sync, alt_vtt = _transcript_parts(alternate)
    add("sync", sync)
    if alternate is not None:      # (none of the alternate's elements without one)
        add("sync_alt", alt_sync)
        add("transcript_alt_lang", alternate["language"])
        add("translate", "1")
    add("media_url", view.get("media_url"))
    language = transcript["language"] if transcript else next(iter(view.get("languages") or []), "")
    add("language", "" if language == "und" else language)
    index = add("index")
    for segment in (transcript or {}).get("segments", []):
        if segment["start"] is None or not (segment["title"] or segment["synopsis"] or segment["keywords"]
                                            or segment.get("hyperlinks") or segment.get("gps")):
            continue
        point = add("point", parent=index)
        add("time", str(int(round(segment["start"]))), parent=point)
        add("title", segment["title"], parent=point)
        add("partial_transcript", _opening(segment["text"]), parent=point)
        add("synopsis", segment["synopsis"], parent=point)
        add("keywords", ";".join(segment["keywords"]), parent=point)
        for gps in segment.get("gps") or []:
            el = add("gpspoints", parent=point)
            add("gps", f"{gps['lat']}, {gps['lon']}", parent=el)
            add("gps_zoom", "" if gps.get("zoom") is None else str(gps["zoom"]), parent=el)
            add("gps_text", gps.get("label") or "", parent=el)
        for link in segment.get("hyperlinks") or []:
            el = add("hyperlinks", parent=point)
            add("hyperlink", link.get("url") or "", parent=el)
            add("hyperlink_text", link.get("text") or "", parent=el)
    add("description", view.get("summary"))
    add("transcript", body)
    if alternate is not None:
        add("transcript_alt", alt_body)
    add("vtt_transcript", vtt)
    if alternate is not None:
        add("vtt_transcript_alt", alt_vtt)
    add("rights", view.get("rights"))
    return rec


def pick_transcripts(transcripts: list[dict]) -> tuple[dict | None, dict | None]:
    """(the transcript, the alternate transcript) OHMS carries of a view's transcripts: an original
    (the first, else the first of all), and its translation if the view holds one, else the next
    transcript. OHMS has room for two; the view holds only what its audience may read."""
    if not transcripts:
        return None, None
    first = next((t for t in transcripts if not t.get("translation_of")), transcripts[0])
    others = [t for t in transcripts if t is not first]
    alternate = next((t for t in others if t.get("translation_of") == first["key"]), None) or \
        next(iter(others), None)
    return first, alternate


def _opening(text: str, words: int = 12) -> str:
    return " ".join(text.split()[:words])


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot hold most control characters; the archive refuses them on input anyway.
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


def _transcript_parts(transcript: dict | None) -> tuple[str | None, str | None, str | None]:
    """(<transcript> text, <sync>, <vtt_transcript>) of a transcript view."""
    if transcript is None:
        return None, None, None
    text = "".join(s["text"] for s in transcript["segments"])
    cues = [(c["at"], c["start"], c["end"]) for c in transcript.get("cues") or []]
    if not cues:
        return text, None, None
    step = _sync_step(cues)
    if step:
        return text, _sync(text, cues, step), None
    return None, None, _vtt(transcript)


def _sync_step(cues: list[tuple[int, float, float | None]]) -> float | None:
    """The interval of OHMS legacy sync points (the first at 0, every start a multiple), or None."""
    if len(cues) < 2 or cues[0][1] != 0:
        return None
    step = cues[1][1]
    if step <= 0 or any(abs(c[1] / step - round(c[1] / step)) > 1e-9 for c in cues):
        return None
    if any(end is not None and end != after[1] for (_, _, end), after in zip(cues, cues[1:])):
        return None
    return step


def _sync(text: str, cues: list[tuple[int, float, float | None]], step: float) -> str:
    """`<minutes>:|line(word)|...`: the n-th entry is where the narration is n intervals in."""
    lines = text.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    by_slot = {int(round(c[1] / step)): c[0] for c in cues}
    entries = []
    for n in range(0, max(by_slot) + 1):
        offset = by_slot.get(n)
        if offset is None:
            entries.append("")
            continue
        line = text.count("\n", 0, offset)
        words = list(re.finditer(r"\S+", lines[line])) if line < len(lines) else []
        within = offset - starts[line] if line < len(starts) else 0
        word = next((i for i, w in enumerate(words, 1) if w.start() >= within), max(len(words), 1))
        entries.append(f"{line + 1}({word})")
    minutes = f"{step / 60:g}"
    return f"{minutes}:|" + "|".join(entries[1:]) if len(entries) > 1 else f"{minutes}:"


def _vtt(transcript: dict) -> str:
    lines = ["WEBVTT", ""]
    for item in timed(transcript, fill=False):
        text = item.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = re.sub(r"\n\s*\n", "<br>", text).replace("\n", " ")
        voice = f"<v {item.voice}>" if item.voice else ""
        # An end not known is written as OHMS writes it, 00:00:00.000 (read back as not known).
        end = _vclock(item.end) if item.end is not None else "00:00:00.000"
        lines += [f"{_vclock(item.start)} --> {end}", voice + text, ""]
    return "\n".join(lines)


def _vclock(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
