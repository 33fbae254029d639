"""Citations of a testimony, or of one segment at its timecode, in Chicago, APA and BibTeX.

Built from an audience view only, so a citation never names more than the reader may see: narrators
by their public names, no interview place (undisclosed places are part of what keeps narrators safe).
"""
from __future__ import annotations

import datetime as dt
import re

from . import edtf

STYLES = {"chicago": "Chicago", "apa": "APA", "bibtex": "BibTeX"}


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
        raise CitationError("Unknown citation style %r: use chicago, apa or bibtex." % style)
    seg = _segment(view, segment)
    names = _names(view) or ["Anonymous narrator"]
    interviewers = _interviewers(view)
    year = _year(view)
    title = view["title"]
    collection = view["collection"]["title"]
    accession = view["accession_id"]
    date = view.get("interview_date") if isinstance(view.get("interview_date"), str) else None
    at = ""
    if seg is not None:
        at = (" at %s" % timecode(seg["start"])) if seg.get("start") is not None else ""
        at += (", “%s”" % seg["title"]) if seg.get("title") and style != "bibtex" else ""
    if style == "chicago":
        by = " Interview by %s." % _join(interviewers) if interviewers else " Oral history interview."
        return (f"{_join(names)}.{by} {date or 'Undated'}. “{title}”{at}. {accession}. "
                f"{collection}, {repository}. Accessed {accessed:%B} {accessed.day}, {accessed.year}. {url}.")
    if style == "apa":
        by = f", interviewed by {_join(interviewers)}" if interviewers else ""
        return (f"{_join(names)} ({year}). {title} [Oral history interview{by}; {accession}{at}]. "
                f"{collection}. {repository}. {url}")
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
