"""The long run of the kill harness (tests/killing.py): N kills per scenario at random moments, on a
fresh archive, with every check after each kill. The suite runs a few; this runs many.

    .venv/bin/python bench/kills.py --kills 200 [--backend sqlite|postgresql] [--engine whoosh|sqlite]

Scenarios: an import of 30 testimonies (three batches) killed at a random moment; withdrawals of
testimonies one after another; redactions one after another. After each kill: integrity_check, every
index opens, no index holds what the database does not show its audience, no committed redaction found
by the public, nothing missing after the next start. Prints one line per scenario: kills, kills that
landed before the child finished, problems (each printed).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.formats.json_format import parse_document  # noqa: E402
from archive.identity import SYSTEM  # noqa: E402
from archive.services import Archive  # noqa: E402
from tests import killing  # noqa: E402

TODAY = dt.date(2026, 11, 24)
PER_CHILD = 6   # withdrawals or redactions a child makes, one after another, until it is killed


def _database(backend: str, root: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{root / 'archive.db'}"
    import psycopg
    name = f"kills_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def scenario(name: str, kills: int, backend: str, engine: str | None, rng: random.Random) -> tuple[int, int, list]:
    root = Path(tempfile.mkdtemp(prefix=f"kills-{name}-"))
    url = _database(backend, root)

    def factory(init: bool = True) -> Archive:
        archive = Archive(url, root / "indexes", root / "media", clock=lambda: TODAY, search_engine=engine)
        if init:
            archive.init()
        return archive

    data = killing.many(max((kills + 1) * PER_CHILD, 10), prefix=name.upper())
    archive = factory()
    if name != "import":
        archive.transfer.import_document(SYSTEM, parse_document(data, "seed.json"))
    archive.close()
    landed, problems, next_id = 0, [], 0
    took = None   # how long one child takes unkilled, start-up included: the kills land within it
    for attempt in range(kills + 1):
        if name == "import":
            work = killing.many(30, prefix=f"I{attempt}")
        elif name == "withdraw":
            work = [f"WITHDRAW-{i:04d}" for i in range(next_id, next_id + PER_CHILD)]
            next_id += PER_CHILD
        else:
            work = [killing.canary_span(data, f"REDACT-{i:04d}") for i in range(next_id, next_id + PER_CHILD)]
            next_id += PER_CHILD
        if took is None:
            started = time.monotonic()
            killing.run_child(url, root, name, work, engine=engine)
            took = time.monotonic() - started
            continue
        delay = rng.uniform(0.3, max(0.6, took))
        try:
            landed += killing.run_child(url, root, name, work, delay=delay, engine=engine)
        except AssertionError as exc:   # the child failed on its own (e.g. already withdrawn): go on
            problems.append(f"child: {str(exc).strip().splitlines()[-1]}")
            continue
        if attempt % 25 == 0:
            print(f"    {name}: {attempt} kills, {landed} landed, {len(problems)} problems", file=sys.stderr, flush=True)
        redacted = [w[0] for w in work] if name == "redact" else []
        for problem in killing.check_after_kill(factory, url, redacted=redacted):
            problems.append(f"kill {attempt}: {problem}")
    return kills, landed, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--engine", choices=("whoosh", "sqlite"), default=None)
    parser.add_argument("--scenarios", default="import,withdraw,redact")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{args.kills} kills per scenario, {args.backend} database, {args.engine or 'default'} engine")
    failed = False
    for name in args.scenarios.split(","):
        started = time.monotonic()
        kills, landed, problems = scenario(name, args.kills, args.backend, args.engine, rng)
        print(f"{name:10} kills {kills:4}  landed before the end {landed:4}  problems {len(problems):3}  "
              f"({time.monotonic() - started:.0f} s)")
        for problem in problems:
            print(f"    {problem}")
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
