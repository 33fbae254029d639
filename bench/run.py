"""Benchmarks at scale: import, reindex, index size, search latency, edit-to-visibility, memory.

    python bench/run.py [--n 200] [--words 6000] [--queries 50] [--backend sqlite|postgresql]
                        [--engine whoosh|sqlite|postgresql] [--keep DIR | --reuse DIR]

Generates (or reuses) a synthetic corpus in bench/out/, imports it into a fresh archive in a
temporary directory (SQLite file, or a fresh schema on the PostgreSQL server at
ARCHIVE_TEST_DATABASE_URL, dropped afterwards), prints a table and writes the figures to
bench/out/results-<n>.json (results-<n>-postgresql.json for PostgreSQL). Not part of the test
suite: nothing here is a pass/fail assertion.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from archive.audience import Audience  # noqa: E402
from archive.identity import ANONYMOUS, SYSTEM, Identity  # noqa: E402
from archive.search import ENGINES  # noqa: E402
from archive.services import Archive  # noqa: E402
from bench import engines as raw_engines  # noqa: E402
from bench import generate as gen  # noqa: E402

OUT = ROOT / "bench" / "out"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESEARCHER = Identity(Audience.RESEARCHER, username="bench-researcher")
PAGESIZE = 20
POLL_LIMIT_S = 30.0
# Targets from the project (at 10,000 testimonies, 2 cores).
TARGETS = {"search_p95_ms": 100, "reindex_s": 600, "edit_visible_s": 1.0}

console = Console(stderr=True)


# -- queries -------------------------------------------------------------------------------------
def query_pools(rng: random.Random) -> dict[str, list[tuple[str, dict | None]]]:
    """Query strings per type, built from the generator's real words and places."""
    en, fr, ar = gen.REAL["en"], gen.REAL["fr"], gen.REAL["ar"]
    common = en["content"][:25] + fr["content"][:5]
    rare = en["rare"] + fr["rare"][:6]
    pairs = [f"{a} AND {b}" for a, b in zip(en["content"][:20], en["content"][20:40])]
    phrases = [f'"{f} {c}"' for f, c in zip(["the", "the", "my", "the", "our", "a", "the", "his"] * 3,
                                            en["content"][:24])]
    phrases += [f'"la {c}"' for c in ("frontière", "nuit", "route", "famille")]
    places = [label for label, _, _ in gen.PLACES]
    slugs = [slug for slug, _ in gen.COLLECTIONS]
    fielded = [(f'place:"{p}"' if " " in p else f"place:{p}", {"collection": [slugs[k % len(slugs)]]})
               for k, p in enumerate(places)]
    arabic = ar["content"][:20] + [arabic[0] for _, _, arabic in gen.PLACES[:6]]
    # Typos (two letters swapped): usually no hits, so the search also computes "did you mean".
    misspelt = [w[:2] + w[3] + w[2] + w[4:] for w in en["content"][:30] if len(w) > 5 and w[2] != w[3]]
    pools = {"common term": common, "rare term": rare, "two-term AND": pairs, "phrase": phrases,
             "Arabic term": arabic, "misspelt term": misspelt}
    out = {kind: [(q, None) for q in qs] for kind, qs in pools.items()}
    out["field + facet filter"] = fielded
    order = ["common term", "rare term", "two-term AND", "phrase", "field + facet filter", "Arabic term",
             "misspelt term"]
    for kind in order:
        rng.shuffle(out[kind])
    return {k: out[k] for k in order}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 1)))  # ceil(q * n)
    return ordered[min(len(ordered), rank) - 1]


# -- database ------------------------------------------------------------------------------------
@contextmanager
def workdir(args):
    """Where the archive is built: a temporary directory, or --keep's / --reuse's, which stays."""
    kept = args.reuse or args.keep
    if kept is None:
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
            yield Path(tmp)
        return
    path = Path(kept).resolve()
    if args.keep is not None and path.exists() and any(path.iterdir()):
        raise SystemExit(f"--keep {path}: the directory is not empty (use --reuse to measure it again)")
    if args.reuse is not None and not (path / "archive.db").exists():
        raise SystemExit(f"--reuse {path}: no archive.db there (build one with --keep)")
    path.mkdir(parents=True, exist_ok=True)
    yield path


