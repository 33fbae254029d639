"""Benchmarks at scale: import, reindex, index size, search latency, edit-to-visibility, memory.

    python bench/run.py [--n 200] [--words 6000] [--queries 30] [--backend sqlite|postgresql]

Prints a table and writes bench/out/results-<backend>-<n>.json. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from archive.identity import ANONYMOUS, SYSTEM  # noqa: E402
from archive.services import Archive  # noqa: E402
from bench.generate import generate  # noqa: E402

OUT = ROOT / "bench" / "out"
QUERIES = {
    "common term": ["border", "family", "road", "night"],
    "rare term": ["fuel", "bribe", "winter", "hospital"],
    "AND": ["border AND family", "road AND car", "night AND fear"],
    "phrase": ['"the border"', '"the road"', '"the night"'],
    "field + facet": [("place:Raqqa", {"collection": ["c1"]}), ("subject:smuggling", {"language": ["en"]})],
    "Arabic": ["الحدود", "المهرب", "الرقة"],
}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _database(backend: str, work: Path):
    if backend == "sqlite":
        return f"sqlite:///{work / 'bench.db'}", lambda: None
    import psycopg
    base = os.environ.get("ARCHIVE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    raw, schema = base.replace("postgresql+psycopg", "postgresql"), f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop():
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return f"{base}?options=-csearch_path%3D{schema}", drop


def run(n: int, words: int, repeats: int, backend: str) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = OUT / f"corpus-{n}-{words}.json"
    if not corpus.exists():
        corpus.write_text(json.dumps(generate(n, words), ensure_ascii=False), encoding="utf-8")
    figures: dict = {"n": n, "words_per_testimony": words, "backend": backend, "cpus": os.cpu_count(),
                     "python": platform.python_version()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url, drop = _database(backend, work)
        archive = Archive(url, work / "indexes")
        try:
            archive.init()
            started = time.perf_counter()
            archive.transfer.import_file(SYSTEM, corpus)
            figures["import_s"] = time.perf_counter() - started
            started = time.perf_counter()
            archive.index.reindex(SYSTEM)
            figures["reindex_s"] = time.perf_counter() - started
            figures["index_mb"] = {a: _size(p) / 1e6 for a, p in archive.indexes.index_dirs().items()}
            latency = {}
            for kind, queries in QUERIES.items():
                times = []
                for _ in range(repeats):
                    for q in queries:
                        query, filters = q if isinstance(q, tuple) else (q, None)
                        started = time.perf_counter()
                        archive.search.search(ANONYMOUS, query, filters)
                        times.append((time.perf_counter() - started) * 1000)
                latency[kind] = {"p50_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95)}
            figures["search"] = latency
            target = next(v for v in archive.testimonies.list(ANONYMOUS))
            full = archive.testimonies.get(SYSTEM, target["accession_id"])
            segment = full["transcripts"][0]["segments"][0]
            text = "".join(p.get("original", p["text"]) for s in full["transcripts"][0]["segments"] for p in s["pieces"])
            word = next(w for w in segment["text"].split() if w.isalpha() and len(w) > 4)
            start = text.index(word)
            started = time.perf_counter()
            archive.redactions.add(SYSTEM, target["accession_id"], category="person", replacement="[x]",
                                   transcript="t", start=start, end=start + len(word), text=word)
            figures["redaction_to_invisible_s"] = time.perf_counter() - started
            started = time.perf_counter()
            archive.consent.withdraw(SYSTEM, target["accession_id"], "benchmark")
            figures["withdrawal_s"] = time.perf_counter() - started
            figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        finally:
            archive.close()
            drop()
    (OUT / f"results-{backend}-{n}.json").write_text(json.dumps(figures, indent=1))
    return figures


def show(figures: dict) -> None:
    table = Table(title=f"{figures['n']} testimonies x ~{figures['words_per_testimony']} words, "
                        f"{figures['backend']}, {figures['cpus']} CPUs, Python {figures['python']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    n = figures["n"]
    table.add_row("import (all audiences indexed)", f"{figures['import_s']:.1f} s ({n / figures['import_s']:.1f}/s)")
    table.add_row("full reindex, 3 audiences", f"{figures['reindex_s']:.1f} s")
    for audience, mb in figures["index_mb"].items():
        table.add_row(f"index size {audience}", f"{mb:.1f} MB")
    for kind, value in figures["search"].items():
        table.add_row(f"search page {kind} p50 / p95", f"{value['p50_ms']:.0f} / {value['p95_ms']:.0f} ms")
    table.add_row("redaction added -> gone from public search", f"{figures['redaction_to_invisible_s'] * 1000:.0f} ms")
    table.add_row("consent withdrawn -> gone everywhere", f"{figures['withdrawal_s'] * 1000:.0f} ms")
    table.add_row("peak RSS", f"{figures['peak_rss_mb']:.0f} MB")
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--words", type=int, default=6000)
    parser.add_argument("--queries", type=int, default=10, help="repetitions of each query")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    show(run(args.n, args.words, args.queries, args.backend))


if __name__ == "__main__":
    main()
