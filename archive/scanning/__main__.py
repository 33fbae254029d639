"""Timing check: `python -m archive.scanning` scans a 6,000-word English and an Arabic transcript,
built from the demo collection's own words, for 50 terms, and prints how long one scan takes."""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

from . import compile_terms, find_terms, scan_record, suggest_identifiers

DEMO = Path(__file__).resolve().parent.parent / "demo" / "demo-collection.json"


def main(words: int = 6000, n_terms: int = 50) -> None:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    terms = [t for r in demo["testimonies"] for t in r["sensitive_terms"]] + demo["authorities"]
    terms += [{"term": f"Name{i} Surname{i}", "variants": [f"اسم{i} كنية{i}"]} for i in range(n_terms - len(terms))]
    transcripts = [tr for r in demo["testimonies"] for tr in r["transcripts"]]
    rng = random.Random(0)
    started = time.perf_counter()
    compiled = compile_terms(terms)
    print(f"compile {len(terms)} terms: {1000 * (time.perf_counter() - started):.1f} ms")
    for language in ("en", "ar", "fr"):
        pool = [w for tr in transcripts if tr["language"] == language for w in tr["text"].split()]
        text = " ".join(rng.choice(pool) for _ in range(words))
        runs = []
        for _ in range(11):
            started = time.perf_counter()
            found = find_terms(text, compiled)
            runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        suggestions = suggest_identifiers(text)
        ids = time.perf_counter() - started
        print(f"{language}: {words} words ({len(text)} chars), {len(found)} occurrences: "
              f"find_terms median {1000 * sorted(runs)[5]:.1f} ms, max {1000 * max(runs):.1f} ms; "
              f"suggest_identifiers {1000 * ids:.1f} ms ({len(suggestions)})")
    started = time.perf_counter()
    for record in demo["testimonies"]:
        scan_record(record, terms)
    print(f"scan_record over the {len(demo['testimonies'])} demo testimonies: "
          f"{1000 * (time.perf_counter() - started):.1f} ms")


if __name__ == "__main__":
    main()
