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
