"""The same corpus and queries against raw engines, for scale: SQLite FTS5 (in Python's sqlite3) and
tantivy (when `import tantivy` works; it is in requirements-test.txt, not requirements.txt).

Each engine gets the public index's own documents (one row per segment document, the testimony's
accession id and collection beside it) and does the same page of work per query as the archive's
search: the matching testimonies counted, a collection facet counted over them, the 20 best
testimonies by their best segment's score, and a highlighted snippet for each. Analysis is each
engine's stock one (FTS5: porter + unicode61 with diacritics removed; tantivy: its default
tokenizer with English stemming), not the archive's French and Arabic stemmers, and there are no
name variants, exclusions or years: these are lower bounds for what an engine costs, not
drop-in replacements.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

PAGESIZE = 20
_FIELD = re.compile(r'^(\w+):("?)(.+?)\2$')


def _split(query: str) -> tuple[str | None, str]:
    """("place", "Raqqa") for place:Raqqa, (None, query) otherwise."""
    m = _FIELD.match(query)
    return (m.group(1), m.group(3)) if m else (None, query)


def _rows(docs):
    for d in docs:
        yield (d["testimony"], d.get("collection", ""), d.get("title", ""), d.get("place", ""),
               " ".join(x for x in (d.get("summary", ""), d.get("text", "")) if x))


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, work: Path):
        self.path = work / "fts5.db"

    def build(self, docs) -> None:
        self.path.unlink(missing_ok=True)
        db = sqlite3.connect(self.path)
        db.execute("CREATE VIRTUAL TABLE seg USING fts5(testimony UNINDEXED, collection UNINDEXED, "
                   "title, place, body, tokenize = 'porter unicode61 remove_diacritics 2')")
        db.executemany("INSERT INTO seg VALUES (?, ?, ?, ?, ?)", _rows(docs))
        db.execute("INSERT INTO seg(seg) VALUES ('optimize')")
        db.commit()
        db.close()
        self.db = sqlite3.connect(self.path)

    def size(self) -> int:
        return self.path.stat().st_size

    @staticmethod
    def _match(query: str) -> str:
        field, value = _split(query)
        if field:
            return f'{field} : "{value}"' if field in ("title", "place") else f'"{value}"'
        return query  # words, "phrases" and AND are FTS5 syntax already

    def page(self, query: str, filters: dict | None) -> int:
        match = self._match(query)
        where, args = "seg MATCH ?", [match]
        if filters and filters.get("collection"):
            where += " AND collection IN (%s)" % ",".join("?" * len(filters["collection"]))
            args += filters["collection"]
        db = self.db
        total = db.execute(f"SELECT count(DISTINCT testimony) FROM seg WHERE {where}", args).fetchone()[0]
        db.execute(f"SELECT collection, count(DISTINCT testimony) FROM seg WHERE {where} GROUP BY collection",
                   args).fetchall()
        top = db.execute(f"SELECT testimony, min(rank) AS best, max(rowid) FROM "
                         f"(SELECT testimony, rank, rowid FROM seg WHERE {where}) "
                         f"GROUP BY testimony ORDER BY best LIMIT {PAGESIZE}", args).fetchall()
        for testimony, _, rowid in top:
            db.execute("SELECT snippet(seg, 4, '<mark>', '</mark>', ' … ', 40) FROM seg "
                       "WHERE seg MATCH ? AND rowid = ?", (match, rowid)).fetchone()
        return total

    def close(self) -> None:
        self.db.close()


class Tantivy:
    name = "tantivy"

    def __init__(self, work: Path):
        import tantivy
        self.t, self.path = tantivy, work / "tantivy"

    def build(self, docs) -> None:
        t = self.t
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir()
        b = t.SchemaBuilder()
        b.add_text_field("testimony", stored=True, fast=True, tokenizer_name="raw")
        b.add_text_field("collection", stored=True, fast=True, tokenizer_name="raw")
        for name in ("title", "place", "body"):
            b.add_text_field(name, stored=True, tokenizer_name="en_stem")
        self.schema = b.build()
        self.index = t.Index(self.schema, path=str(self.path))
        writer = self.index.writer(heap_size=200_000_000, num_threads=2)
        for testimony, collection, title, place, body in _rows(docs):
            writer.add_document(t.Document(testimony=testimony, collection=collection, title=title,
                                           place=place, body=body))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def page(self, query: str, filters: dict | None) -> int:
        t, index = self.t, self.index
        field, value = _split(query)
        if field in ("title", "place"):
            q = index.parse_query(f'"{value}"', [field])
        else:
            q = index.parse_query(query if not field else f'"{value}"', ["title", "place", "body"])
        if filters and filters.get("collection"):
            terms = [(t.Occur.Should, t.Query.term_query(self.schema, "collection", c))
                     for c in filters["collection"]]
            q = t.Query.boolean_query([(t.Occur.Must, q), (t.Occur.Must, t.Query.boolean_query(terms))])
        searcher = index.searcher()
        agg = searcher.aggregate(q, {"total": {"cardinality": {"field": "testimony"}},
                                     "facet": {"terms": {"field": "collection"},
                                               "aggs": {"n": {"cardinality": {"field": "testimony"}}}}})
        total = int(agg["total"]["value"])
        limit, best = PAGESIZE * 8, {}
        while True:  # enough segment hits for 20 distinct testimonies
            hits = searcher.search(q, limit=limit).hits
            best = {}
            for score, address in hits:
                testimony = searcher.doc(address)["testimony"][0]
                best.setdefault(testimony, (score, address))
            if len(best) >= min(PAGESIZE, total) or len(hits) < limit:
                break
            limit *= 4
        snippets = t.SnippetGenerator.create(searcher, q, self.schema, "body")
        for _, address in list(best.values())[:PAGESIZE]:
            snippets.snippet_from_doc(searcher.doc(address)).to_html()
        return total

    def close(self) -> None:
        pass


def engines(work: Path) -> list:
    out = [Fts5(work)]
    try:
        out.append(Tantivy(work))
    except ImportError:
        pass
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, int(-(-q * len(ordered) // 1)))) - 1]


def measure(engine, docs_factory, pools: dict, repeats: int) -> dict:
    """Build time, size and page latency per query type for one engine."""
    started, cpu = time.perf_counter(), time.process_time()
    engine.build(docs_factory())
    figures = {"build_s": time.perf_counter() - started, "build_cpu_s": time.process_time() - cpu,
               "size_mb": engine.size() / 1e6, "search": {}}
    engine.page("border", None)
    for kind, pool in pools.items():
        times, totals, errors = [], [], []
        for k in range(repeats):
            query, filters = pool[k % len(pool)]
            started = time.perf_counter()
            try:
                totals.append(engine.page(query, filters))
            except Exception as exc:  # an engine's own syntax limits: report, do not stop the run
                errors.append(f"{query}: {type(exc).__name__}: {exc}"[:200])
                continue
            times.append((time.perf_counter() - started) * 1000)
        entry = {"p50_ms": statistics.median(times) if times else None,
                 "p95_ms": percentile(times, 0.95) if times else None,
                 "mean_hits": statistics.mean(totals) if totals else None}
        if errors:
            entry["errors"] = sorted(set(errors))[:3]
        figures["search"][kind] = entry
    engine.close()
    return figures
