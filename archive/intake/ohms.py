"""OHMS XML (Oral History Metadata Synchronizer): metadata, the index, and the transcript.

Two transcript forms exist. Legacy (5.x) has `<transcript>` plain text plus `<sync>`, e.g.
`1:|13(3)|19(14)|...`: "1:" is the interval in minutes, and the n-th `line(word)` pair (n from 1)
says that n intervals into the recording the narration is at that word (lines count from 1 and
include blank lines; words are whitespace-separated). v6 has `<vtt_transcript>`, a WebVTT file.

Index points carry a time, not a text position. A point's text_start is found in this order:
1. the opening words of its `<partial_transcript>`, searched near the time the sync map gives;
2. else (legacy) the position interpolated between the two sync points around its time, moved
   back to the start of its line; (v6) the start of the cue playing at that time;
3. else 0. Offsets never go backwards: a point that would is moved to the previous one.

Parsing is safe by construction: no entity expansion, no network, no DTD loading, no huge trees,
and any document declaring entities (XXE, "billion laughs") is refused before lxml sees it.
"""
from __future__ import annotations

import bisect
import re

from lxml import etree

from ..errors import ValidationError
from .captions import read_vtt, transcript_from_captions
from .decoding import decode
from .result import Cue, ParsedSegment, ParsedTranscript
from .segmenting import paragraph_segments, tile
from .timecode import clock_seconds
from .turns import find_turns, speaker_lookup, speakers

NAMESPACES = ("https://www.weareavp.com/nunncenter/ohms", "http://www.weareavp.com/nunncenter/ohms")
# What OHMS writes into <transcript> when there is none.
PLACEHOLDERS = {"no transcript.", "no transcript"}
_FOOTNOTES = re.compile(r"\[\[footnotes\]\](.*?)\[\[/footnotes\]\]", re.S)
_NOTE = re.compile(r"\[\[note\]\](.*?)\[\[/note\]\]", re.S)
_FOOTNOTE_REF = re.compile(r"\[\[footnote\]\] *(\d+) *\[\[/footnote\]\]")
_STAMP = re.compile(r"^(\d+)\((\d+)\)$")
# Common <language> values as OHMS writes them -> BCP 47.
LANGUAGES = {"english": "en", "spanish": "es", "french": "fr", "german": "de", "arabic": "ar",
             "russian": "ru", "chinese": "zh", "japanese": "ja", "portuguese": "pt",
             "italian": "it", "korean": "ko", "persian": "fa", "farsi": "fa", "turkish": "tr",
             "ukrainian": "uk", "hebrew": "he", "kurdish": "ku"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, dtd_validation=False, remove_pis=True)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def load(data: bytes, filename: str) -> etree._Element:
    """The parsed <record>, or a ValidationError naming the line."""
    source = decode(data, filename)
    # Refused before lxml sees the bytes: declarations are how XXE and entity-expansion
    # ("billion laughs") attacks work, and OHMS files have no DOCTYPE at all.
    entity = source.find("<!ENTITY")
    subset = re.search(r"<!DOCTYPE[^>\[]*\[", source)
    if entity >= 0 or subset:
        at = entity if entity >= 0 else subset.start()
        what = "declares entities (<!ENTITY ...)" if entity >= 0 else \
            "has a DOCTYPE with an internal subset"
        raise ValidationError(f"the XML {what}: refused, as that is how XXE and entity-expansion "
                              f"('billion laughs') attacks work; OHMS files have none",
                              file=filename, record=f"line {_line_of(source, at)}")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        raise ValidationError(f"not well-formed XML: {exc.msg}", file=filename,
                              record=f"line {line}" if line else None) from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise ValidationError("the XML declares entities; refused", file=filename)
    name = etree.QName(root)
    if name.localname != "ROOT" and name.namespace not in NAMESPACES:
        raise ValidationError(f"the XML root is <{name.localname}>, not OHMS <ROOT>",
                              file=filename, record=f"line {root.sourceline}")
    record = root.find("{*}record")
    if record is None:
        raise ValidationError("OHMS file without a <record> element", file=filename,
                              field="record")
    return record


def _text(el: etree._Element | None) -> str:
    return "" if el is None else "".join(el.itertext()).strip()


def _raw_text(el: etree._Element | None) -> str:
    """Element text unstripped: legacy sync counts lines from the very first one."""
    return "" if el is None else "".join(el.itertext())


def _field(record: etree._Element, name: str) -> str:
    return _text(record.find(f"{{*}}{name}"))


def _all(record: etree._Element, name: str) -> list[str]:
    return [t for t in (_text(e) for e in record.findall(f"{{*}}{name}")) if t]


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