@contextmanager
def database(backend: str, work: Path, reuse: bool = False, url: str | None = None):
    """A database URL for a fresh, empty archive (or the kept one, with `reuse`; or the PostgreSQL
    database `url` names, left as it is); yields (url, size_function)."""
    if url is not None:
        import psycopg
        raw = url.replace("postgresql+psycopg", "postgresql")

        def size() -> int:
            with psycopg.connect(raw, autocommit=True) as conn:
                return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        yield url, size
        return
    if reuse and backend != "sqlite":
        raise SystemExit("--reuse and --keep work with --backend sqlite only (--database-url for PostgreSQL)")
    if backend == "sqlite":
        path = work / "archive.db"

        def size() -> int:
            return sum(p.stat().st_size for p in work.glob("archive.db*"))
        yield f"sqlite:///{path}", size
        return
    import psycopg
    base = os.environ.get("ARCHIVE_TEST_DATABASE_URL") or PG_DEFAULT
    raw = base.replace("postgresql+psycopg", "postgresql")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def size() -> int:
        with psycopg.connect(raw, autocommit=True) as conn:
            row = conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                               "JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE n.nspname = %s AND c.relkind = 'r'", (schema,)).fetchone()
            return int(row[0])
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}", size
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class MemorySampler:
    """Peak anonymous (heap) and file-backed (mmap'd index and database files) resident memory,
    sampled from /proc/self/status every 0.2 s: ru_maxrss counts both, and the file-backed part
    is page cache the kernel can reclaim."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak = interval, {"RssAnon": 0.0, "RssFile": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def read() -> dict[str, float]:
        try:
            lines = Path("/proc/self/status").read_text().splitlines()
        except OSError:
            return {}
        return {k: int(v.split()[0]) / 1024 for k, _, v in (line.partition(":") for line in lines)
                if k in ("RssAnon", "RssFile")}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        for key, value in self.read().items():
            self.peak[key] = max(self.peak[key], value)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def _rss() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_mb(archive) -> dict[str, float]:
    """Each audience's index size: its folder, or its tables with their indexes (engine postgresql)."""
    if not archive.indexes.in_database:
        return {a: dir_size(p) / 1e6 for a, p in archive.indexes.index_dirs().items()}
    with archive.db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        return {a: int(raw.execute("SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::text[]) t",
                                   ([f"search_{a}_{n}" for n in ("doc", "testimony", "word")],)).fetchone()[0]) / 1e6
                for a in archive.indexes.index_dirs()}


# -- steps ---------------------------------------------------------------------------------------
@contextmanager
def profiled(enabled: bool, name: str, figures: dict):
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        buffer = io.StringIO()
        pstats.Stats(profile, stream=buffer).sort_stats("cumulative").print_stats(35)
        path = OUT / f"profile-{name}-{figures['n']}.txt"
        path.write_text(buffer.getvalue())
        console.log(f"profile of {name} -> {path.relative_to(ROOT)}")


def timed_search(archive: Archive, identity: Identity, query: str, filters=None):
    started, cpu = time.perf_counter(), time.process_time()
    result = archive.search.search(identity, query, filters, page=1, pagesize=PAGESIZE)
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, result


def measure_search(archive: Archive, repeats: int, rng: random.Random) -> tuple[dict, float]:
    """`repeats` timed public searches per query type, cycling through that type's pool."""
    cold_ms, _, _ = timed_search(archive, ANONYMOUS, "border")  # opens the index files
    timed_search(archive, ANONYMOUS, "family")
    figures = {}
    for kind, pool in query_pools(rng).items():
        times, cpus, totals, errors = [], [], [], []
        for k in range(repeats):
            query, filters = pool[k % len(pool)]
            ms, cpu_ms, result = timed_search(archive, ANONYMOUS, query, filters)
            if result.error:
                errors.append(f"{query}: {result.error}")
            times.append(ms)
            cpus.append(cpu_ms)
            totals.append(result.total)
        figures[kind] = {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
                         "cpu_p50_ms": statistics.median(cpus), "cpu_p95_ms": percentile(cpus, 0.95),
                         "max_ms": max(times), "searches": len(times),
                         "mean_hits": statistics.mean(totals), "example": pool[0][0]}
        if errors:
            figures[kind]["errors"] = sorted(set(errors))
    return figures, cold_ms


