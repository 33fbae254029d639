"""Result types returned by SearchIndexes.search()."""
from __future__ import annotations

from dataclasses import dataclass, field

from .query import QueryError

MAX_PAGESIZE = 100
HITS_PER_TESTIMONY = 3
SORTS = ("relevance", "date", "-date", "accession")


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


def empty_result(text: str, page: int, pagesize: int, sort: str) -> SearchResult:
    """The result to fill, its page and page size brought within bounds."""
    pagesize = min(max(1, int(pagesize)), MAX_PAGESIZE)
    return SearchResult(query=text, total=0, page=max(1, int(page)), pagesize=pagesize, sort=sort)


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise QueryError("Unknown sort %r: use relevance, date, -date or accession." % sort)