def _people(record: etree._Element, name: str) -> list[str]:
    # Repeated elements in some exports, ";"-joined names in others.
    return [p for v in _all(record, name) for p in _split(v)]


def _metadata(record: etree._Element, warnings: list[str]) -> dict:
    date = record.find("{*}date")
    meta = {
        "id": record.get("id") or "",
        "version": _field(record, "version"),
        "title": _field(record, "title"),
        "accession": _field(record, "accession"),
        "date": (date.get("value") or "").strip() if date is not None else "",
        "date_text": _field(record, "date_nonpreferred_format"),
        "interviewees": _people(record, "interviewee"),
        "interviewers": _people(record, "interviewer"),
        "language": _field(record, "language"),
        "keywords": [k for v in _all(record, "keyword") for k in _split(v)],
        "subjects": _all(record, "subject"),
        "collection_name": _field(record, "collection_name"),
        "series_name": _field(record, "series_name"),
        "repository": _field(record, "repository"),
        "rights": _field(record, "rights"),
        "usage": _field(record, "usage"),
        "funding": _field(record, "funding"),
        "description": _field(record, "description"),
        "media_url": _field(record, "media_url"),
    }
    duration = _field(record, "duration")
    meta["duration"] = None
    if duration:
        try:
            seconds = clock_seconds(duration) if ":" in duration else float(duration)
            meta["duration"] = seconds or None     # OHMS writes 00:00:00 for "unknown"
        except ValueError:
            warnings.append(f"field duration: {duration!r} is not a time; ignored")
    return {k: v for k, v in meta.items() if v not in ("", [], None) or k in ("title", "duration")}


def has_alternate(data: bytes, filename: str) -> bool:
    """Whether an OHMS file carries an alternate transcript (<transcript_alt> or <vtt_transcript_alt>)."""
    record = load(data, filename)
    return any(_text(e) for name in ("transcript_alt", "vtt_transcript_alt")
               for e in record.findall(f"{{*}}{name}"))


def says_translated(data: bytes, filename: str) -> bool:
    """Whether the file marks its alternate transcript as a translation (<translate>1</translate>)."""
    return _field(load(data, filename), "translate") == "1"


def parse_ohms(data: bytes, filename: str, *, language: str | None = None,
               alternate: bool = False) -> ParsedTranscript:
    """The OHMS file's transcript, with its index as segments; with alternate=True its alternate
    transcript instead (often a translation: <transcript_alt>/<sync_alt> or <vtt_transcript_alt>, its
    language in <transcript_alt_lang>), which the index does not describe."""
    record = load(data, filename)
    warnings: list[str] = []
    meta = _metadata(record, warnings)
    alt = "_alt" if alternate else ""
    if alternate:
        meta["language"] = _field(record, "transcript_alt_lang")
    vtt_el = record.find(f"{{*}}vtt_transcript{alt}")
    if vtt_el is not None and _text(vtt_el):
        parsed, interpolate = _from_vtt(vtt_el, filename, meta), False
    else:
        parsed, interpolate = _from_legacy(record, warnings, meta, alt), True
    parsed.warnings[:0] = warnings
    raw_language = meta.get("language", "")
    parsed.language = language or LANGUAGES.get(raw_language.lower()) or (
        raw_language.lower() if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", raw_language)
        else None)
    if raw_language and parsed.language is None:
        parsed.warnings.append(f"field language: {raw_language!r} is not a known language; "
                               f"pass language= to set it")

    points = [] if alternate else _points(record, filename, parsed.warnings)
    if points:
        parsed.segments = _index_segments(parsed, points, meta.get("duration"), interpolate)
    if not parsed.text.strip():
        parsed.warnings.append("the OHMS file has no transcript text" +
                               ("" if points else " and no index"))
    return parsed


def _from_vtt(vtt_el: etree._Element, filename: str, meta: dict) -> ParsedTranscript:
    raw = _raw_text(vtt_el)
    source = raw.lstrip("\n")
    # The CDATA starts on the element's line; report lines of the OHMS file, not of the VTT.
    offset = (vtt_el.sourceline or 1) - 1 + raw.count("\n") - source.count("\n")
    captions, vtt = read_vtt(source, filename, line_offset=offset)
    notes = [*vtt.header_comments, *vtt.footer_comments]
    if notes:
        meta["notes"] = notes
    return transcript_from_captions(captions, "ohms", None, meta)


