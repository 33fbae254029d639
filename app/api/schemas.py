"""The shapes of the JSON API's answers, for its OpenAPI description (app/api/openapi.py).

The routes answer with audience views (archive/views.py), which hold more fields for staff than for
the public: each schema names the fields every audience gets (required) and lets the others through.
schemathesis holds the served answers to these schemas (tests/web/test_openapi.py).
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class Open(Schema):
    """Fields beyond those named may come (staff views hold more): additionalProperties allowed."""
    class Meta:
        unknown = INCLUDE


class Error(Open):
    error = fields.String(required=True, metadata={"description": "The kind of error, e.g. 'Not found'."})
    detail = fields.String(allow_none=True, metadata={"description": "Why, where it helps and reveals nothing."})


class Tombstone(Open):
    accession_id = fields.String(required=True)
    message = fields.String(required=True)
    withdrawn_at = fields.String(allow_none=True, metadata={"description": "ISO date of the withdrawal."})


class Gone(Open):
    error = fields.String(required=True, metadata={"description": "'Gone'"})
    tombstone = fields.Nested(Tombstone, required=True)


class Endpoints(Open):
    endpoints = fields.List(fields.String(), required=True)


class TestimonySummary(Open):
    id = fields.String(required=True, metadata={"description": "The accession id."})
    title = fields.String(required=True, allow_none=True)
    collection = fields.String(required=True, metadata={"description": "The collection's id (slug)."})
    languages = fields.List(fields.String(), required=True)
    interview_date = fields.String(required=True, allow_none=True, metadata={"description": "EDTF, e.g. 2015-06."})


class TestimonyPage(Open):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    testimonies = fields.List(fields.Nested(TestimonySummary), required=True)


class CollectionRef(Open):
    id = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)


class Narrator(Open):
    key = fields.String(required=True)
    public_name = fields.String(metadata={"description": "The pseudonym; legal name and contact are staff-only."})


class Place(Open):
    id = fields.String(required=True)
    label = fields.String(required=True)
    variants = fields.List(fields.String(), required=True)


class Consent(Open):
    scope = fields.String(required=True, metadata={"enum": ["open", "researchers", "archive"]})
    permissions = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)


class Segment(Open):
    seq = fields.Integer(required=True)
    start = fields.Float(required=True, allow_none=True, metadata={"description": "Seconds into the recording."})
    end = fields.Float(required=True, allow_none=True)
    title = fields.String(required=True)
    synopsis = fields.String(required=True)
    keywords = fields.List(fields.String(), required=True)
    text = fields.String(required=True, metadata={"description": "The text as the caller's audience reads it "
                                                                "(redactions above it replaced)."})
    pieces = fields.List(fields.Dict(), required=True)
    hyperlinks = fields.List(fields.Dict(), required=True)
    gps = fields.List(fields.Dict(), required=True)


class Transcript(Open):
    key = fields.String(required=True)
    language = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "original or translation"})
    dir = fields.String(required=True, metadata={"enum": ["ltr", "rtl"]})
    segments = fields.List(fields.Nested(Segment), required=True)
    cues = fields.List(fields.Raw(), required=True)
    translation_of = fields.String(allow_none=True, metadata={"description": "A translation's original (key)."})


class Testimony(Open):
    accession_id = fields.String(required=True)
    audience = fields.String(required=True, metadata={"enum": ["public", "researcher", "archivist", "admin"]})
    collection = fields.Nested(CollectionRef, required=True)
    title = fields.String(required=True, allow_none=True)
    summary = fields.String(required=True, allow_none=True)
    interview_date = fields.String(required=True, allow_none=True)
    interview_place = fields.String(required=True, allow_none=True)
    interviewers = fields.List(fields.String(), required=True, allow_none=True)
    languages = fields.List(fields.String(), required=True)
    duration = fields.Float(required=True, allow_none=True)
    subjects = fields.List(fields.String(), required=True)
    keywords = fields.List(fields.String(), required=True)
    places = fields.List(fields.Nested(Place), required=True)
    rights = fields.String(required=True, allow_none=True)
    fictional = fields.Boolean(required=True)
    state = fields.String(required=True)
    narrators = fields.List(fields.Nested(Narrator), required=True)
    consent = fields.Nested(Consent, required=True, allow_none=True)
    transcripts = fields.List(fields.Nested(Transcript), required=True)
    transcript_withheld = fields.Boolean(required=True)
    media = fields.List(fields.Dict(), required=True)


class SegmentHit(Open):
    doc_id = fields.String(required=True)
    kind = fields.String(required=True)
    seq = fields.Integer(required=True)
    transcript = fields.String(required=True)
    start = fields.Float(required=True, allow_none=True)
    end = fields.Float(required=True, allow_none=True)
    title = fields.String(required=True)
    snippet_html = fields.String(required=True, metadata={"description": "Escaped text, hits in <mark>."})
    score = fields.Float(required=True)


class TestimonyHit(Open):
    accession_id = fields.String(required=True)
    title = fields.String(required=True)
    score = fields.Float(required=True)
    hits = fields.List(fields.Nested(SegmentHit), required=True)


class SearchResult(Open):
    query = fields.String(required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pagesize = fields.Integer(required=True)
    testimonies = fields.List(fields.Nested(TestimonyHit), required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.List(fields.Raw())), required=True,
                         metadata={"description": "Per facet, [value, count] pairs."})
    suggestion = fields.String(required=True, allow_none=True, metadata={"description": "Did you mean."})
    error = fields.String(required=True, allow_none=True, metadata={"description": "Why the query could not be read."})
    sort = fields.String(required=True)
    expanded = fields.List(fields.List(fields.String()), required=True)


class Citation(Open):
    apa = fields.String(required=True)
    chicago = fields.String(required=True)
    bibtex = fields.String(required=True)
    ris = fields.String(required=True)
    csl_json = fields.List(fields.Dict(), required=True, data_key="csl-json")


class Suggestions(Open):
    suggestions = fields.List(fields.String(), required=True)


class Collection(Open):
    id = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    description = fields.String(allow_none=True)
    count = fields.Integer(required=True, metadata={"description": "Testimonies the caller may see."})


class Collections(Open):
    collections = fields.List(fields.Nested(Collection), required=True)


SCHEMAS = [Error, Gone, Tombstone, Endpoints, TestimonySummary, TestimonyPage, Testimony, SearchResult,
           Citation, Suggestions, Collections]
