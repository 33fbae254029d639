"""Search quality on the judged queries: recall@10 and nDCG@10, per query and on average.

    .venv/bin/python bench/quality.py [--json]

Builds a throwaway archive (SQLite in a temporary directory) from the real texts in
../shared/realdata and the demo collection, runs every query of tests/quality/judged_queries.json
as its audience, and prints the figures. tests/quality/test_judged_queries.py holds the same
figures as thresholds, so a change that lowers them fails the suite.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.quality.evaluation import as_json, build_archive, load_judgements, means, measure  # noqa: E402


def table(measured) -> str:
    width = max(len(f"{m.query} ({m.audience})") for m in measured)
    lines = [f"{'query':<{width}}  recall@10  nDCG@10  missed"]
    for m in measured:
        label = m.query if m.audience == "public" else f"{m.query} ({m.audience})"
        lines.append(f"{label:<{width}}  {m.recall:9.3f}  {m.ndcg:7.3f}  {' '.join(m.missed)}")
    avg = means(measured)
    lines.append(f"{'mean of ' + str(len(measured)):<{width}}  {avg['recall@10']:9.3f}  {avg['ndcg@10']:7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="archive-quality-") as tmp:
        archive = build_archive(Path(tmp))
        try:
            measured = [measure(archive, judged) for judged in load_judgements()]
        finally:
            archive.close()
    print(json.dumps(as_json(measured), ensure_ascii=False, indent=1) if args.json else table(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