def _from_legacy(record: etree._Element, warnings: list[str], meta: dict, alt: str = "") -> ParsedTranscript:
    raw = _raw_text(record.find(f"{{*}}transcript{alt}"))
    if raw.strip().lower() in PLACEHOLDERS:
        warnings.append(f"the transcript is OHMS's placeholder {raw.strip()!r}; read as empty")
        raw = ""
    notes = [" ".join(n.split()) for block in _FOOTNOTES.findall(raw) for n in _NOTE.findall(block)]
    # The footnote block sits after the last line, so removing it leaves line numbers alone.
    body_lines = [_FOOTNOTE_REF.sub(r"[\1]", line)
                  for line in _FOOTNOTES.sub("", raw).split("\n")]
    line_starts, pos = [], 0
    for line in body_lines:
        line_starts.append(pos)
        pos += len(line) + 1
    body = "\n".join(body_lines).rstrip()
    text = body
    if notes:
        # Footnotes stay in the text: they can name people, so search and redaction must see them.
        meta["footnotes"] = notes
        text += "\n\nNotes\n" + "\n".join(f"[{i}] {n}" for i, n in enumerate(notes, start=1))
    turns, _ = find_turns(text)
    meta["speakers"] = speakers(turns)
    cues = _sync_cues(_field(record, f"sync{alt}"), body_lines, line_starts, len(body), warnings)
    speaker_at = speaker_lookup(turns)
    for i, cue in enumerate(cues):
        cue.text_end = cues[i + 1].text_start if i + 1 < len(cues) else len(text)
        cue.end = cues[i + 1].start if i + 1 < len(cues) else None
        cue.speaker = speaker_at(cue.text_start)
    if cues:
        heads = []
        line_start = _line_starts(text)
        for cue in cues:
            at = max(line_start(cue.text_start), heads[-1].text_start if heads else 0)
            if heads and heads[-1].text_start == at:
                continue
            heads.append(ParsedSegment(cue.start, cue.end, "", "", [], at, at))
        for here, after in zip(heads, heads[1:]):
            here.end = after.start
        segments = tile(text, heads)
    else:
        segments = paragraph_segments(text)
    return ParsedTranscript(format="ohms", text=text, language=None, segments=segments,
                            cues=cues, metadata=meta, warnings=[], turns=turns)


def _sync_cues(sync: str, lines: list[str], line_starts: list[int], body_end: int,
               warnings: list[str]) -> list[Cue]:
    if not sync.strip():
        return []
    interval, sep, stamps = sync.partition(":")
    try:
        step = float(interval) * 60
    except ValueError:
        step = 0
    if not sep or step <= 0:
        warnings.append(f"field sync: {sync[:40]!r} does not start with an interval like '1:'; "
                        f"sync ignored")
        return []
    cues = [Cue(0.0, None, 0, 0)]   # the recording starts with the first word
    bad, past = [], 0
    words_of: dict[int, list] = {}      # many stamps on one long line: split it into words once
    for n, stamp in enumerate(stamps.split("|")):
        stamp = stamp.strip()
        if not stamp:
            continue
        m = _STAMP.match(stamp)
        if not m:
            bad.append(stamp)
            continue
        line, word = int(m.group(1)), int(m.group(2))
        if not 1 <= line <= len(lines):
            past += 1
            continue
        if line not in words_of:
            words_of[line] = list(re.finditer(r"\S+", lines[line - 1]))
        words = words_of[line]
        offset = line_starts[line - 1] + (words[min(word, len(words)) - 1].start() if words
                                          else 0)
        offset = max(min(offset, body_end), cues[-1].text_start)
        if n * step == 0:
            cues[0].text_start = offset
        else:
            cues.append(Cue(n * step, None, offset, offset))
    if bad:
        warnings.append(f"field sync: {len(bad)} entries are not 'line(word)', e.g. {bad[0]!r}; "
                        f"skipped")
    if past:
        warnings.append(f"field sync: {past} entries point past the last transcript line; skipped")
    return cues


_BLANK = re.compile(r"\s*")


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_starts(text: str):
    """offset -> where its line starts, like _line_start, by bisection over the line starts found
    once: looking back from every sync point cost the line's length each on a single long line."""
    starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line_start(offset: int) -> int:
        return starts[bisect.bisect_right(starts, offset) - 1]
    return line_start


