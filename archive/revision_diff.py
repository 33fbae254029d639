"""What changed between two whole records (the full JSON format that revisions keep): field by
field for metadata, consent, narrators, redactions and terms; transcript text word by word."""
from __future__ import annotations

import difflib
import re
from typing import Any

from .audience import Audience

METADATA_FIELDS = ("collection", "title", "summary", "interview_date", "interview_place", "languages",
                   "duration", "interviewers", "subjects", "keywords", "places", "rights", "fictional", "state")
CONSENT_FIELDS = ("status", "scope", "date", "obtained_by", "embargo_until", "permissions",
                  "withdrawn_date", "withdrawal_reason")
NARRATOR_FIELDS = ("public_name", "legal_name", "contact", "risk_notes", "birth_year", "gender",
                   "nationality", "role")
REDACTION_FIELDS = ("field", "transcript", "start", "end", "text", "category", "reason", "visible_to",
                    "replacement", "state", "proposed_by", "approved_by")
TERM_FIELDS = ("variants", "category", "visible_to")
SEGMENT_FIELDS = ("start", "end", "title", "synopsis", "keywords", "text_start", "text_end")
# Unchanged text around a change, in tokens (words and the spaces between them).
CONTEXT_TOKENS = 16
# A word keeps its combining marks (harakat) and punctuation: split on white space only.
TOKEN = re.compile(r"\s+|\S+")


