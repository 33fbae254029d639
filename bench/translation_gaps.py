"""How long the translation check (archive/translations.py) takes on a large transcript: a view runs it
per audience at every write. Run: .venv/bin/python -m bench.translation_gaps [segments] [redactions]"""
from __future__ import annotations

import sys
import time
from types import SimpleNamespace as ns

from archive.translations import gaps

SEGMENT = ("word " * 60)[:300]


def transcript(id_: int, key: str, segments: int):
    text, rows = "", []
    for i in range(segments):
        rows.append(ns(start=i * 10.0, end=i * 10.0 + 10, text_start=len(text), text_end=len(text) + len(SEGMENT)))
        text += SEGMENT
    return ns(id=id_, key=key, text=text, segments=rows)


def main(segments: int = 100, spans: int = 200) -> None:
    original, translation = transcript(1, "en", segments), transcript(2, "fr", segments)
    redactions = []
    for i in range(spans):
        at = (i // 2) * len(SEGMENT) + (i % 2) * 100
        redactions.append(ns(key=f"R{i}", transcript_id=1, start=at, end=at + 4, visible_to="archivist",
                             text=f"Name{i} Zed{i}"))
        redactions.append(ns(key=f"C{i}", transcript_id=2, start=at, end=at + 4, visible_to="archivist", text=None))
    gaps(original, translation, redactions)          # (the scanner's tables load once per process)
    runs = 20
    began = time.perf_counter()
    for _ in range(runs):
        assert gaps(original, translation, redactions) == []
    took = (time.perf_counter() - began) / runs
    print(f"{segments} segments, {spans} redactions, {len(original.text):,} characters: {took * 1000:.1f} ms per check")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
