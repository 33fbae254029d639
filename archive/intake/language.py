"""A transcript's language guessed from its text, for a file that does not say it (issue 16).

Only the archive's three languages, and only when the text is clear about it: Arabic by its script,
English and French by their commonest words. Anything else (Slovak, Russian, a list of names) is not
guessed: the archivist chooses. A guess is offered in the import's preview for confirmation, never
stored unseen. Written here rather than taken from a language-identification library: those know
hundreds of languages and guess one for any text, where this must say "not sure" outside three.
"""
from __future__ import annotations

import re

SAMPLE = 20_000          # characters read: a transcript's opening is enough
MIN_LETTERS = 40
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[a-zàâçéèêëîïôûùüÿœæ']+")
_ENGLISH = frozenset("the and of to is was that in it he she we they for with on at my but you his her had "
                     "have were be not this what there".split())
_FRENCH = frozenset("le la les des et est que une dans pour pas je il nous du au qui sur avec ce était "
                    "elle ils mais on mon sa son ses vous avait".split())
NAMES = {"ar": "Arabic", "en": "English", "fr": "French"}


def guess(text: str) -> str | None:
    """"ar", "en", "fr", or None when the text does not make it clear."""
    sample = text[:SAMPLE]
    letters = len(_LETTER.findall(sample))
    if letters < MIN_LETTERS:
        return None
    if len(_ARABIC.findall(sample)) > 0.5 * letters:
        return "ar"
    words = _WORD.findall(sample.lower())
    english = sum(w in _ENGLISH for w in words)
    french = sum(w in _FRENCH for w in words)
    # Both lists are a good share of any running text in their language (a third or more of its
    # words); a text where neither reaches a tenth is in another language.
    if max(english, french) < 0.1 * max(1, len(words)):
        return None
    if english >= 2 * french:
        return "en"
    if french >= 2 * english:
        return "fr"
    return None
