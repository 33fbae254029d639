"""Whoosh schema for testimony/segment documents."""
from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import spell_analyzer, text_analyzer

# Searchable text fields and their boosts in the default multi-field query.
TEXT_FIELDS = {"title": 3.0, "narrator": 2.0, "place": 2.0, "subject": 2.0, "summary": 1.5, "text": 1.0,
               "text_fr": 1.0}
# Transcript text goes to the field whose analyser fits its language; every query searches all of them.
TEXT_FIELD_FOR_LANGUAGE = {"fr": "text_fr"}
# Request filter key -> index field holding the values.
FACET_FIELDS = {"collection": "collection", "language": "languages", "place": "places",
                "subject": "subjects", "role": "roles", "decade": "decade", "year": "year"}
LIST_FIELDS = ("languages", "places", "subjects", "roles")
SPELL_FIELD = "spell"


def make_schema() -> Schema:
    ana = text_analyzer()
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
        title=TEXT(analyzer=ana, stored=True),
        summary=TEXT(analyzer=ana, stored=True),
        narrator=TEXT(analyzer=ana),
        place=TEXT(analyzer=ana),
        subject=TEXT(analyzer=ana),
        text=TEXT(analyzer=ana, stored=True),
        text_fr=TEXT(analyzer=text_analyzer("fr"), stored=True),
        lang=ID(stored=True),
        collection=ID(stored=True),
        languages=KEYWORD(stored=True, commas=True, scorable=False),
        places=KEYWORD(stored=True, commas=True, scorable=False),
        subjects=KEYWORD(stored=True, commas=True, scorable=False),
        roles=KEYWORD(stored=True, commas=True, scorable=False, lowercase=True),
        year=NUMERIC(int, stored=True, bits=32, signed=True),
        decade=NUMERIC(int, stored=True, bits=32, signed=True),
        # The interview date as a span of years (an uncertain "2015?" spans 2014-2016), for year: queries.
        year_from=NUMERIC(int, stored=True, bits=32, signed=True),
        year_to=NUMERIC(int, stored=True, bits=32, signed=True),
        testimony_title=STORED(),
        # Hash of all a testimony's documents (on its first one): an unchanged testimony is not rewritten.
        fingerprint=STORED(),
        # Unstemmed readable words of all text fields, for suggest/did-you-mean.
        spell=TEXT(analyzer=spell_analyzer(), phrase=False),
    )