def measure_suggest(archive: Archive, repeats: int) -> dict:
    prefixes = ["bo", "fa", "ro", "ni", "ra", "al", "ho", "ca", "fr", "الح", "الم", "mo"]
    times = []
    for k in range(repeats):
        started = time.perf_counter()
        archive.search.suggest(ANONYMOUS, prefixes[k % len(prefixes)])
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "calls": len(times)}


_WORD = re.compile(r"[^\W\d_]{6,}")


def _candidate_words(archive: Archive, accession: str, rng: random.Random) -> tuple[str, list[tuple[str, int]]]:
    """Words that occur once in the transcript, nowhere else in the record, outside redactions."""
    with archive.db.session() as session:
        testimony = archive.testimonies.load_testimony(session, accession)
        transcript = testimony.transcripts[0]
        text, key = transcript.text, transcript.key
        spans = [(r.start, r.end) for r in testimony.redactions if r.start is not None]
        elsewhere = " ".join([testimony.title, testimony.summary or "", " ".join(testimony.keywords or [])]
                             + [f"{s.title} {s.synopsis} {' '.join(s.keywords or [])}"
                                for s in transcript.segments]).casefold()
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for m in _WORD.finditer(text):
        word = m.group()
        counts[word.casefold()] = counts.get(word.casefold(), 0) + 1
        first.setdefault(word, m.start())
    found = [(w, at) for w, at in first.items()
             if w.islower() and counts[w.casefold()] == 1 and w.casefold() not in elsewhere
             and not any(lo <= at < hi for lo, hi in spans)]
    rng.shuffle(found)
    return key, found


def unique_word(archive: Archive, accession: str, rng: random.Random, identity: Identity,
                expect_found: bool = True) -> tuple[str, str, int] | None:
    """A transcript word that search (as `identity`) finds in this testimony, in one segment, with every
    testimony it finds on the first page (so whether this one is found is read from that page). With
    thousands of testimonies almost no word is in one testimony only, so a few others may share it."""
    key, candidates = _candidate_words(archive, accession, rng)
    for word, at in candidates[:60]:
        result = archive.search.search(identity, word, None, page=1, pagesize=PAGESIZE)
        hits = [t for t in result.testimonies if t.accession_id == accession]
        if expect_found and result.total <= PAGESIZE and hits and len(hits[0].hits) == 1:
            return word, key, at
        if not expect_found and result.total < PAGESIZE and not hits:
            staff = archive.search.search(SYSTEM, word, None, page=1, pagesize=PAGESIZE)
            mine = [t for t in staff.testimonies if t.accession_id == accession]
            if staff.total <= PAGESIZE and mine and len(mine[0].hits) == 1:
                return word, key, at
    return None


def _finds(archive: Archive, identity: Identity, word: str, accession: str) -> bool:
    result = archive.search.search(identity, word, None, page=1, pagesize=PAGESIZE)
    return any(t.accession_id == accession for t in result.testimonies)


def poll(archive: Archive, identities: list[Identity], word: str, accession: str, want: bool,
         started: float) -> float | None:
    """Seconds from `started` until every identity's search for `word` finds (want=True) or no longer
    finds (want=False) the testimony; the searches that confirm it are part of the time."""
    while True:
        if all(_finds(archive, i, word, accession) == want for i in identities):
            return time.perf_counter() - started
        if time.perf_counter() - started > POLL_LIMIT_S:
            return None
        time.sleep(0.01)


