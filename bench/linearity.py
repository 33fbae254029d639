"""Intake parsers in time proportional to their input: each case at size n and 4n, and the ratio of
the times (about 4 when linear, about 16 when quadratic). Timed runs belong here, not in the suite.

    .venv/bin/python bench/linearity.py
"""
from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.formats import json_format  # noqa: E402
from archive.intake.dispatch import parse  # noqa: E402

EXAMPLE = json.loads((ROOT.parent / "shared" / "examples" / "archive-v1.json").read_text(encoding="utf-8"))


def segments_by_time(n: int):
    data = copy.deepcopy(EXAMPLE)
    tr = data["testimonies"][0]["transcripts"][0]
    tr["text"] = "a line of words\n" * n
    tr["segments"] = [{"start": float(i), "end": float(i + 1)} for i in range(n)]
    data["testimonies"][0]["redactions"] = []
    return lambda: json_format.parse_document(data, "big.json")


def accession_ids(n: int):
    data = {"format": json_format.FORMAT, "collections": [{"id": "c", "title": "C"}],
            "testimonies": [{"id": f"T-{i}", "collection": "c", "title": "t"} for i in range(n)]}
    return lambda: json_format.parse_document(data, "many.json")


def timecodes_on_one_line(n: int):
    line = ("[00:00:01] word " * n).encode()
    return lambda: parse(line, "one-line.txt")


def ohms_sync_on_one_line(n: int):
    words = " ".join(f"w{i}" for i in range(n * 10))
    sync = "1:|" + "|".join(f"1({i * 10 + 1})" for i in range(1, n))
    xml = (f'<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"><record><title>t</title>'
           f'<transcript>{words}</transcript><sync>{sync}</sync></record></ROOT>').encode()
    return lambda: parse(xml, "one-line.xml")


CASES = {"JSON segments placed by time": (segments_by_time, 5_000),
         "JSON accession ids checked": (accession_ids, 2_500),
         "text: timecodes on one line": (timecodes_on_one_line, 2_500),
         "OHMS: sync points on one line": (ohms_sync_on_one_line, 10_000)}


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    print(f"{'case':34} {'n':>8} {'time':>8} {'4n':>8} {'time':>8} {'ratio':>6}")
    for name, (make, n) in CASES.items():
        small, large = timed(make(n)), timed(make(4 * n))
        print(f"{name:34} {n:8,} {small:7.2f}s {4 * n:8,} {large:7.2f}s {large / small:6.1f}")


if __name__ == "__main__":
    main()