def shown(value: Any) -> str:
    """A value as a reader of the diff sees it."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {shown(v)}" for k, v in sorted(value.items()))
    return str(value)


def _fields(before: dict, after: dict, names) -> list[dict]:
    return [{"field": name, "before": shown(before.get(name)), "after": shown(after.get(name))}
            for name in names if before.get(name) != after.get(name)]


def _keyed(before: list[dict], after: list[dict], key: str, names) -> list[dict]:
    """Items matched by key: added, removed, or changed with the fields that differ."""
    old = {item[key]: item for item in before}
    new = {item[key]: item for item in after}
    out = []
    for k in [*old, *(k for k in new if k not in old)]:
        if k not in new:
            out.append({"key": k, "change": "removed", "fields": _fields(old[k], {}, names)})
        elif k not in old:
            out.append({"key": k, "change": "added", "fields": _fields({}, new[k], names)})
        else:
            fields = _fields(old[k], new[k], names)
            if fields:
                out.append({"key": k, "change": "changed", "fields": fields})
    return out


def word_diff(before: str, after: str, context: int = CONTEXT_TOKENS) -> list[dict]:
    """Runs of {"op": equal|insert|delete|skip, "text"} turning `before` into `after`; long unchanged
    stretches are cut to `context` tokens either side of a change ("skip" says how many characters)."""
    a, b = TOKEN.findall(before), TOKEN.findall(after)
    # Most edits are local: trim what both share at the ends before the quadratic matcher runs.
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    runs: list[tuple[str, str]] = [("equal", "".join(a[:head]))] if head else []
    matcher = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(a[head + i1:head + i2]), "".join(b[head + j1:head + j2])
        if op == "equal":
            runs.append(("equal", old))
        else:
            if old:
                runs.append(("delete", old))
            if new:
                runs.append(("insert", new))
    if tail:
        runs.append(("equal", "".join(a[len(a) - tail:])))
    out: list[dict] = []
    for n, (op, text) in enumerate(runs):
        if op != "equal":
            out.append({"op": op, "text": text})
            continue
        tokens = TOKEN.findall(text)
        keep_head = context if n > 0 else 0
        keep_tail = context if n < len(runs) - 1 else 0
        if len(tokens) <= keep_head + keep_tail:
            out.append({"op": "equal", "text": text})
            continue
        first, last = "".join(tokens[:keep_head]), "".join(tokens[len(tokens) - keep_tail:])
        if first:
            out.append({"op": "equal", "text": first})
        out.append({"op": "skip", "text": "", "chars": len(text) - len(first) - len(last)})
        if last:
            out.append({"op": "equal", "text": last})
    return out


def unified(before: str, after: str, before_label: str, after_label: str) -> str:
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), before_label, after_label,
                                          lineterm="", n=1))


def _segment(s: dict) -> tuple:
    return tuple(tuple(s.get(f) or ()) if f == "keywords" else s.get(f) for f in SEGMENT_FIELDS)


def segment_diff(before: list[dict], after: list[dict]) -> list[dict]:
    """Segments aligned as runs (a split or merge shifts the numbers of all that follow): the ones
    that changed, with their numbers before and after and the fields that differ."""
    out = []
    matcher = difflib.SequenceMatcher(None, [_segment(s) for s in before], [_segment(s) for s in after],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            out.append({"change": "changed", "before": i1 + k, "after": j1 + k,
                        "fields": _fields(before[i1 + k], after[j1 + k], SEGMENT_FIELDS)})
        for i in range(i1 + pairs, i2):
            out.append({"change": "removed", "before": i, "after": None,
                        "fields": _fields(before[i], {}, SEGMENT_FIELDS)})
        for j in range(j1 + pairs, j2):
            out.append({"change": "added", "before": None, "after": j,
                        "fields": _fields({}, after[j], SEGMENT_FIELDS)})
    return out


def _transcripts(before: list[dict], after: list[dict], labels: tuple[str, str]) -> list[dict]:
    old = {t["id"]: t for t in before}
    new = {t["id"]: t for t in after}
    out = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key, {}), new.get(key, {})
        change = "removed" if not b else "added" if not a else "changed"
        item = {"key": key, "change": change, "language": (b or a).get("language", ""),
                "fields": _fields(a, b, ("language", "kind")),
                "segments": segment_diff(a.get("segments", []), b.get("segments", []))}
        text_a, text_b = a.get("text", ""), b.get("text", "")
        item["words"] = word_diff(text_a, text_b) if text_a != text_b else []
        item["unified"] = unified(text_a, text_b, *labels) if text_a != text_b else ""
        if change != "changed" or item["fields"] or item["segments"] or item["words"]:
            out.append(item)
    return out


def diff_records(before: dict, after: dict, labels: tuple[str, str] = ("before", "after")) -> dict:
    """Every difference between two whole records, section by section; empty sections are empty lists."""
    consent_a, consent_b = before.get("consent"), after.get("consent")
    consent = _fields(consent_a or {}, consent_b or {}, CONSENT_FIELDS)
    if (consent_a is None) != (consent_b is None):
        consent.insert(0, {"field": "consent", "before": "recorded" if consent_a else "none",
                           "after": "recorded" if consent_b else "none"})
    diff = {
        "metadata": _fields(before, after, METADATA_FIELDS),
        "consent": consent,
        "narrators": _keyed(before.get("narrators", []), after.get("narrators", []), "id", NARRATOR_FIELDS),
        "redactions": _keyed(before.get("redactions", []), after.get("redactions", []), "id", REDACTION_FIELDS),
        "sensitive_terms": _keyed(before.get("sensitive_terms", []), after.get("sensitive_terms", []), "term",
                                  TERM_FIELDS),
        "transcripts": _transcripts(before.get("transcripts", []), after.get("transcripts", []), labels),
    }
    diff["empty"] = not any(diff.values())
    return diff


def withheld(records: list[dict], audience: Audience) -> list[dict]:
    """The records with every original hidden from `audience` (by any of their redactions: an
    admin-only span is hidden from archivists too) replaced by its replacement wherever it occurs,
    in every string of every record: an older record may hold the words before they were redacted.
    A sensitive term above `audience` is left out of the records' terms: the term names whom it protects."""
    records = [{**record, "sensitive_terms": [s for s in record.get("sensitive_terms", [])
                                              if audience >= Audience.parse(s.get("visible_to") or "archivist")]}
               if "sensitive_terms" in record else record for record in records]
    hidden: dict[str, str] = {}
    for record in records:
        for r in record.get("redactions", []):
            if audience >= Audience.parse(r["visible_to"]):
                continue
            value = r.get("text") if not r.get("field") else record.get(r["field"])
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v.strip():
                    hidden[v] = r["replacement"]
    if not hidden:
        return records
    pattern = re.compile("|".join(re.escape(h) for h in sorted(hidden, key=len, reverse=True)))

    def walk(value):
        if isinstance(value, str):
            return pattern.sub(lambda m: hidden[m.group()], value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return [walk(record) for record in records]
