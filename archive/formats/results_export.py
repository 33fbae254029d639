"""Search results as CSV and JSON files, for a reader to take away.

Rows come from a SearchResult (the caller's own index), with snippets turned back into plain text.
CSV cells that a spreadsheet would run as a formula are neutralised (OWASP's CSV injection advice).
"""
from __future__ import annotations

import csv
import html
import io
import json
import re

COLUMNS = ("rank", "accession_id", "title", "url", "segment_url", "timecode", "segment_title", "snippet", "score")
_TAG = re.compile(r"<[^>]+>")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def plain(snippet_html: str) -> str:
    return html.unescape(_TAG.sub("", snippet_html or "")).strip()


def rows(testimonies, testimony_url, segment_url, timecode) -> list[dict]:
    out = []
    for rank, t in enumerate(testimonies, 1):
        best = next((h for h in t.hits if h.kind == "segment"), t.hits[0] if t.hits else None)
        out.append({
            "rank": rank, "accession_id": t.accession_id, "title": t.title, "url": testimony_url(t.accession_id),
            "segment_url": segment_url(t.accession_id, best) if best is not None and best.kind == "segment" else "",
            "timecode": timecode(best.start) if best is not None and best.start is not None else "",
            "segment_title": best.title if best is not None and best.kind == "segment" else "",
            "snippet": plain(best.snippet_html) if best is not None else "",
            "score": round(t.score, 4),
        })
    return out


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(data: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in data:
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def to_json(data: list[dict], meta: dict) -> str:
    return json.dumps({**meta, "results": data}, ensure_ascii=False, indent=2)
