"""A narrator's legal name as a sensitive term of every testimony the narrator is in.

Derived whenever a testimony is scanned, never copied into the register: the term follows every edit
of the narrator and holds however the narrator was entered (form, CSV, JSON, OHMS). Transcripts name
people by parts of their names ("DUARTE:" as a speaker label, "Maria" in a sentence), so every
distinctive part is a variant of the whole name.
"""
from __future__ import annotations

import unicodedata

from .scanning.offsets import fold_text
from .scanning.terms import Term

TERM_ID = "narrator-"          # + the narrator's key: what the findings and "redact all" call such a term
MIN_LETTERS = 3                # "Al", "Bo", initials: too common to say who the narrator is
# Parts of many people's names: alone they would point at nobody and flag every "Abu ..." anywhere.
PARTICLES = frozenset(fold_text(p) for p in (
    "abu", "abou", "ibn", "bin", "bint", "umm", "abd", "ben", "van", "von", "der", "den", "del", "della",
    "dos", "das", "les", "mac", "أبو", "ابو", "ابن", "بنت", "عبد"))


def _parts(name: str) -> list[str]:
    """Runs of letters (with their combining marks), split at anything else: spaces, hyphens, dots."""
    parts, current = [], []
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] == "L" or (category[0] == "M" and current):
            current.append(ch)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return parts


def _letters(part: str) -> int:
    return sum(1 for ch in part if unicodedata.category(ch)[0] == "L")


def name_term(name: str | None) -> Term | None:
    """The whole name with its distinctive parts as variants, category "person"; None without letters."""
    name = " ".join((name or "").split())
    if not any(ch.isalpha() for ch in name):
        return None
    seen, variants = {fold_text(name)}, []
    if any(ch.isdigit() for ch in name):
        # "EXAMPLE-LEGAL-NAME-1", a case number: an identifier, whose parts are ordinary words.
        return Term(name, (), "person")
    for part in _parts(name):
        folded = fold_text(part)
        if _letters(part) < MIN_LETTERS or folded in PARTICLES or folded in seen:
            continue
        seen.add(folded)
        variants.append(part)
    return Term(name, tuple(variants), "person")


def narrator_terms(testimony) -> list[tuple[str, Term]]:
    """(id, term) for each narrator of the testimony with a legal name, one per name."""
    out, seen = [], set()
    for narrator in sorted(testimony.narrators or (), key=lambda n: n.key):
        term = name_term(narrator.legal_name)
        if term is None or fold_text(term.term) in seen:
            continue
        seen.add(fold_text(term.term))
        out.append((TERM_ID + narrator.key, term))
    return out
