"""Did you mean: a query with its unknown words corrected, whichever engine says which words it knows."""
from __future__ import annotations

import re

from .analysis import TOKEN_PATTERN

_WORD = re.compile(TOKEN_PATTERN)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def corrected(query: str, known, correct) -> str | None:
    """The query with each unknown word (not an operator, field name, pattern or number) replaced by
    `correct(word)` where that finds one; None if nothing changed. Shared by the engines."""
    out, pos, changed = [], 0, False
    for m in _WORD.finditer(query or ""):
        word, after = m.group(), query[m.end():m.end() + 1]
        if (word in _OPERATORS or after in (":", "*", "?") or len(word) < 3
                or word.isdigit() or known(word)):
            continue
        fix = correct(word)
        if fix:
            out.append(query[pos:m.start()] + fix)
            pos, changed = m.end(), True
    if not changed:
        return None
    return "".join(out) + query[pos:]


def nearest(word: str, candidates: list[tuple[str, int]], limit: int) -> str | None:
    """The candidate (term, testimonies holding it) nearest to `word` within `limit` edits, a swap of
    neighbours counting as one (as in "sodliers"); at equal distance the most frequent (rapidfuzz, in C)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    found = process.extract(word, [term for term, _ in candidates], scorer=OSA.distance,
                            score_cutoff=limit, limit=None)
    best = [(distance, -candidates[i][1], term) for term, distance, i in found if term != word]
    return min(best)[2] if best else None
