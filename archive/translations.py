"""Translations: which segments of a translation say what which segments of its original say, and
whether every span redacted in the original is redacted in the translation too.

Segments pair by time where both transcripts are timed (their ranges overlap), else by position. A
redaction of the original hides a name from some audience; the translation says the same name in the
segment(s) paired with the one holding the span, so it may reach that audience only with a redaction
of its own there that hides from at least the same audiences (one each: two names need two), and
with none of the original's redacted texts left readable anywhere in it (in any disguise the
scanner sees through). Until then the translation is not shown below archivist (views) and a write
that would publish it is refused (services/gate.py).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from .audience import Audience

KINDS = ("original", "translation")
# A transcript's columns that make it a translation (the JSON format uses the same names).
TRANSLATION_FIELDS = ("translation_of", "translator", "translator_key", "machine")


@dataclass(frozen=True)
class Part:
    """A segment as alignment sees it: its position, time range and text range."""
    seq: int
    start: float | None
    end: float | None
    lo: int
    hi: int


def parts(transcript) -> list[Part]:
    """A transcript's segments (model rows); one untimed part over the whole text when it has none."""
    if not transcript.segments:
        return [Part(0, None, None, 0, len(transcript.text or ""))]
    return [Part(i, s.start, s.end, s.text_start, s.text_end) for i, s in enumerate(transcript.segments)]


def _ranges(items: list[Part]) -> list[tuple[float, float]]:
    # A segment without an end runs to the next one's start (the last: to the end of the recording).
    out = []
    for i, p in enumerate(items):
        nxt = items[i + 1].start if i + 1 < len(items) else None
        end = p.end if p.end is not None else (nxt if nxt is not None else math.inf)
        out.append((p.start, max(end, p.start)))
    return out


def _timed(items: list[Part]) -> bool:
    return all(p.start is not None for p in items)


def pairs(original: list[Part], translation: list[Part]) -> list[list[int]]:
    """For each segment of the translation, the positions of the original's segments it pairs with."""
    if not original or not translation:
        return [[] for _ in translation]
    if _timed(original) and _timed(translation):
        o_ranges, t_ranges = _ranges(original), _ranges(translation)
        starts = [o0 for o0, _ in o_ranges]
        reach, furthest = [], -math.inf      # reach[i]: the latest end among segments 0..i
        for _, o1 in o_ranges:
            furthest = max(furthest, o1)
            reach.append(furthest)
        ordered = starts == sorted(starts)
        out = []
        for t0, t1 in t_ranges:
            # (segments in time order: only those starting before t1 and reaching past t0 are looked at)
            lo, hi = (bisect.bisect_left(reach, t0), bisect.bisect_right(starts, t1)) if ordered \
                else (0, len(o_ranges))
            hit = [i for i in range(lo, hi) if (starts[i] < t1 and t0 < o_ranges[i][1]) or starts[i] == t0]
            if not hit:    # (an instant, or past the original's end: the one starting last before it)
                before = [i for i, o0 in enumerate(starts) if o0 <= t0]
                hit = [before[-1] if before else 0]
            out.append(hit)
        return out
    n_o, n_t = len(original), len(translation)
    # By position; what one side has beyond the other's count pairs with the other's last segment.
    out = [[j] if j < n_o else [n_o - 1] for j in range(n_t)]
    out[-1] = sorted(set(out[-1]) | set(range(n_t, n_o)))
    return out


def counterparts(original: list[Part], translation: list[Part]) -> dict[int, list[int]]:
    """original position -> the translation's positions paired with it."""
    out: dict[int, list[int]] = {i: [] for i in range(len(original))}
    for j, hit in enumerate(pairs(original, translation)):
        for i in hit:
            out[i].append(j)
    return out


def moment(original: list[Part], translation: list[Part], j: int) -> float | None:
    """When translation segment j is said: its own start, else its first paired original's."""
    if translation[j].start is not None:
        return translation[j].start
    hit = pairs(original, translation)[j]
    return original[hit[0]].start if hit else None


def _hides_below_staff(redaction) -> bool:
    return Audience.parse(redaction.visible_to) > Audience.PUBLIC


def _holding(items: list[Part], lo: int, hi: int, los: list[int] | None = None) -> list[int]:
    """Positions of the segments holding text lo..hi (segments tile their text in order: `los`, their
    starts, lets a long transcript be searched by bisection)."""
    if los is None:
        return [p.seq for p in items if p.lo < hi and lo < p.hi] or [len(items) - 1]
    out = []
    for k in range(max(bisect.bisect_right(los, lo) - 1, 0), len(items)):
        if items[k].lo >= hi and out:
            break
        if items[k].lo < hi and lo < items[k].hi:
            out.append(items[k].seq)
    return out or [len(items) - 1]


def _starts(items: list[Part]) -> list[int] | None:
    los = [p.lo for p in items]
    return los if los == sorted(los) else None


