"""The segment-size trade-off: rebuild time, the cost of a purge (one testimony replaced, so its old
segment is rewritten) and search latency, for several `SearchIndexes(segment_docs=...)` bounds.

    python bench/segments.py [--n 200] [--sizes 100,1000,5000]

Uses the public documents of the cached corpus bench/out/corpus-<n>-w6000-s1.json (run.py or
generate.py writes it), imported into a throwaway SQLite archive without indexing.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.audience import Audience  # noqa: E402
from archive.identity import SYSTEM  # noqa: E402
from archive.search.whoosh import SearchIndexes  # noqa: E402
from archive.services import Archive  # noqa: E402

QUERIES = ("border", "family AND road", '"the border"', "lighthouse")


def public_docs(corpus: Path, work: Path) -> list[dict]:
    original = SearchIndexes.replace_testimonies
    SearchIndexes.replace_testimonies = lambda self, *a, **k: None  # the database only
    try:
        archive = Archive(f"sqlite:///{work / 'a.db'}", work / "unused", work / "media")
        archive.init()
        archive.transfer.import_file(SYSTEM, corpus)
        with archive.db.session() as session:
            docs = list(archive.index._all_docs(session, Audience.PUBLIC))
        archive.close()
        return docs
    finally:
        SearchIndexes.replace_testimonies = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--sizes", default="100,1000,5000")
    args = parser.parse_args()
    corpus = ROOT / "bench" / "out" / f"corpus-{args.n}-w6000-s1.json"
    with tempfile.TemporaryDirectory(prefix="segments-") as tmp:
        docs = public_docs(corpus, Path(tmp))
        groups = {k: list(g) for k, g in itertools.groupby(docs, key=lambda d: d["testimony"])}
        accession = sorted(groups)[len(groups) // 2]
        print(f"{len(groups)} public testimonies, {len(docs)} documents")
        print("segment_docs | rebuild CPU | purge one testimony CPU | search ms (" + ", ".join(QUERIES) + ")")
        for size in (int(s) for s in args.sizes.split(",")):
            idx = SearchIndexes(Path(tmp) / f"ix-{size}", segment_docs=size)
            idx.ensure()
            cpu = time.process_time()
            idx.rebuild({"public": docs})
            rebuild = time.process_time() - cpu
            changed = [dict(d) for d in groups[accession]]
            changed[1]["text"] = changed[1]["text"][:-40]  # a word or two removed: a purge
            cpu = time.process_time()
            idx.replace_testimonies("public", {accession: changed})
            purge = time.process_time() - cpu
            times = []
            for q in QUERIES:
                idx.search("public", q)
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    idx.search("public", q)
                    runs.append((time.perf_counter() - started) * 1000)
                times.append(statistics.median(runs))
            idx.close()
            print(f"{size:>12} | {rebuild:9.1f} s | {purge:21.2f} s | " + ", ".join(f"{t:.0f}" for t in times))


if __name__ == "__main__":
    main()
