"""Citations of a testimony, or of one segment at its timecode, in Chicago, APA and BibTeX, and as the
records reference managers import: RIS and CSL-JSON.

Built from an audience view only, so a citation never names more than the reader may see: narrators
by their public names, no interview place (undisclosed places are part of what keeps narrators safe).
"""
from __future__ import annotations

import datetime as dt
import json
import re

from . import csl, edtf

STYLES = {"chicago": "Chicago", "apa": "APA", "bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON"}
# What a downloaded citation is: (file extension, media type).
DOWNLOADS = {"chicago": ("txt", "text/plain"), "apa": ("txt", "text/plain"), "bibtex": ("bib", "text/plain"),
             "ris": ("ris", "application/x-research-info-systems"),
             "csl-json": ("json", "application/vnd.citationstyles.csl+json")}


class CitationError(ValueError):
    pass


def timecode(seconds: float | None) -> str:
    s = int(seconds or 0)
    return "%d:%02d:%02d" % (s // 3600, (s % 3600) // 60, s % 60)


def _names(view: dict) -> list[str]:
    return [n["public_name"] for n in view.get("narrators", []) if n.get("public_name")]


def _interviewers(view: dict) -> list[str]:
    value = view.get("interviewers")
    return [v for v in value if v] if isinstance(value, list) else []


def _year(view: dict) -> str:
    date = view.get("interview_date")
    if isinstance(date, str):
        try:
            span = edtf.parse(date)
        except edtf.EdtfError:
            return "n.d."
        if span.first_year is not None:
            return str(span.first_year)
    return "n.d."


def _join(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _segment(view: dict, segment: str | None) -> dict | None:
    if not segment:
        return None
    key, _, seq = segment.rpartition("-")
    for transcript in view.get("transcripts", []):
        if transcript["key"] == key:
            for s in transcript["segments"]:
                if str(s["seq"]) == seq:
                    return s
    raise CitationError("No segment %r in this testimony." % segment)


def _bibtex_escape(text: str) -> str:
    text = text.replace("\\", r"\textbackslash{}")
    return re.sub(r"([{}&%$#_^~])", lambda m: {"^": r"\^{}", "~": r"\~{}"}.get(m.group(1), "\\" + m.group(1)),
                  text)


def cite(view: dict, style: str, url: str, *, repository: str, accessed: dt.date,
         segment: str | None = None) -> str:
    if style not in STYLES:
        raise CitationError("Unknown citation style %r: use %s." % (style, ", ".join(STYLES)))
    if style == "ris":
        return ris(view, url, repository=repository, accessed=accessed, segment=segment)
    if style == "csl-json":
        return json.dumps([csl_json(view, url, repository=repository, accessed=accessed, segment=segment)],
                          ensure_ascii=False, indent=2) + "\n"
    seg = _segment(view, segment)
    names = _names(view) or ["Anonymous narrator"]
    interviewers = _interviewers(view)
    year = _year(view)
    title = view["title"]
    collection = view["collection"]["title"]
    accession = view["accession_id"]
    at = ""
    if seg is not None:
        at = (" at %s" % timecode(seg["start"])) if seg.get("start") is not None else ""
        at += (", “%s”" % seg["title"]) if seg.get("title") and style != "bibtex" else ""
    if style in ("chicago", "apa"):
        item = csl_json(view, url, repository=repository, accessed=accessed, segment=segment)
        if seg is None:
            return csl.render(item, style)
        note = item["note"]          # where in the recording: after the entry, its period inside a closing quote
        return csl.render(item, style) + " " + (note[:-1] + ".”" if note.endswith("”") else note + ".")
    key = re.sub(r"[^A-Za-z0-9]", "", accession) + (("-" + segment) if segment else "")
    fields = [("author", " and ".join("{%s}" % _bibtex_escape(n) for n in names)),
              ("title", "{%s}" % _bibtex_escape(title)),
              ("year", year),
              ("howpublished", "Oral history interview" + (", interviewed by " + _bibtex_escape(_join(interviewers))
                                                          if interviewers else "")),
              ("note", _bibtex_escape(f"{collection}, {repository}, {accession}"
                                      + (f", segment{at}" + (f" ({seg['title']})" if seg.get("title") else "")
                                         if seg is not None else ""))),
              ("url", url), ("urldate", accessed.isoformat())]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return "@misc{%s,\n%s\n}\n" % (key, body)


_EDTF_DAY = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?([?~%]?)\Z")


def _csl_date(value) -> dict | None:
    """An EDTF interview date as a CSL date: date-parts for a year, month or day ("2015-06" is June 2015),
    circa when uncertain or approximate; an interval or a date with unknown digits ("201X") as the range
    of years it spans, an open end as its known year."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        span = edtf.parse(value)
    except edtf.EdtfError:
        return None           # withheld (its replacement text) or not a date
    match = _EDTF_DAY.match(value.strip())
    if match and int(match.group(2) or 1) <= 12:
        out: dict = {"date-parts": [[int(p) for p in match.groups()[:3] if p]]}
    else:                     # an interval, unknown digits, or a season (months 21-41)
        years = [y for y in (span.first_year, span.last_year) if y is not None]
        out = {"date-parts": [[years[0]]] if len(set(years)) == 1 else [[years[0]], [years[1]]]}
    if span.uncertain:
        out["circa"] = True
    return out


def _where(seg: dict | None) -> str:
    if seg is None:
        return ""
    at = "Segment" + (" at %s" % timecode(seg["start"]) if seg.get("start") is not None else "")
    return at + (", “%s”" % seg["title"] if seg.get("title") else "")


def csl_json(view: dict, url: str, *, repository: str, accessed: dt.date, segment: str | None = None) -> dict:
    """One CSL-JSON item (the format of citeproc, Zotero and Mendeley) of type interview: narrators by their
    public names as authors, interviewers as interviewers; no interview place."""
    seg = _segment(view, segment)
    item: dict = {
        "id": view["accession_id"] + (("-" + segment) if segment else ""),
        "type": "interview",
        "title": view["title"],
        "author": [{"literal": n} for n in (_names(view) or ["Anonymous narrator"])],
        "medium": "Oral history interview",
        "collection-title": view["collection"]["title"],
        "archive": repository,
        "archive_location": view["accession_id"],
        "URL": url,
        "accessed": {"date-parts": [[accessed.year, accessed.month, accessed.day]]},
    }
    if _interviewers(view):
        item["interviewer"] = [{"literal": n} for n in _interviewers(view)]
    issued = _csl_date(view.get("interview_date"))
    if issued:
        item["issued"] = issued
    if view.get("languages"):
        item["language"] = view["languages"][0]
    if seg is not None:
        item["note"] = _where(seg)
    return item


def _ris_line(tag: str, value) -> str:
    return "%s  - %s" % (tag, " ".join(str(value).split()))


def ris(view: dict, url: str, *, repository: str, accessed: dt.date, segment: str | None = None) -> str:
    """One RIS record (the tagged format every reference manager imports), CRLF line ends as the format says."""
    item = csl_json(view, url, repository=repository, accessed=accessed, segment=segment)
    lines = [_ris_line("TY", "SOUND"), _ris_line("TI", item["title"])]
    lines += [_ris_line("AU", a["literal"]) for a in item["author"]]
    lines += [_ris_line("A2", a["literal"]) for a in item.get("interviewer", [])]
    issued = item.get("issued", {}).get("date-parts")
    if issued:
        parts = issued[0] + [None] * (3 - len(issued[0]))
        lines.append(_ris_line("PY", parts[0]))
        lines.append(_ris_line("DA", "/".join([str(parts[0])] + ["%02d" % p if p else "" for p in parts[1:]]) + "/"))
    lines += [_ris_line("M3", item["medium"]), _ris_line("T2", item["collection-title"]),
              _ris_line("PB", repository), _ris_line("AN", view["accession_id"])]
    lines += [_ris_line("LA", code) for code in view.get("languages", [])[:1]]
    lines += [_ris_line("UR", url), _ris_line("Y2", accessed.strftime("%Y/%m/%d"))]
    if item.get("note"):
        lines.append(_ris_line("N1", item["note"]))
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"