def gaps(original, translation, redactions) -> list[str]:
    """Every reason the translation may not reach readers yet, naming segment and span (none: it may)."""
    o_parts, t_parts = parts(original), parts(translation)
    theirs = [r for r in redactions if r.transcript_id == original.id and r.start is not None
              and _hides_below_staff(r)]
    if not theirs:
        return []
    ours = sorted((r for r in redactions if r.transcript_id == translation.id and r.start is not None),
                  key=lambda c: (c.start, c.end))
    paired = counterparts(o_parts, t_parts)
    o_los, t_los = _starts(o_parts), _starts(t_parts)
    # The translation's redactions by the segments they touch, each bucket in text order.
    buckets: dict[int, list] = {}
    for n, c in enumerate(ours):
        for j in _holding(t_parts, c.start, c.end, t_los):
            buckets.setdefault(j, []).append(n)
    used: set[str] = set()
    problems = []
    for r in sorted(theirs, key=lambda r: (r.start, r.end)):
        held = _holding(o_parts, r.start, r.end, o_los)
        targets = sorted({j for i in held for j in paired.get(i, [])})
        candidates = sorted({n for j in targets for n in buckets.get(j, [])})
        match = next((ours[n] for n in candidates if ours[n].key not in used
                      and Audience.parse(ours[n].visible_to) >= Audience.parse(r.visible_to)
                      and any(t_parts[j].lo < ours[n].end and ours[n].start < t_parts[j].hi for j in targets)),
                     None)
        if match is not None:
            used.add(match.key)
            continue
        where = ", ".join(str(j) for j in targets) or "none"
        problems.append(f"translation {translation.key}: redaction {r.key} of {original.key} (characters "
                        f"{r.start}..{r.end}, segment {', '.join(map(str, held))}) has no counterpart redaction "
                        f"hiding from {Audience.parse(r.visible_to).label}'s lower audiences in its segment {where}")
    problems += _still_readable(original, translation, theirs, ours, t_parts)
    return problems


def _still_readable(original, translation, theirs, ours, t_parts) -> list[str]:
    """The original's redacted texts, in any spelling the scanner folds, left outside the translation's
    own redactions."""
    from .scanning import find_terms
    keys: dict[str, list[str]] = {}
    for r in theirs:
        if (r.text or "").strip():
            keys.setdefault(r.text, []).append(r.key)
    if not keys:
        return []
    problems = []
    # (one pass over the translation for all the texts: a view is made per audience at every write)
    for occurrence in find_terms(translation.text or "", list(keys), redacted=[(c.start, c.end) for c in ours]):
        seq = _holding(t_parts, occurrence.start, occurrence.end, _starts(t_parts))[0]
        for key in keys.get(occurrence.term_key, [occurrence.term_key]):
            problems.append(f"translation {translation.key}: segment {seq} (characters {occurrence.start}.."
                            f"{occurrence.end}) still reads what redaction {key} of {original.key} hides")
    return problems


def problems(testimony) -> list[str]:
    """Every translation of the testimony that may not reach readers, and why."""
    by_key = {t.key: t for t in testimony.transcripts}
    out = []
    for tr in testimony.transcripts:
        original = by_key.get(tr.translation_of) if tr.translation_of else None
        if original is not None:
            out += gaps(original, tr, testimony.redactions)
    return out


def blocked(testimony) -> set[str]:
    """Keys of the translations no audience below archivist may read now."""
    by_key = {t.key: t for t in testimony.transcripts}
    return {tr.key for tr in testimony.transcripts
            if tr.translation_of and tr.translation_of in by_key
            and gaps(by_key[tr.translation_of], tr, testimony.redactions)}


def link_problem(key: str, translation_of: str | None, keys: dict[str, str | None]) -> str | None:
    """Why a transcript `key` may not translate `translation_of` (None: it may). `keys`: every
    transcript of the testimony -> what it translates."""
    if not translation_of:
        return None
    if translation_of == key:
        return "a transcript cannot be the translation of itself"
    if translation_of not in keys:
        return f"there is no transcript {translation_of!r} in this testimony to translate"
    if keys[translation_of]:
        return (f"transcript {translation_of!r} is itself a translation (of {keys[translation_of]!r}): "
                "a translation names the original")
    return None


def reading(transcripts: list[dict]) -> list[dict]:
    """A view's transcripts as the reader's page lays them out: each original alone, or beside its
    translations in rows, every row the original's segments and the translations' segments paired with
    them (a translation segment sits in the row of the first original segment it pairs with)."""
    keys = {tr["key"] for tr in transcripts}
    translations: dict[str, list[dict]] = {}
    for tr in transcripts:
        if tr.get("translation_of") in keys:
            translations.setdefault(tr["translation_of"], []).append(tr)
    blocks = []
    for tr in transcripts:
        if tr.get("translation_of") in keys:
            continue
        theirs = translations.get(tr["key"], [])
        if not theirs:
            blocks.append({"original": tr, "translations": [], "rows": []})
            continue
        n = len(tr["segments"])
        # Rows: runs of original segments that one translation segment spans are kept together.
        joined = [False] * n       # joined[i]: segment i shares a row with segment i - 1
        for t in theirs:
            for s in t["segments"]:
                hit = s.get("pairs") or []
                for i in range(min(hit, default=0) + 1, max(hit, default=0) + 1):
                    joined[i] = True
        row_of, rows = [], -1
        for i in range(n):
            rows += 0 if (i and joined[i]) else 1
            row_of.append(max(rows, 0))
        grid = [{"original": [], "translations": [[] for _ in theirs]} for _ in range(max(rows + 1, 1))]
        for i, s in enumerate(tr["segments"]):
            grid[row_of[i]]["original"].append(s)
        for k, t in enumerate(theirs):
            for s in t["segments"]:
                hit = s.get("pairs") or [n - 1]
                grid[row_of[min(hit)] if row_of else 0]["translations"][k].append(s)
        blocks.append({"original": tr, "translations": theirs, "rows": grid})
    return blocks
