"""BagIt bags at scale: export a collection or the whole archive as a bag (public and admin), and
import the public bag into an empty archive; wall times and bag sizes.

    .venv/bin/python bench/bags.py --n 200 [--words 6000]

Imports a synthetic corpus (bench/generate.py, cached in bench/out/) into a fresh SQLite archive
with the SQLite engine, in a temporary folder removed afterwards.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.formats import bagit_format  # noqa: E402
from archive.identity import SYSTEM  # noqa: E402
from archive.services import Archive  # noqa: E402
from bench import generate as gen  # noqa: E402
from bench.run import OUT, corpus_path  # noqa: E402


class Timer:
    """Wall and CPU seconds of a block (on a loaded machine the wall time is mostly waiting)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--words", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    corpus = corpus_path(args.n, args.words, args.seed)
    if not corpus.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        gen.write_corpus(args.n, corpus, args.words, args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-bags-"))
    today = dt.date(2026, 12, 6)
    try:
        archive = Archive(f"sqlite:///{work / 'a.db'}", work / "a-idx", work / "a-media", clock=lambda: today,
                          search_engine="sqlite")
        archive.init()
        with Timer() as took:
            archive.transfer.import_file(SYSTEM, corpus)
        print(f"import of {args.n} testimonies: {took}")
        for audience in ("public", "admin"):
            with Timer() as took:
                made = archive.bags.export_bag(SYSTEM, work / f"bag-{audience}", audience)
            print(f"bag of the archive, {audience}: {made['testimonies']} testimonies, "
                  f"{size(work / f'bag-{audience}') / 2 ** 20:.1f} MB, {took}")
        other = Archive(f"sqlite:///{work / 'b.db'}", work / "b-idx", work / "b-media", clock=lambda: today,
                        search_engine="sqlite")
        other.init()
        with Timer() as took:
            result = other.bags.import_bag(SYSTEM, work / "bag-public")
        print(f"import of the public bag into an empty archive: {len(result['testimonies'])} testimonies, "
              f"{took} (validation and import)")
        with Timer() as took:
            bagit_format.check(work / "bag-public")
        print(f"validation alone of the public bag: {took}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