def _summary(samples: list[dict]) -> dict | None:
    """Several edits of one kind: the median and the slowest, each sample kept."""
    if not samples:
        return None
    def median(key):
        values = [x[key] for x in samples if x[key] is not None]
        return statistics.median(values) if len(values) == len(samples) else None
    visible = [x["visible_s"] for x in samples]
    return {"edits": len(samples), "visible_s": median("visible_s"), "call_s": median("call_s"),
            "call_cpu_s": median("call_cpu_s"),
            "visible_max_s": None if None in visible else max(visible), "samples": samples}


def _edit(archive: Archive, accession: str, word: str, change, identities: list[Identity], want: bool) -> dict:
    started, cpu = time.perf_counter(), time.process_time()
    change()
    call, call_cpu = time.perf_counter() - started, time.process_time() - cpu
    visible = poll(archive, identities, word, accession, want, started)
    return {"testimony": accession, "word": word, "call_s": call, "call_cpu_s": call_cpu, "visible_s": visible}


def measure_edits(archive: Archive, rng: random.Random, repeats: int = 5) -> dict:
    """Redactions, consent withdrawals and publications, `repeats` of each on other testimonies: call
    time and time until search agrees."""
    samples: dict[str, list] = {"redaction": [], "withdrawal": [], "publication": []}
    public = [v["accession_id"] for v in archive.testimonies.list(ANONYMOUS)]
    rng.shuffle(public)
    picks = iter(public)

    for accession in picks:  # a new redaction over one word
        if len(samples["redaction"]) == repeats:
            break
        found = unique_word(archive, accession, rng, ANONYMOUS)
        if found is None:
            continue
        word, key, at = found
        samples["redaction"].append(_edit(
            archive, accession, word, lambda: archive.redactions.add(
                SYSTEM, accession, category="person", replacement="[name withheld]", reason="benchmark",
                visible_to="archivist", transcript=key, start=at, end=at + len(word), text=word),
            [ANONYMOUS, RESEARCHER], False))

    for accession in picks:  # consent withdrawn
        if len(samples["withdrawal"]) == repeats:
            break
        found = unique_word(archive, accession, rng, ANONYMOUS)
        if found is None:
            continue
        samples["withdrawal"].append(_edit(
            archive, accession, found[0],
            lambda: archive.consent.withdraw(SYSTEM, accession, "benchmark: narrator's request"),
            [ANONYMOUS, RESEARCHER], False))

    with archive.db.session() as session:  # an in-review testimony with open, granted consent
        from sqlalchemy import select
        from archive.model import Testimony
        ready = [t.accession_id for t in session.scalars(select(Testimony).where(Testimony.state == "in_review"))
                 if t.consent is not None and t.consent.status == "granted" and t.consent.scope == "open"
                 and t.consent.embargo_until is None and (t.consent.permissions or {}).get("publish_transcript")
                 and all(r.state == "approved" for r in t.redactions)]
    for accession in ready:
        if len(samples["publication"]) == repeats:
            break
        found = unique_word(archive, accession, rng, ANONYMOUS, expect_found=False)
        if found is None:
            continue
        samples["publication"].append(_edit(
            # (one operator publishes generated records: the timing is of publication, not of review)
            archive, accession, found[0],
            lambda: archive.testimonies.set_state(SYSTEM, accession, "published", two_person=False),
            [ANONYMOUS], True))
    return {kind: _summary(s) for kind, s in samples.items() if s}


def measure_engines(archive: Archive, work: Path, repeats: int, seed: int) -> dict:
    """The public index's documents and the same query pools against SQLite FTS5 and tantivy."""
    def public_docs():
        with archive.db.session() as session:
            yield from archive.index._all_docs(session, Audience.PUBLIC)
    out = {}
    for engine in raw_engines.engines(work):
        console.log(f"raw engine: {engine.name}")
        out[engine.name] = raw_engines.measure(engine, public_docs, query_pools(random.Random(seed)), repeats)
    return out