def _points(record: etree._Element, filename: str, warnings: list[str]) -> list[ParsedSegment]:
    index = record.find("{*}index")
    if index is None:
        return []
    points = []
    for point in index.findall("{*}point"):
        raw_time = _field(point, "time")
        try:
            time = float(raw_time) if raw_time.replace(".", "", 1).isdigit() \
                else clock_seconds(raw_time)
        except ValueError:
            raise ValidationError(f"index point time {raw_time!r} is not a number of seconds",
                                  file=filename, record=f"line {point.sourceline}",
                                  field="time") from None
        points.append(ParsedSegment(
            start=time, end=None, title=" ".join(_field(point, "title").split()),
            synopsis=_field(point, "synopsis"), keywords=_split(_field(point, "keywords")),
            text_start=0, text_end=0, subjects=_split(_field(point, "subjects")),
            partial_transcript=_field(point, "partial_transcript"),
            hyperlinks=_hyperlinks(point), gps=_gps(point, filename, warnings)))
    if any(a.start > b.start for a, b in zip(points, points[1:])):   # type: ignore[operator]
        warnings.append("index points are not in time order; sorted by time")
        points.sort(key=lambda p: p.start)                           # type: ignore[arg-type]
    return points


def _hyperlinks(point: etree._Element) -> list[dict]:
    links = []
    for el in point.findall("{*}hyperlinks"):
        url, text = _field(el, "hyperlink"), _field(el, "hyperlink_text")
        if url or text:
            links.append({"url": url, "text": text})
    return links


def _gps(point: etree._Element, filename: str, warnings: list[str]) -> list[dict]:
    found = []
    for el in point.findall("{*}gpspoints"):
        raw, zoom, label = _field(el, "gps"), _field(el, "gps_zoom"), _field(el, "gps_text")
        if not raw:
            if label:
                warnings.append(f"index point at line {el.sourceline}: GPS text {label!r} without "
                                f"coordinates; ignored")
            continue
        try:
            lat, lon = (float(p) for p in raw.split(","))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            warnings.append(f"index point at line {el.sourceline}: GPS {raw!r} is not 'latitude, "
                            f"longitude'; ignored")
            continue
        found.append({"lat": lat, "lon": lon, "zoom": int(zoom) if zoom.isdigit() else None,
                      "label": label})
    return found


def _index_segments(parsed: ParsedTranscript, points: list[ParsedSegment],
                    duration: float | None, interpolate: bool) -> list[ParsedSegment]:
    text, cues = parsed.text, parsed.cues
    times = [c.start for c in cues]
    line_start = _line_starts(text)
    floor = 0
    for i, point in enumerate(points):
        nxt = points[i + 1].start if i + 1 < len(points) else duration
        point.end = nxt if nxt is not None and nxt >= point.start else None  # type: ignore[operator]
        at = _locate(text, cues, times, point.start, point.partial_transcript, interpolate, floor, line_start)
        point.text_start = point.text_end = max(at, floor)
        floor = point.text_start
    lead = cues[0].start if cues else None
    return tile(text, points, lead_start=lead, lead_end=points[0].start)


def _locate(text: str, cues: list[Cue], times: list[float], time: float, partial: str,
            interpolate: bool, floor: int, line_start) -> int:
    if not text or not cues:
        return floor
    i = max(bisect.bisect_right(times, time) - 1, 0)
    if not interpolate and cues[i].end is not None and time >= cues[i].end and i + 1 < len(cues):
        i += 1              # in the gap after a cue: the next one is what plays
    here = cues[i].text_start
    after = cues[i + 1].text_start if i + 1 < len(cues) else len(text)
    found = _find_opening(text, partial, [(max(floor, here - 400), min(len(text), after + 400)),
                                          (floor, min(len(text), after + 5000))])
    if found is not None:
        start = line_start(found)
        # (matched in place: a slice of the line before it would copy a long line for every point)
        return start if _BLANK.match(text, start, found).end() == found else found
    if interpolate and i + 1 < len(cues) and cues[i + 1].start > cues[i].start:
        share = (time - cues[i].start) / (cues[i + 1].start - cues[i].start)
        return max(line_start(here + int((after - here) * share)), here)
    return line_start(here)


def _find_opening(text: str, partial: str, windows: list[tuple[int, int]]) -> int | None:
    """Where the first words of `partial` occur, nearest window first; quotes and spacing forgiven.

    OHMS editors often prefix the excerpt with the speaker ("HANFORD: Anyhow, ...") where the
    transcript continues a paragraph without one, so the words after a label are tried too.
    """
    words = partial.split()
    tries = [words[:8]]
    if words and words[0].endswith(":"):
        tries.append(words[1:9])
    patterns = [re.compile(r"\s+".join(_loose(w) for w in t)) for t in tries if len(t) >= 3]
    for lo, hi in windows:
        for pattern in patterns:
            m = pattern.search(text, lo, hi)
            if m:
                return m.start()
    return None


def _loose(word: str) -> str:
    return re.sub(r"\\?['’‘]", "['’‘]", re.sub(r'\\?["“”]', '["“”]', re.escape(word)))
