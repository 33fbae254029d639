"""The archive's matching normalisation, applied so every folded character knows where it came from.

`archive.search.analysis.normalize` changes lengths (harakat and tatweel vanish, "ß" becomes "ss",
a decomposed "e" + U+0301 becomes one "e"), so a match in folded text cannot be used as an offset
into the transcript. Folding one grapheme cluster (a base character and its combining marks) at a
time keeps a map from every folded character back to the cluster it came from, and a cluster is
never split: a span mapped back never separates a letter from its harakat or accent, which
`archive.redaction.check_span` would refuse.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from archive.search.analysis import normalize

# Typographic apostrophes and hyphens differ between a term list typed by hand and a transcript
# produced by a word processor; they must not stop "Ra'ad" matching "Ra’ad".
_PUNCT = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u02bf": "'", "\u02be": "'",
                        "\u00b4": "'", "`": "'", "\u2010": "-", "\u2011": "-", "\u2012": "-",
                        "\u2013": "-", "\u00ad": ""})


@lru_cache(maxsize=1)
def _bmp_marks() -> frozenset[str]:
    return frozenset(c for c in map(chr, range(0x300, 0x10000)) if unicodedata.category(c)[0] == "M")


def _is_mark(ch: str) -> bool:
    if ch < "\u0300":
        return False
    if ch <= "\uffff":
        return ch in _bmp_marks()
    return unicodedata.category(ch)[0] == "M"


@lru_cache(maxsize=20_000)
def fold_cluster(cluster: str) -> str:
    return normalize(cluster.translate(_PUNCT))


@dataclass(frozen=True)
class Folded:
    """Folded text plus, for each folded character, the original cluster's [start, end)."""
    text: str
    starts: Sequence[int]
    ends: Sequence[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original code-point span of folded[start:end] (whole clusters, never fewer)."""
        return self.starts[start], self.ends[end - 1]


def fold(text: str) -> Folded:
    """Fold `text` as the search index does, keeping an offset map back to `text`."""
    if text.isascii():
        # The common case for English transcripts: one-to-one, and casefold == lower for ASCII.
        folded = text.lower().translate(_PUNCT)
        return Folded(folded, range(len(text)), range(1, len(text) + 1))
    # Most characters fold to exactly one character on their own (an Arabic letter, "é"); they
    # are translated in bulk. Only clusters with combining marks and characters that fold to
    # zero or several characters (tatweel, "ß") need the slow, cluster-by-cluster path.
    table: dict[int, str] = {}
    marks: list[str] = []
    irregular: list[str] = []
    for ch in set(text):
        if _is_mark(ch):
            marks.append(ch)
            continue
        piece = fold_cluster(ch)
        if len(piece) == 1:
            table[ord(ch)] = piece
        else:
            irregular.append(ch)
    if not marks and not irregular:
        return Folded(text.translate(table), range(len(text)), range(1, len(text) + 1))
    mark_class = f"[{re.escape(''.join(marks))}]" if marks else ""
    alternatives = []
    if marks:
        alternatives.append(f"(?s:.)?{mark_class}+")
    if irregular:
        alternatives.append(f"[{re.escape(''.join(irregular))}]" + (f"{mark_class}*" if marks else ""))
    special = re.compile("|".join(alternatives))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for m in special.finditer(text):
        i, j = m.span()
        if i > done:
            out.append(text[done:i].translate(table))
            starts.extend(range(done, i))
            ends.extend(range(done + 1, i + 1))
        piece = fold_cluster(m.group())
        if piece:
            out.append(piece)
            starts.extend([i] * len(piece))
            ends.extend([j] * len(piece))
        done = j
    if done < len(text):
        out.append(text[done:].translate(table))
        starts.extend(range(done, len(text)))
        ends.extend(range(done + 1, len(text) + 1))
    return Folded("".join(out), starts, ends)


def fold_text(text: str) -> str:
    """The folded string alone, for terms and for independent checks."""
    return fold(text).text
