"""Whoosh schema for testimony/segment documents."""
from __future__ import annotations

import re

from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint

from .analysis import TOKEN_PATTERN, _analyze_token, light_normalize, spell_analyzer, text_analyzer

_TOKEN = re.compile(TOKEN_PATTERN)

# Searchable text fields and their boosts in the default multi-field query.
TEXT_FIELDS = {"title": 3.0, "narrator": 2.0, "place": 2.0, "subject": 2.0, "summary": 1.5, "text": 1.0,
               "text_fr": 1.0}
# Transcript text goes to the field whose analyser fits its language; every query searches all of them.
TEXT_FIELD_FOR_LANGUAGE = {"fr": "text_fr"}
# Request filter key -> index field holding the values.
FACET_FIELDS = {"collection": "collection", "language": "languages", "place": "places",
                "subject": "subjects", "role": "roles", "decade": "decade", "year": "year",
                "audio": "has_audio"}
LIST_FIELDS = ("languages", "places", "subjects", "roles")
SPELL_FIELD = "spell"


class FastText(TEXT):
    """A TEXT field that indexes without Whoosh's per-token objects and generators.

    It yields exactly the terms, positions, frequencies and weights that its analyser would (the
    analyser is unchanged, and still used for queries): tokenizer matches numbered from 0, each
    normalised and stemmed by the same cached function, tokens that normalise to nothing dropped
    with their position left as a gap. Indexing is most of the cost of every write, and this is
    about twice as fast as the generic path.
    """

    def __init__(self, lang: str = "en", **kwargs):
        super().__init__(analyzer=text_analyzer(lang), **kwargs)
        self.lang = lang

    def index(self, value, **kwargs):
        lang, encode = self.lang, self.format.encode
        poses: dict[str, list[int]] = {}
        for pos, word in enumerate(_TOKEN.findall(value)):
            term = _analyze_token(word, True, lang)
            if term:
                held = poses.get(term)
                if held is None:
                    poses[term] = [pos]
                else:
                    held.append(pos)
        boost = self.format.field_boost
        for term, positions in poses.items():
            yield term.encode("utf-8"), len(positions), len(positions) * boost, encode(positions)


class SpellText(TEXT):
    """The unstemmed words for suggestions: frequencies only, indexed the fast way (as FastText)."""

    def __init__(self):
        super().__init__(analyzer=spell_analyzer(), phrase=False)

    def index(self, value, **kwargs):
        freqs: dict[str, int] = {}
        for word in _TOKEN.findall(value):
            word = light_normalize(word)
            if word:
                freqs[word] = freqs.get(word, 0) + 1
        boost = self.format.field_boost
        for word, freq in freqs.items():
            yield word.encode("utf-8"), freq, freq * boost, pack_uint(freq)


def _year(stored: bool = True) -> NUMERIC:
    # One term per value (shift_step=0): an archive has a few dozen distinct years, so a range query
    # enumerates them directly, and each document carries one term instead of eight.
    return NUMERIC(int, stored=stored, bits=32, signed=True, shift_step=0)


def make_schema() -> Schema:
    return Schema(
        doc_id=ID(stored=True, unique=True),
        testimony=ID(stored=True, sortable=True),  # column: grouping without loading stored docs
        kind=ID(stored=True),
        seq=STORED(),
        transcript=STORED(),
        start=STORED(),
        end=STORED(),
        # Only fields needed for display/highlighting are stored: less
        # redacted-at-source data duplicated into index files.
        title=FastText(stored=True),
        summary=FastText(stored=True),
        narrator=FastText(),
        place=FastText(),
        subject=FastText(),
        text=FastText(stored=True),
        text_fr=FastText("fr", stored=True),
        lang=ID(stored=True),
        collection=ID(stored=True),
        languages=KEYWORD(stored=True, commas=True, scorable=False),
        places=KEYWORD(stored=True, commas=True, scorable=False),
        subjects=KEYWORD(stored=True, commas=True, scorable=False),
        roles=KEYWORD(stored=True, commas=True, scorable=False, lowercase=True),
        has_audio=ID(stored=True),  # "yes" where the audience may listen to a recording
        year=_year(),
        decade=_year(),
        # The interview date as a span of years (an uncertain "2015?" spans 2014-2016), for year: queries.
        year_from=_year(),
        year_to=_year(),
        testimony_title=STORED(),
        # The testimony's facet values (JSON, see documents.facet_column) on every document, as a
        # column: counting facets over thousands of hits reads these bytes, not whole stored documents.
        facets=COLUMN(),
        # Hash of all a testimony's documents (on its first one): an unchanged testimony is not rewritten.
        fingerprint=STORED(),
        # Unstemmed readable words of all a testimony's text fields, once each on its first document,
        # for suggest/did-you-mean (document frequency there counts testimonies).
        spell=SpellText(),
    )