def build(archive: Archive, corpus: Path, figures: dict, profile: bool, memory, db_size) -> None:
    """Import the corpus, then reindex every audience, measuring both."""
    console.log("importing")
    started, cpu = time.perf_counter(), time.process_time()
    with profiled(profile, "import", figures):
        report = archive.transfer.import_file(SYSTEM, corpus)
    figures["import_s"] = time.perf_counter() - started
    figures["import_cpu_s"] = time.process_time() - cpu
    figures["imported"] = len(report["testimonies"])
    figures["rss_after_import_mb"] = _rss()
    figures["peak_anon_after_import_mb"] = memory.peak["RssAnon"]
    figures["indexed"] = {a: len(archive.indexes.testimony_ids(a)) for a in archive.indexes.index_dirs()}

    reindex(archive, figures, profile)
    figures["index_mb"] = index_mb(archive)
    figures["database_mb"] = db_size() / 1e6


def reindex(archive: Archive, figures: dict, profile: bool) -> None:
    console.log("reindexing every audience")
    started, cpu = time.perf_counter(), time.process_time()
    with profiled(profile, "reindex", figures):
        archive.index.reindex(SYSTEM)
    figures["reindex_s"] = time.perf_counter() - started
    figures["reindex_cpu_s"] = time.process_time() - cpu
    figures["rss_after_reindex_mb"] = _rss()


# -- run -----------------------------------------------------------------------------------------
def corpus_path(n: int, words: int, seed: int) -> Path:
    return OUT / f"corpus-{n}-w{words}-s{seed}.json"


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    import sqlalchemy
    import importlib.metadata
    return {"nproc": usable, "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "whoosh": importlib.metadata.version("Whoosh-Reloaded"), "sqlalchemy": sqlalchemy.__version__,
            "apsw": importlib.metadata.version("apsw")}


def run(args) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    run_started, load_start = time.perf_counter(), list(os.getloadavg())
    rng = random.Random(args.seed)
    figures: dict = {"n": args.n, "words_per_testimony": args.words, "seed": args.seed, "backend": args.backend,
                     "engine": args.engine,
                     "queries_per_type": args.queries, "pagesize": PAGESIZE,
                     "date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
                     "targets": TARGETS}
    corpus = corpus_path(args.n, args.words, args.seed)
    if args.reuse is not None:
        pass
    elif corpus.exists() and not args.regenerate:
        figures["generate_s"] = None
        console.log(f"reusing {corpus.relative_to(ROOT)}")
    else:
        console.log(f"generating {args.n} testimonies -> {corpus.relative_to(ROOT)}")
        started = time.perf_counter()
        gen.write_corpus(args.n, corpus, args.words, args.seed)
        figures["generate_s"] = time.perf_counter() - started
    figures["corpus_mb"] = corpus.stat().st_size / 1e6 if corpus.exists() else None

    with workdir(args) as work, database(args.backend, work, args.reuse is not None, args.database_url) as (url, db_size), \
            MemorySampler() as memory:
        archive = Archive(url, work / "indexes", work / "media", search_engine=args.engine)
        try:
            archive.init()
            if args.database_url is not None:
                args.reuse = args.database_url
            if args.reuse is None:
                build(archive, corpus, figures, args.profile, memory, db_size)
            else:
                console.log(f"reusing the archive in {work}: no import" + ("" if args.reindex else ", no reindex"))
                figures["reused"] = str(work)
                if args.reindex:
                    reindex(archive, figures, args.profile)
                figures["indexed"] = {a: len(archive.indexes.testimony_ids(a)) for a in archive.indexes.index_dirs()}
                figures["imported"] = max(figures["indexed"].values())
                figures["index_mb"] = index_mb(archive)
                figures["database_mb"] = db_size() / 1e6

            console.log(f"searching ({args.queries} per query type)")
            with profiled(args.profile, "search", figures):
                figures["search"], figures["first_search_ms"] = measure_search(archive, args.queries, rng)
            figures["suggest"] = measure_suggest(archive, min(args.queries, 30))

            console.log("edits")
            figures["edits"], figures["edits_asked"] = measure_edits(archive, rng, args.edits), args.edits

            if args.engines:
                figures["engines"] = measure_engines(archive, work, args.queries, args.seed)
        finally:
            archive.close()
    figures["load_average"] = {"start": load_start, "end": list(os.getloadavg())}
    figures["total_s"] = time.perf_counter() - run_started
    figures["peak_rss_mb"] = _rss()
    figures["peak_rss_anon_mb"], figures["peak_rss_file_mb"] = memory.peak["RssAnon"], memory.peak["RssFile"]
    suffix = ("" if args.backend == "sqlite" else f"-{args.backend}") + ("" if args.engine == "whoosh" else f"-{args.engine}") \
        + ("-reused" if args.reuse else "")
    path = OUT / f"results-{args.n}{suffix}.json"
    path.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    console.log(f"figures -> {path.relative_to(ROOT)}")
    return figures


