"""One table set per audience in the archive's PostgreSQL database (SEARCH_ENGINE = "postgresql").

No server keeps search state of its own: every write goes into the writing unit of work's transaction
(IndexService.sync, `in_database`), every search reads the database as of the last commit, so any
number of servers answer as one. A search is one REPEATABLE READ transaction: the GIN index finds the
matching testimonies and their BM25F scores come from the postings of the query's words (postings.py:
a row per testimony holding a word, read by index-only scans; phrases verified on the segments' GIN
index), facet counts from the testimonies' rows (held per server and read again, changed rows only, when
the audience's generation moves on); the page's hits and snippets from its testimonies' own documents,
those that match the query at segment level first, else those holding any of its words.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import Callable, Iterable

from whoosh import query as wq

from ..analysis import analyze_term, light_normalize, text_analyzer
from ..documents import testimony_fields
from ..expansion import Expander
from ..layout import AUDIENCES, ENGINE_RECORD
from ..query import QueryError, build_filter, parse
from ...readonly import ReadOnly
from ..results import HITS_PER_TESTIMONY, SearchResult, SegmentHit, TestimonyHit, check_sort, empty_result
from ..schema import FACET_FIELDS, TEXT_FIELDS, make_schema
from ..snippets import best_snippet
from ..spelling import corrected, nearest
from ..sqlite.translate import positive_terms
from . import tables
from .postings import NOTHING, PostingsMatcher
from .translate import EVERY, TsqueryTranslator, lexeme, quote

_SCHEMA = make_schema()
_ANALYSERS = {"en": text_analyzer("en"), "fr": text_analyzer("fr")}
_EXPANSION = 1000
_MAX_SCAN = 5000
_VERIFY_BY_TESTIMONY = 200   # a phrase's candidates checked one testimony at a time, up to this many


def prepare_testimony(accession: str, docs: list[dict]) -> tuple:
    """A testimony's documents as its index rows, analysed (a parallel reindex's worker processes)."""
    return tables.prepare(testimony_fields(docs, accession, spelling=False))


@dataclass
class Snapshot:
    """The testimonies of one audience at one generation: titles, years and facet values."""
    generation: int
    title: dict[str, str] = field(default_factory=dict)
    year: dict[str, int] = field(default_factory=dict)
    span: dict[str, tuple[int, int]] = field(default_factory=dict)
    stamp: dict[str, str] = field(default_factory=dict)
    facets: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {k: {} for k in FACET_FIELDS})
    years: set[int] = field(default_factory=set)
    num: dict[str, int] = field(default_factory=dict)          # the postings' number of each testimony
    accession: dict[int, str] = field(default_factory=dict)
    length: dict[int, int] = field(default_factory=dict)       # words, by num (BM25's document length)
    average_length: float = 0.0
    everything: tuple | None = None    # (every accession in order, their facet counts), once asked

    def drop(self, accession: str) -> None:
        for held in (self.title, self.year, self.span, self.stamp, *self.facets.values()):
            held.pop(accession, None)
        num = self.num.pop(accession, None)
        if num is not None:
            self.accession.pop(num, None)
            self.length.pop(num, None)

    def add(self, row) -> None:
        accession, title, year, lo, hi, facets, fingerprint, num, length = row
        # A rebuild numbers the testimonies anew: a number changed is a testimony changed.
        self.title[accession], self.stamp[accession] = title, "%s:%s" % (fingerprint, num)
        self.num[accession], self.accession[num], self.length[num] = num, accession, length
        if year is not None:
            self.year[accession] = year
        if lo is not None and hi is not None:
            self.span[accession] = (lo, min(hi, lo + 200))
        for key, values in tables.facets(facets).items():
            if key in self.facets:
                self.facets[key][accession] = values

    def count_years(self) -> None:
        self.average_length = sum(self.length.values()) / len(self.length) if self.length else 0.0
        self.years = set(self.year.values())
        for lo, hi in set(self.span.values()):
            self.years.update(range(lo, hi + 1))


_SNAP_COLUMNS = "accession, title, year, year_from, year_to, facets, fingerprint, num, length"


class PostgresIndexes:
    engine = "postgresql"
    in_database = True   # written in the writer's transaction: IndexService.sync writes before the commit
    read_only = False
    import_batch = 50
    prepare = staticmethod(prepare_testimony)

    def __init__(self, root: Path, database=None, writer_timeout: float = 30.0):
        if database is None or database.engine.dialect.name != "postgresql":
            raise ValueError("the postgresql search engine keeps its indexes in a PostgreSQL database: "
                             "set DATABASE_URL to one, or SEARCH_ENGINE to sqlite")
        self.root = Path(root)
        self.db = database
        self.writer_timeout = writer_timeout
        self._snaps: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        self._expanders: dict[str, tuple] = {}
        self._verified: dict[str, _Verified] = {}
        self._current = threading.local()   # the reader of this thread's search (Expander asks it)

    # -- connections -------------------------------------------------------------------------
    @contextmanager
    def _cursor(self, session=None):
        """A cursor in the session's transaction, or in one of its own (committed at the end)."""
        if session is not None:
            with session.connection().connection.driver_connection.cursor() as cur:
                yield cur
            return
        with self.db.engine.begin() as connection:
            with connection.connection.driver_connection.cursor() as cur:
                yield cur

    @contextmanager
    def _reading(self, audience: str):
        if audience not in AUDIENCES:
            raise ValueError("unknown audience %r" % audience)
        with self.db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            try:
                with raw.cursor() as cur:
                    cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    self._current.reader = _Reader(self, audience, cur, self._snapshot(cur, audience))
                    yield self._current.reader
            finally:
                self._current.reader = None
                raw.rollback()

    def _snapshot(self, cur, audience: str) -> Snapshot:
        generation = tables.generation(cur, audience)
        with self._lock:
            previous = self._snaps.get(audience)
        if previous is not None and previous.generation == generation:
            return previous
        testimony = tables.table(audience, "testimony")
        snap = Snapshot(generation)
        if previous is not None:
            cur.execute("SELECT accession, fingerprint || ':' || num FROM %s" % testimony)
            stamps = dict(cur.fetchall())
            changed = [a for a, s in stamps.items() if previous.stamp.get(a) != s]
            snap.title, snap.year, snap.span = dict(previous.title), dict(previous.year), dict(previous.span)
            snap.stamp = dict(previous.stamp)
            snap.num, snap.accession, snap.length = dict(previous.num), dict(previous.accession), dict(previous.length)
            snap.facets = {k: dict(v) for k, v in previous.facets.items()}
            for accession in chain(previous.stamp.keys() - stamps.keys(), changed):
                snap.drop(accession)
            if changed:
                cur.execute("SELECT %s FROM %s WHERE accession = ANY(%%s)" % (_SNAP_COLUMNS, testimony), (changed,))
                for row in cur.fetchall():
                    snap.add(row)
        else:
            cur.execute("SELECT %s FROM %s" % (_SNAP_COLUMNS, testimony))
            for row in cur.fetchall():
                snap.add(row)
        snap.count_years()
        with self._lock:
            self._snaps[audience] = snap
        return snap

    def verified(self, audience: str, generation: int) -> "_Verified":
        """The phrase checks made at this generation of the audience's tables (any write moves it on)."""
        with self._lock:
            held = self._verified.get(audience)
            if held is None or held.generation != generation:
                held = self._verified[audience] = _Verified(generation)
            return held

    def expander(self, audience: str, variants, reader) -> Expander:
        """The name-variant expander for these groups at this generation, made once (it keys every name
        of every authority record); it asks the reader of the search at hand which names are present."""
        held = self._expanders.get(audience)
        if held is None or held[0] is not variants or held[1] != reader.snap.generation:
            held = (variants, reader.snap.generation,
                    Expander(variants or [], lambda name: self._current.reader.present(name)))
            self._expanders[audience] = held
        return held[2]

    def dump(self, audience: str) -> bytes:
        """Every row the audience's tables hold, as text (what the leak suite scans)."""
        with self._reading(audience) as reader:
            out = []
            for name in tables.NAMES:
                reader.cur.execute("SELECT t::text FROM %s t" % tables.table(audience, name))
                out.extend(row for (row,) in reader.cur.fetchall())
        return "\n".join(out).encode("utf-8")

    # -- opening and state ---------------------------------------------------------------------
    def ensure(self) -> bool:
        """Create the tables that are missing; True if one was made anew (to be filled from the records)."""
        if self.read_only:
            return False
        fresh = False
        with self._cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('archive.search.postgresql'))")
            for audience in AUDIENCES:
                if tables.exists(cur, audience):
                    continue
                tables.drop(cur, audience)   # missing, or an older layout: made anew, filled from the records
                for statement in tables.ddl(audience):
                    cur.execute(statement)
                fresh = True
        self.record_engine()
        return fresh

    def record_engine(self) -> None:
        """The engine's name in the instance's INDEX_DIR, as the local engines write it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / ENGINE_RECORD
            if not path.exists() or path.read_text().strip() != self.engine:
                path.write_text(self.engine + "\n")
        except OSError:
            pass

    def index_dirs(self) -> dict[str, Path]:
        """(The local engines' folders; this engine's indexes are tables: named for the audiences.)"""
        return {a: self.root / a for a in AUDIENCES}

    def version(self, audience: str) -> tuple:
        with self._cursor() as cur:
            return ("postgresql", tables.generation(cur, audience))

    def testimony_ids(self, audience: str) -> set[str]:
        with self._reading(audience) as reader:
            return set(reader.snap.title)

    def close(self) -> None:
        self._snaps.clear()

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def writing(self, timeout: float | None = None):
        """Writers need no lock of their own: each writes in its transaction, and PostgreSQL orders them."""
        if self.read_only:
            raise ReadOnly()
        yield

    def mark_pending(self, accession_ids) -> None:
        """Nothing is ever pending: the index rows commit with the records."""

    def pending(self) -> list[str]:
        return []

    def clear_pending(self, accession_ids) -> None:
        pass

    def compact(self) -> None:
        self.vacuum(AUDIENCES)

    def replace_testimony(self, audience: str, accession_id: str, docs: list[dict], purge: bool = True,
                          session=None) -> None:
        self.replace_testimonies(audience, {accession_id: docs}, purge=purge, session=session)

    def replace_testimonies(self, audience: str, docs_by_testimony: dict[str, list[dict]],
                            purge: bool = True, session=None) -> None:
        self.replace_in_audiences({audience: docs_by_testimony}, purge=purge, session=session)

    def replace_in_audiences(self, batches: dict[str, dict[str, list[dict]]], purge: bool = True,
                             session=None) -> None:
        """In the session's transaction (the writing unit of work's), or in one of its own. Audiences
        whose rows were deleted are noted in `session.info["search_vacuum"]`, vacuumed after the commit."""
        prepared = {}
        for audience, batch in batches.items():
            tables.table(audience, "doc")
            if audience not in AUDIENCES:
                raise ValueError("unknown audience %r" % audience)
            prepared[audience] = {accession: (tables.prepare(f) if f else None) for accession, f in
                                  ((a, testimony_fields(docs, a, spelling=False)) for a, docs in batch.items())}
        if self.read_only:
            raise ReadOnly()
        deleted = set()
        with self._cursor(session) as cur:
            counts, changed = {audience: Counter() for audience in prepared}, set()
            for audience in sorted(prepared):
                for accession in sorted(prepared[audience]):
                    wrote, removed = tables.write(cur, audience, accession, prepared[audience][accession],
                                                  counts[audience])
                    if wrote:
                        changed.add(audience)
                    if removed:
                        deleted.add(audience)
            # The rows every writer updates (the words all testimonies hold, the audience's generation)
            # last, in one order: their locks are held from here to the commit only.
            for audience in sorted(changed):
                tables.count_words(cur, audience, counts[audience])
                tables.bump(cur, audience)
        if session is not None:
            session.info.setdefault("search_vacuum", set()).update(deleted)
        elif deleted:
            self.vacuum(deleted)

    def remove_testimony(self, accession_id: str, session=None) -> None:
        self.replace_in_audiences({audience: {accession_id: []} for audience in AUDIENCES}, session=session)

    def vacuum(self, audiences: Iterable[str]) -> None:
        """VACUUM the audiences' tables, so that the words a commit deleted do not linger in dead rows: the
        `vacuum` job (services/jobs.py) that such a commit queues, and `compact`. Outside any transaction."""
        audiences = sorted(set(audiences))
        if not audiences or self.read_only:
            return
        with self.db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.rollback()
            raw.autocommit = True
            try:
                for audience in audiences:
                    for name in tables.NAMES:
                        raw.execute("VACUUM %s" % tables.table(audience, name))
            finally:
                raw.autocommit = False

    def rebuild(self, docs_by_audience: dict[str, Iterable[dict]] | None = None,
                progress: Callable[[str, int], None] | None = None, *,
                testimonies: Iterable[tuple[str, dict[str, list[dict]]]] | None = None,
                audiences: Iterable[str] | None = None) -> None:
        """Every named audience's tables emptied and filled again in one transaction: readers see the
        old rows until it commits, writers wait for it (the tables are locked EXCLUSIVE first)."""
        if self.read_only:
            raise ReadOnly()
        if testimonies is None:
            from ..layout import _by_testimony
            audiences = list(docs_by_audience or {})
            testimonies = _by_testimony(docs_by_audience or {})
        audiences = list(audiences or AUDIENCES)
        for audience in audiences:
            if audience not in AUDIENCES:
                raise ValueError("unknown audience %r" % audience)
        suffix = "_new"
        with self._cursor() as cur:
            cur.execute("LOCK TABLE %s IN EXCLUSIVE MODE" % ", ".join(
                tables.table(a, n) for a in audiences for n in tables.NAMES))
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for audience in audiences:
                for statement in tables.tables_ddl(audience, suffix):
                    cur.execute(statement)
            counts = {a: Counter() for a in audiences}
            seen = dict.fromkeys(audiences, 0)
            nums = dict.fromkeys(audiences, 0)
            docs_copy = {a: [] for a in audiences}
            rows_copy = {a: [] for a in audiences}
            post_copy = {a: [] for a in audiences}

            def flush(audience):
                # FREEZE: the tables were made in this transaction, so their rows are written visible to
                # all, and index-only scans need no VACUUM first.
                tables.copy_rows(cur, audience, "doc" + suffix, tables._DOC_COLUMNS, docs_copy[audience], True)
                tables.copy_rows(cur, audience, "testimony" + suffix, tables.TESTIMONY_COLUMNS, rows_copy[audience],
                                 True)
                tables.copy_postings(cur, audience, "post" + suffix, post_copy[audience])
                for held in (docs_copy, rows_copy, post_copy):
                    held[audience].clear()

            for accession, per_audience in testimonies:
                for audience, docs in per_audience.items():
                    if not docs or audience not in counts:
                        continue
                    prepared = docs if isinstance(docs, tuple) else prepare_testimony(accession, docs)
                    doc_rows, row, _, (literal, block), counted = prepared
                    nums[audience] += 1
                    num = nums[audience]
                    docs_copy[audience].extend(doc_rows)
                    rows_copy[audience].append(tables.testimony_row(row, num, literal))
                    post_copy[audience].append((num, block))
                    counts[audience].update(counted)
                    if len(rows_copy[audience]) >= 200:
                        flush(audience)
                    for _ in doc_rows:
                        seen[audience] += 1
                        if progress:
                            progress(audience, seen[audience])
            for audience in audiences:
                flush(audience)
                tables.copy_rows(cur, audience, "word" + suffix, ("field", "word", "docs"),
                                 ((w.partition(":")[0], w.partition(":")[2], n)
                                  for w, n in sorted(counts[audience].items())), True)
                for statement in tables.indexes_ddl(audience, suffix):
                    cur.execute(statement)
                tables.swap(cur, audience, suffix)
                cur.execute("SELECT setval('%s', %d, true)" % (tables.table(audience, "num"), max(nums[audience], 1)))
                for name in tables.NAMES:
                    cur.execute("ANALYZE %s" % tables.table(audience, name))
                tables.bump(cur, audience)

    # -- reading -----------------------------------------------------------------------------
    def search(self, audience: str, query: str, filters: dict[str, list[str]] | None = None,
               page: int = 1, pagesize: int = 20, sort: str = "relevance",
               variants: list[list[str]] | None = None) -> SearchResult:
        with self._reading(audience) as reader:
            result = reader.search(query or "", filters, page, pagesize, sort,
                                   self.expander(audience, variants, reader))
            if result.total == 0 and not result.error and (query or "").strip():
                result.suggestion = reader.did_you_mean(query)
            return result

    def browse(self, audience: str, filters: dict[str, list[str]] | None = None, page: int = 1,
               pagesize: int = 20) -> SearchResult:
        with self._reading(audience) as reader:
            return reader.browse(filters, page, pagesize)

    def suggest(self, audience: str, prefix: str, limit: int = 10) -> list[str]:
        with self._reading(audience) as reader:
            return reader.suggest(prefix, limit)

    def did_you_mean(self, audience: str, query: str) -> str | None:
        with self._reading(audience) as reader:
            return reader.did_you_mean(query)

    def live_values(self, audience: str, field: str) -> set[str]:
        key = next((k for k, f in FACET_FIELDS.items() if f == field), None)
        if key is None:
            raise ValueError("no such field %r" % field)
        with self._reading(audience) as reader:
            return set(chain.from_iterable(reader.snap.facets[key].values()))


class _Verified:
    """Phrase checks by (tsquery, meta): testimony -> matched, for one generation; the oldest let go past
    LIMIT queries."""
    LIMIT = 256

    def __init__(self, generation: int):
        self.generation = generation
        self._held: dict[tuple, dict[str, bool]] = {}
        self._lock = threading.Lock()

    def get(self, tsquery: str, meta: bool) -> dict[str, bool]:
        with self._lock:
            return dict(self._held.get((tsquery, meta), ()))

    def put(self, tsquery: str, meta: bool, checked: dict[str, bool]) -> None:
        with self._lock:
            self._held.setdefault((tsquery, meta), {}).update(checked)
            while len(self._held) > self.LIMIT:
                self._held.pop(next(iter(self._held)))


class _Reader:
    def __init__(self, indexes: PostgresIndexes, audience: str, cur, snap: Snapshot):
        self.cur, self.snap, self.audience = cur, snap, audience
        self.doc, self.word = tables.table(audience, "doc"), tables.table(audience, "word")
        self.post = tables.table(audience, "post")
        self._expansions: dict[tuple, list[str]] = {}
        self.verified = indexes.verified(audience, snap.generation)
        self.translate = TsqueryTranslator(snap.years, self._expand)   # a segment's test (hits, phrases)
        self.match = PostingsMatcher(self)                              # the testimonies found, scored

    # -- vocabulary ------------------------------------------------------------------------------
    def _expand(self, column: str, glob: str | None, low: str, high: str) -> list[str]:
        key = (column, glob, low, high)   # (each query is translated twice: testimonies, then segments)
        if key not in self._expansions:
            self._expansions[key] = self._expand_now(column, glob, low, high)
        return self._expansions[key]

    def _expand_now(self, column: str, glob: str | None, low: str, high: str) -> list[str]:
        sql, args = "SELECT word FROM %s WHERE field = %%s" % self.word, [column]
        if low:
            sql, args = sql + " AND word >= %s", args + [low]
        if high:
            sql, args = sql + " AND word < %s", args + [high]
        if glob:
            sql, args = sql + " AND word ~ %s", args + [_glob_regex(glob)]
        self.cur.execute(sql + " ORDER BY word LIMIT %d" % _EXPANSION, args)
        return [w for (w,) in self.cur.fetchall()]

    def _expand_prefix(self, column: str, prefix: str) -> list[str]:
        return self._expand(column, None, prefix, prefix + "\U0010ffff")[:200]

    def has_word(self, field_name: str, word: str) -> bool:
        self.cur.execute("SELECT 1 FROM %s WHERE field = %%s AND word = %%s" % self.word, (field_name, word))
        return self.cur.fetchone() is not None

    def present(self, name: str) -> bool:
        for column in TEXT_FIELDS:
            words = [t.text for t in _ANALYSERS["fr" if column == "text_fr" else "en"](name)]
            if words and all(self.has_word(column, w) for w in words):
                return True
        return False

    # -- the page --------------------------------------------------------------------------------
    def search(self, text: str, filters, page: int, pagesize: int, sort: str, expander) -> SearchResult:
        result = empty_result(text, page, pagesize, sort)
        page, pagesize = result.page, result.pagesize
        try:
            check_sort(sort)
            q, result.expanded = parse(_SCHEMA, text, expander)
            flt = build_filter(filters)
            whole = q if flt is None else (flt if isinstance(q, wq.Every) else wq.And([q, flt]))
            scores = self._match(whole)
        except QueryError as exc:
            result.error = str(exc)
            return result
        scored = not isinstance(q, wq.Every)
        result.facets = self._facets(scores)
        order = self._order(scores, sort, scored)
        result.total = len(order)
        shown = order[(page - 1) * pagesize: page * pagesize]
        if not shown:
            return result
        terms = positive_terms(q, self._expand_prefix) if scored else {}
        try:
            expression = self.translate(whole)
        except QueryError as exc:
            result.error = str(exc)
            return result
        hits = self._hits(shown, expression, scored, terms)
        for accession in shown:
            result.testimonies.append(TestimonyHit(accession, self.snap.title[accession], scores[accession],
                                                   hits.get(accession, [])))
        return result

    def browse(self, filters, page: int, pagesize: int) -> SearchResult:
        result = empty_result("", page, pagesize, "accession")
        try:
            flt = build_filter(filters)
            scores = self._match(flt)
        except QueryError as exc:
            result.error = str(exc)
            return result
        if flt is None:   # every testimony: its order and counts made once a generation (home, lists)
            if self.snap.everything is None:
                self.snap.everything = (sorted(scores), self._facets(scores))
            order, facets = self.snap.everything
            result.facets = dict(facets)
        else:
            order = sorted(scores)
            result.facets = self._facets(scores)
        result.total = len(order)
        for accession in order[(result.page - 1) * result.pagesize: result.page * result.pagesize]:
            result.testimonies.append(TestimonyHit(accession, self.snap.title[accession], 0.0, []))
        return result

    def _match(self, q) -> dict[str, float]:
        """The testimonies `q` (None: every one) finds, by accession, with their scores."""
        found = EVERY if q is None else self.match(q)
        if found is EVERY:
            return dict.fromkeys(self.snap.title, 0.0)
        accession = self.snap.accession
        return {accession[n]: s for n, s in found.items() if n in accession}

    def verify(self, tsquery: str, accessions: list[str], meta: bool = False) -> list[str]:
        """Those of the testimonies with a segment that matches (a phrase: positions are the segments'),
        or (`meta`) whose meta document does. What was checked at this generation is kept (the
        server's memo, `_Verified`): a page with a ticked facet searches again without it, and a place's
        other names are phrases checked on hundreds of meta documents each."""
        known = self.verified.get(tsquery, meta)
        unknown = [a for a in accessions if a not in known]
        if unknown:
            found = set(self._verify(tsquery, unknown, meta))
            self.verified.put(tsquery, meta, {a: a in found for a in unknown})
            known = self.verified.get(tsquery, meta)
        return [a for a in accessions if known.get(a)]

    def _verify(self, tsquery: str, accessions: list[str], meta: bool) -> list[str]:
        try:
            self.cur.execute("SAVEPOINT q")
            if meta:
                # (ord 0 is the meta document: tables.prepare. OFFSET 0: found by testimony, not through
                # the text index, which a place's "al" fills.)
                self.cur.execute("SELECT testimony FROM (SELECT testimony, tsv FROM %s WHERE testimony = ANY(%%s) "
                                 "AND ord = 0 OFFSET 0) d WHERE tsv @@ %%s::tsquery" % self.doc, (accessions, tsquery))
                found = [a for (a,) in self.cur.fetchall()]
            elif len(accessions) <= _VERIFY_BY_TESTIMONY:
                # A few testimonies: each one's segments in order until one matches (a place or a name is
                # in all of them, and the first is enough), the text index not read at all.
                self.cur.execute("SELECT t FROM unnest(%%s::text[]) AS u(t) WHERE EXISTS (SELECT 1 FROM %s "
                                 "WHERE testimony = u.t AND tsv @@ %%s::tsquery)" % self.doc, (accessions, tsquery))
                found = [a for (a,) in self.cur.fetchall()]
            else:
                # The text index finds the segments holding all the words, each then read to check the
                # positions. (The planner, seeing a common word, would read every segment instead.)
                self.cur.execute("SET LOCAL enable_seqscan = off")
                self.cur.execute("SELECT DISTINCT testimony FROM %s WHERE tsv @@ %%s::tsquery" % self.doc,
                                 (tsquery,))
                wanted = set(accessions)
                found = [a for (a,) in self.cur.fetchall() if a in wanted]
            self.cur.execute("RELEASE SAVEPOINT q")
        except Exception:   # a query PostgreSQL cannot read is the reader's query, not a crash
            self.cur.execute("ROLLBACK TO SAVEPOINT q")
            raise QueryError("Could not understand the query.") from None
        return found

    def _hits(self, shown: list[str], expression, scored: bool, terms) -> dict[str, list[SegmentHit]]:
        columns = 'testimony, ord, doc_id, kind, seq, transcript, start, "end", title, summary, text, text_fr'
        if expression is EVERY or not scored:
            if expression is EVERY:
                self.cur.execute("SELECT %s, 0, true, NULL FROM %s WHERE testimony = ANY(%%s) AND ord < %d"
                                 % (columns, self.doc, HITS_PER_TESTIMONY), (shown,))
            else:
                self.cur.execute("SELECT %s, 0, true, NULL FROM %s, CAST(%%s AS tsquery) q WHERE testimony = ANY(%%s) "
                                 "AND tsv @@ q" % (columns, self.doc), (expression, shown))
        else:
            # A testimony is found by its words anywhere in it: where no segment matches the whole query
            # (an AND's words in different segments), its segments holding any of the words are shown.
            words = " | ".join(quote(lexeme(c, t)) for c in sorted(terms) if c in tables.TEXT_COLUMNS
                               for t in sorted(terms[c])) or expression
            # Ranked in the database (by the query's words), only each testimony's best few read out with
            # their text. Each segment's tsvector is read twice, not once per test: a common word's page
            # tests some 700 segments. (OFFSET 0: they are found by testimony, not through the text index.)
            # Each one's snippet marks the words at the positions its tsvector holds for the query's terms
            # (tables._tsvector: a word's position is its place among the text's words), so that no word
            # of the text is analysed again here.
            self.cur.execute(
                "SELECT %s, rank, full_match, ARRAY(SELECT u.lexeme || ' ' || array_to_string(u.positions, ' ') "
                "FROM unnest(tsv) u WHERE u.lexeme = ANY(%%s::text[])) "
                "FROM (SELECT testimony, ord, rank, full_match, row_number() OVER "
                "(PARTITION BY testimony ORDER BY full_match DESC, rank DESC, ord) AS k, bool_or(full_match) OVER "
                "(PARTITION BY testimony) AS some_full FROM (SELECT testimony, ord, tsv @@ q AS full_match, "
                "ts_rank(%%s::float4[], tsv, w) AS rank FROM "
                "(SELECT testimony, ord, tsv FROM %s WHERE testimony = ANY(%%s) OFFSET 0) d, "
                "CAST(%%s AS tsquery) q, CAST(%%s AS tsquery) w OFFSET 0) m WHERE full_match OR rank > 0) r "
                "JOIN %s USING (testimony, ord) WHERE k <= %d AND (full_match OR NOT some_full)"
                % (columns, self.doc, self.doc, HITS_PER_TESTIMONY),
                ([lexeme(c, t) for c in _SNIPPET_COLUMNS if c in terms for t in terms[c]],
                 tables.RANK_WEIGHTS, shown, expression, words))
        grouped: dict[str, list] = {}
        for row in self.cur.fetchall():
            grouped.setdefault(row[0], []).append(row)
        out = {}
        for accession, rows in grouped.items():
            top = sorted(rows, key=lambda r: (-r[12], r[1]))[:HITS_PER_TESTIMONY]
            out[accession] = [_segment_hit(r, terms) for r in top]
        return out

    def _facets(self, scores: dict[str, float]) -> dict[str, list[tuple[str, int]]]:
        out = {}
        for key, values in self.snap.facets.items():
            counts = Counter(chain.from_iterable(map(values.get, scores, repeat(()))))
            out[key] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return out

    def _order(self, scores: dict[str, float], sort: str, scored: bool) -> list[str]:
        if sort == "accession" or (sort == "relevance" and not scored):
            return sorted(scores)
        if sort in ("date", "-date"):
            years = self.snap.year
            dated = sorted((a for a in scores if a in years), key=lambda a: (years[a], a), reverse=sort == "-date")
            return dated + sorted(a for a in scores if a not in years)
        return sorted(scores, key=lambda a: (-scores[a], a))

    # -- words -------------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        head, _, last = (prefix or "").rstrip("*").rpartition(" ")
        last = light_normalize(last.strip())
        if not last or limit <= 0:
            return []
        self.cur.execute("SELECT word FROM (SELECT word, docs FROM %s WHERE field = %%s AND word >= %%s "
                         "AND word < %%s LIMIT %d) w ORDER BY docs DESC, word LIMIT %%s" % (self.word, _MAX_SCAN),
                         (tables.SPELL, last, last + "\U0010ffff", limit))
        head = head.strip()
        return [(head + " " + w if head else w) for (w,) in self.cur.fetchall()]

    def _known(self, word: str) -> bool:
        if self.has_word(tables.SPELL, light_normalize(word)):
            return True
        return any(self.has_word(c, analyze_term(word, "fr" if c == "text_fr" else "en")) for c in TEXT_FIELDS)

    def _correct(self, word: str) -> str | None:
        lw = light_normalize(word)
        if not lw:
            return None
        longest = 2 if len(lw) >= 5 else 1
        self.cur.execute("SELECT word, docs FROM %s WHERE field = %%s AND word >= %%s AND word < %%s "
                         "AND length(word) BETWEEN %%s AND %%s" % self.word,
                         (tables.SPELL, lw[0], lw[0] + "\U0010ffff", len(lw) - longest, len(lw) + longest))
        return nearest(lw, self.cur.fetchall(), longest)

    def did_you_mean(self, query: str) -> str | None:
        return corrected(query, self._known, self._correct)


_SNIPPET_COLUMNS = ("text", "text_fr", "title", "summary")


def _segment_hit(row, terms) -> SegmentHit:
    (_, _, doc_id, kind, seq, transcript, start, end, title, summary, text, text_fr, score, _, at) = row
    stored = {"title": title or "", "summary": summary or "", "text": text or "", "text_fr": text_fr or ""}
    stored = {k: v for k, v in stored.items() if v}
    return SegmentHit(doc_id=doc_id, kind=kind, seq=seq if seq is not None else -1, transcript=transcript or "",
                      start=start, end=end, title=title or "",
                      snippet_html=best_snippet(kind, stored, terms, places=_places(at) if at is not None else None),
                      score=float(score or 0.0))


def _places(at: list[str]) -> dict[str, list[int]]:
    """The hits' words by column, as places among the column's words (from 0), from the "column:term
    position position ..." strings of _hits. A word at the last position a tsvector holds may stand for
    any word after it (tables.MAX_POSITION): its column's words are then analysed as before."""
    out: dict[str, list[int] | None] = {}
    for entry in at:
        key, *positions = entry.split(" ")
        column = key.partition(":")[0]
        places = [int(p) - 1 for p in positions]
        if tables.MAX_POSITION - 1 in places:
            out[column] = None
        elif out.get(column, ()) is not None:
            out.setdefault(column, []).extend(places)
    return {c: sorted(set(p)) if p is not None else None for c, p in out.items()}


def _glob_regex(glob: str) -> str:
    """An FTS5 GLOB (as translate.Translator makes them: `[[]` a literal bracket) as an anchored regex."""
    out, i = ["^"], 0
    while i < len(glob):
        if glob.startswith("[[]", i):
            out.append(r"\[")
            i += 3
            continue
        ch = glob[i]
        out.append(".*" if ch == "*" else "." if ch == "?" else ("\\" + ch if not ch.isalnum() else ch))
        i += 1
    return "".join(out) + "$"
