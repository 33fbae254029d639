"""Result types returned by SearchIndexes.search()."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SegmentHit:
    doc_id: str
    kind: str
    seq: int
    transcript: str
    start: float | None
    end: float | None
    title: str
    snippet_html: str
    score: float


@dataclass
class TestimonyHit:
    __test__ = False  # not a pytest test class despite the name

    accession_id: str
    title: str
    score: float
    hits: list[SegmentHit] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    pagesize: int
    testimonies: list[TestimonyHit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    error: str | None = None
    sort: str = "relevance"
    # Groups of name variants the query was widened with, to show the reader.
    expanded: list[list[str]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.pagesize))