# -- report --------------------------------------------------------------------------------------
def _s(value: float | None) -> str:
    if value is None:
        return "not reached"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def show(f: dict) -> Table:
    m = f["machine"]
    table = Table(title=f"{f['n']} testimonies x ~{f['words_per_testimony']} words, {f['backend']}; "
                        f"nproc {m['nproc']}, Python {m['python']}, Whoosh {m['whoosh']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("notes")
    n, words = f["imported"], f["n"] * f["words_per_testimony"]
    if f.get("generate_s") is not None:
        table.add_row("generate corpus", f"{f['generate_s']:.1f} s", f"{f['corpus_mb']:.1f} MB JSON")
    if f.get("reused"):
        table.add_row("archive reused", f["reused"], "built by an earlier run with --keep; not imported again")
    else:
        table.add_row("import (transfer.import_file)", f"{f['import_s']:.1f} s",
                      f"{n / f['import_s']:.2f} testimonies/s, {words / f['import_s'] / 1000:.1f}k words/s; "
                      f"CPU {f['import_cpu_s']:.1f} s")
    table.add_row("testimonies indexed", " / ".join(str(v) for v in f["indexed"].values()),
                  " / ".join(f["indexed"]))
    if "reindex_s" in f:
        table.add_row("full reindex, all audiences", f"{f['reindex_s']:.1f} s",
                      f"{n / f['reindex_s']:.2f} testimonies/s, CPU {f['reindex_cpu_s']:.1f} s; "
                      f"target <= 600 s at 10,000")
    for audience, mb in f["index_mb"].items():
        table.add_row(f"index size: {audience}", f"{mb:.1f} MB", "")
    table.add_row("database size", f"{f['database_mb']:.1f} MB", "")
    table.add_row("first search (index open)", f"{f['first_search_ms']:.0f} ms", "")
    for kind, s in f["search"].items():
        note = f"e.g. {s['example']}, {s['mean_hits']:.0f} testimonies found on average"
        if s.get("errors"):
            note += f"; ERRORS: {s['errors'][:2]}"
        note += f"; CPU p50/p95 {s['cpu_p50_ms']:.0f}/{s['cpu_p95_ms']:.0f} ms"
        table.add_row(f"search p50 / p95: {kind}", f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f} ms", note)
    table.add_row("suggest p50 / p95", f"{f['suggest']['p50_ms']:.0f} / {f['suggest']['p95_ms']:.0f} ms", "")
    labels = {"redaction": ("redaction added -> word gone from public search", "redactions.add"),
              "withdrawal": ("consent withdrawn -> gone from public search", "consent.withdraw"),
              "publication": ("published -> found by public search", "testimonies.set_state")}
    for key, (label, call) in labels.items():
        e = f["edits"].get(key)
        if e is None:
            table.add_row(label, "n/a", "not measured (--edits 0)" if f.get("edits_asked") == 0
                          else "no suitable testimony in this corpus")
        else:
            edits = e.get("edits", 1)
            table.add_row(label, _s(e["visible_s"]),
                          (f"median of {edits} edits, slowest {_s(e['visible_max_s'])}; " if edits > 1 else "")
                          + f"{call} returned in {_s(e['call_s'])} (CPU {_s(e['call_cpu_s'])}); target < 1 s")
    imported = "no import in this run" if f.get("reused") else f"{f['rss_after_import_mb']:.0f} MB by the end of import"
    table.add_row("peak RSS", f"{f['peak_rss_mb']:.0f} MB",
                  f"ru_maxrss ({imported}); of which heap "
                  f"(RssAnon) peaked at {f['peak_rss_anon_mb']:.0f} MB, mmap'd files (RssFile) at "
                  f"{f['peak_rss_file_mb']:.0f} MB")
    table.add_row("whole run", f"{f['total_s']:.0f} s",
                  "load average at start / end: {:.1f} / {:.1f}".format(f["load_average"]["start"][0],
                                                                          f["load_average"]["end"][0]))
    return table


def _ms(entry: dict | None) -> str:
    if not entry or entry.get("p50_ms") is None:
        return "n/a"
    return f"{entry['p50_ms']:.1f} / {entry['p95_ms']:.1f} ms"


def _ratio(ours: dict, theirs: dict | None) -> str:
    if not theirs or not theirs.get("p95_ms"):
        return "n/a"
    return f"x{ours['p95_ms'] / theirs['p95_ms']:.0f}"


def show_engines(f: dict) -> Table:
    """The archive's search page beside raw engines over the same public documents: p50 / p95, and
    how many times slower the archive's p95 is."""
    names = list(f["engines"])
    table = Table(title=f"{f['n']} testimonies: archive ({f.get('engine', 'whoosh')}) vs raw engines over the public index's documents")
    table.add_column("measure")
    table.add_column("archive", justify="right")
    for name in names:
        table.add_column(name, justify="right")
        table.add_column("archive / " + name, justify="right")
    row = ["build", f"{f['reindex_s']:.1f} s (3 audiences)" if "reindex_s" in f else "not timed"]
    for name in names:
        e = f["engines"][name]
        row += [f"{e['build_s']:.1f} s (public)", ""]
    table.add_row(*row)
    row = ["index size", f"{f['index_mb']['public']:.1f} MB (public)"]
    for name in names:
        row += [f"{f['engines'][name]['size_mb']:.1f} MB", f"x{f['index_mb']['public'] / f['engines'][name]['size_mb']:.1f}"]
    table.add_row(*row)
    for kind, ours in f["search"].items():
        row = [f"search p50 / p95: {kind}", _ms(ours)]
        for name in names:
            theirs = f["engines"][name]["search"].get(kind)
            row += [_ms(theirs), _ratio(ours, theirs)]
        table.add_row(*row)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="testimonies in the corpus")
    parser.add_argument("--words", type=int, default=6000, help="average words per transcript")
    parser.add_argument("--queries", type=int, default=50, help="timed searches per query type")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--engine", choices=ENGINES, default="whoosh",
                        help="the archive's search engine (SEARCH_ENGINE)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--edits", type=int, default=5, help="timed edits of each kind (redaction, withdrawal, publication)")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the cached corpus")
    parser.add_argument("--no-engines", dest="engines", action="store_false",
                        help="skip the SQLite FTS5 / tantivy comparison")
    parser.add_argument("--keep", metavar="DIR",
                        help="build the archive in DIR (SQLite database) and leave it there")
    parser.add_argument("--reuse", metavar="DIR",
                        help="measure the archive --keep left in DIR again: searches and edits only")
    parser.add_argument("--database-url", metavar="URL",
                        help="with --backend postgresql: measure the archive already in this database, as --reuse "
                             "does (e.g. bench/http_load.py's bench_http_<n>_<engine>); it is changed by --edits")
    parser.add_argument("--reindex", action="store_true",
                        help="with --reuse or --database-url: time a full reindex of the archive as well")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile import, reindex and search into bench/out/profile-*.txt")
    args = parser.parse_args(argv)
    if args.database_url and args.backend != "postgresql":
        raise SystemExit("--database-url is for --backend postgresql (--reuse DIR for SQLite)")
    figures = run(args)
    out = Console(width=max(Console().width, 140))
    out.print(show(figures))
    if figures.get("engines"):
        out.print(show_engines(figures))


if __name__ == "__main__":
    main()
