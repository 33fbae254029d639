"""Query execution: group segment hits by testimony, facet, paginate."""
from __future__ import annotations

import json
from collections import Counter

from whoosh import query as wq
from whoosh.searching import Hit

from ..query import QueryError, build_filter, parse
from ..results import HITS_PER_TESTIMONY, SearchResult, SegmentHit, TestimonyHit, check_sort, empty_result
from ..documents import facet_column as encode_facets
from .lexicon import _is_live
from ..schema import FACET_FIELDS, TEXT_FIELDS
from ..snippets import snippet

def _segment_hit(hit, stored: dict, highlight: bool) -> SegmentHit:
    kind = stored["kind"]
    return SegmentHit(
        doc_id=stored["doc_id"], kind=kind, seq=stored.get("seq", -1),
        transcript=stored.get("transcript", ""), start=stored.get("start"),
        end=stored.get("end"), title=stored.get("title", ""),
        snippet_html=snippet(hit, kind, stored, highlight), score=float(hit.score or 0.0))


def _order(groups: dict, best: dict, meta: dict, sort: str, scored: bool) -> list[str]:
    if sort == "accession" or (sort == "relevance" and not scored):
        return sorted(groups)
    if sort in ("date", "-date"):
        years = {t: int(meta[t]["year"][0]) for t in groups if meta[t]["year"]}
        dated = sorted(years, key=lambda t: (years[t], t), reverse=sort == "-date")
        return dated + sorted(t for t in groups if t not in years)  # undated last
    return sorted(groups, key=lambda t: (-best[t], t))


def in_index(searcher):
    """A predicate: does this name occur (every word of it) in the index's text?"""
    reader = searcher.reader()
    fields = [(name, searcher.schema[name].analyzer) for name in TEXT_FIELDS]

    def present(name: str) -> bool:
        for field, analyzer in fields:
            words = [t.text for t in analyzer(name)]
            if words and all(_is_live(reader, field, w) for w in words):
                return True
        return False
    return present


def run_search(searcher, text: str, filters, page: int, pagesize: int, sort: str = "relevance",
               expander=None) -> SearchResult:
    result = empty_result(text, page, pagesize, sort)
    try:
        check_sort(sort)
        q, result.expanded = parse(searcher.schema, text, expander)
        flt = build_filter(filters)
        results = searcher.search(q, filter=flt, limit=None, terms=True)
    except QueryError as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # any parser/search failure is the user's query, not a crash
        result.error = "Could not understand the query (%s)." % type(exc).__name__
        return result
    scored = not isinstance(q, wq.Every)

    result.facets = {key: [] for key in FACET_FIELDS}
    if results.is_empty():
        return result  # an index with no segments has no columns to read
    reader = searcher.reader()
    column = reader.column_reader("testimony", translate=True)
    facet_column = reader.column_reader("facets", translate=False) if "facets" in searcher.schema else None
    groups: dict[str, list[tuple[int, int, float]]] = {}
    for pos, (docnum, score) in enumerate(results.items()):
        groups.setdefault(column[docnum], []).append((docnum, pos, float(score or 0.0)))

    # Facet values come from a column, one matching document per testimony; stored fields are
    # loaded only for the hits on the page being shown.
    meta = {tid: _facet_values(searcher, facet_column, docs[0][0]) for tid, docs in groups.items()}
    facets = {key: Counter() for key in FACET_FIELDS}
    for values in meta.values():
        for key, vals in values.items():
            facets[key].update(vals)
    result.facets = {k: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for k, c in facets.items()}

    best = {tid: max(score for _, _, score in docs) for tid, docs in groups.items()}
    order = _order(groups, best, meta, sort, scored)
    result.total = len(order)
    for tid in order[(page - 1) * pagesize: page * pagesize]:
        # Documents were added in segment order, so the document number breaks score ties in
        # transcript order without loading every matching segment's stored text.
        top = sorted(groups[tid], key=lambda d: (-d[2], d[0]))[:HITS_PER_TESTIMONY]
        hits = [_segment_hit(Hit(results, docnum, pos, score), searcher.stored_fields(docnum), scored)
                for docnum, pos, score in top]
        title = searcher.stored_fields(top[0][0]).get("testimony_title", "")
        result.testimonies.append(TestimonyHit(tid, title, best[tid], hits))
    return result


def _facet_values(searcher, facet_column, docnum: int) -> dict[str, list[str]]:
    raw = facet_column[docnum] if facet_column is not None else b""
    if not raw:  # a segment written before the facets column
        raw = encode_facets(searcher.stored_fields(docnum))
    return json.loads(raw)


def run_browse(searcher, filters, page: int, pagesize: int, held: dict | None = None) -> SearchResult:
    """Every testimony the index holds (within `filters`), by accession id: the facet counts of them
    all and the page's ids and titles, without a query. Lists and counts of whole collections come
    from here, so their cost follows the index, never a view of each testimony.

    `held`: a dict kept by the caller for this searcher (emptied when it is replaced), where the
    pass over the index is kept per filter: the next page or count of the same index is a lookup."""
    result = empty_result("", page, pagesize, "accession")
    page, pagesize = result.page, result.pagesize
    try:
        flt = build_filter(filters)
    except QueryError as exc:
        result.error = str(exc)
        return result
    key = repr(sorted((k, sorted(map(str, v if isinstance(v, list) else [v]))) for k, v in (filters or {}).items()))
    found = held.get(key) if held is not None else None
    if found is None:
        found = _browse_all(searcher, flt)
        if held is not None:
            if len(held) >= 64:
                held.clear()
            held[key] = found
    order, docs, result.facets = found
    result.total = len(order)
    for tid in order[(page - 1) * pagesize: page * pagesize]:
        title = searcher.stored_fields(docs[tid]).get("testimony_title", "")
        result.testimonies.append(TestimonyHit(tid, title, 0.0, []))
    return result


def _browse_all(searcher, flt) -> tuple[list[str], dict[str, int], dict[str, list[tuple[str, int]]]]:
    """The testimonies within a filter in accession order, their meta documents, and facet counts."""
    # One "meta" document per testimony: counting them, not every segment, keeps this to one
    # step a testimony.
    results = searcher.search(wq.Term("kind", "meta"), filter=flt, limit=None, scored=False)
    if results.is_empty():
        return [], {}, {key: [] for key in FACET_FIELDS}
    reader = searcher.reader()
    column = reader.column_reader("testimony", translate=True)
    facet_column = reader.column_reader("facets", translate=False) if "facets" in searcher.schema else None
    docs = {column[docnum]: docnum for docnum in results.docs()}
    facets = {key: Counter() for key in FACET_FIELDS}
    for docnum in docs.values():
        for key, vals in _facet_values(searcher, facet_column, docnum).items():
            facets[key].update(vals)
    return sorted(docs), docs, {k: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for k, c in facets.items()}
