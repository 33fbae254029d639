"""The kill harness: a child process writes to an archive (an import, withdrawals, redactions) and is
killed with SIGKILL, at a chosen point or after a random delay; the archive is then checked as it
stands, and again after the next start.

Used by tests/integration/test_kills.py (a few kills per scenario, in `make test`) and by
bench/kills.py (200 kills per scenario). After each kill:

- the database is intact (SQLite's integrity_check) and every index opens;
- no index holds a testimony its audience may not see in the database (no ghost of an import the
  database never accepted, no committed withdrawal), before any repair;
- no committed redaction's text is found by the public;
- after the next start (`Archive.init`), no index lacks what the database holds.
"""
from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE = SHARED / "examples" / "archive-v1.json"
CANARY = "Quorvenhal"           # a word only the redaction scenario hides, to search for afterwards

# Points a child can be killed at, by the function it wraps: (module, class, method, before/after).
POINTS = {
    "after-index-write": ("archive.services.indexing", "IndexService", "sync", "after"),
    "before-deferred-write": ("archive.services.indexing", "IndexService", "write_deferred", "before"),
    "after-deferred-write": ("archive.services.indexing", "IndexService", "write_deferred", "after"),
}

CHILD = textwrap.dedent('''
    import datetime as dt, importlib, json, os, signal, sys
    from archive.identity import SYSTEM
    from archive.services import Archive
    from archive.formats.json_format import parse_document

    url, index_dir, media_dir, scenario, point, countdown = sys.argv[1:7]
    countdown = int(countdown)
    if point != "random":
        module, cls, method, when = json.loads(os.environ["KILL_POINT"])
        target = getattr(importlib.import_module(module), cls)
        original = getattr(target, method)
        def wrapped(*args, **kwargs):
            global countdown
            if when == "before":
                countdown -= 1
                if countdown <= 0:
                    os.kill(os.getpid(), signal.SIGKILL)
            result = original(*args, **kwargs)
            if when == "after":
                countdown -= 1
                if countdown <= 0:
                    os.kill(os.getpid(), signal.SIGKILL)
            return result
        setattr(target, method, wrapped)
    archive = Archive(url, index_dir, media_dir, clock=lambda: dt.date(2026, 11, 24))
    print("ready", flush=True)
    work = json.loads(sys.stdin.read())
    if scenario == "import":
        archive.transfer.import_document(SYSTEM, parse_document(work, "kill.json"))
    elif scenario == "withdraw":
        for accession in work:
            archive.consent.withdraw(SYSTEM, accession, reason="killed mid-way")
    elif scenario == "redact":
        for accession, start, end in work:
            archive.redactions.add(SYSTEM, accession, category="person", replacement="[withheld]",
                                   transcript="en", start=start, end=end, text=CANARY)
    print("done", flush=True)
''').replace("CANARY", repr(CANARY))


# A server (`python -m app serve`, tests/servers.py) whose worker kills itself with SIGKILL in the middle
# of a write that touches a testimony named by KILL_ON (comma-separated): after that write's index rows
# went into its transaction, before its commit. Every other request is served as usual.
SERVE_KILLED_MID_WRITE = textwrap.dedent('''
    import os, signal, sys
    from archive.services.indexing import IndexService
    doomed = set(os.environ["KILL_ON"].split(","))
    original = IndexService.write_in_transaction
    def write_in_transaction(self, session):
        writing = set(session.info.get("in_transaction") or ())
        original(self, session)
        if writing & doomed:
            os.kill(os.getpid(), signal.SIGKILL)
    IndexService.write_in_transaction = write_in_transaction
    from app.cli import main
    main()
''')


def many(n: int, prefix: str = "KILL") -> dict:
    """The example file's open testimony n times under new ids (published, consent open), each
    transcript holding the canary word once, which the redaction scenario hides."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    template = data["testimonies"][0]
    data["testimonies"] = []
    for i in range(n):
        item = copy.deepcopy(template)
        item["id"] = f"{prefix}-{i:04d}"
        item["narrators"][0]["id"] = f"N-{prefix}-{i}"
        item["narrators"][0]["legal_name"] = f"Legal {prefix}-{i}"
        transcript = item["transcripts"][0]
        transcript["text"] += f"\nOmar: The last word is {CANARY}."
        transcript["segments"][-1]["text_end"] = len(transcript["text"])
        data["testimonies"].append(item)
    return data


def canary_span(data: dict, accession: str) -> tuple[str, int, int]:
    text = next(t for t in data["testimonies"] if t["id"] == accession)["transcripts"][0]["text"]
    start = text.rindex(CANARY)
    return accession, start, start + len(CANARY)


@dataclass
class Outcome:
    killed: bool
    problems: list[str] = field(default_factory=list)


def run_child(url: str, root: Path, scenario: str, work, *, point: str = "random", countdown: int = 1,
              delay: float | None = None, engine: str | None = None) -> bool:
    """Run one child; True if it was killed before finishing."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if engine:
        env["ARCHIVE_SEARCH_ENGINE"] = engine
    if point != "random":
        env["KILL_POINT"] = json.dumps(POINTS[point])
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(root / "indexes"), str(root / "media"), scenario, point,
         str(countdown)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=ROOT, text=True)
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    child.stdin.write(json.dumps(work))
    child.stdin.close()
    child.stdin = None
    if delay is not None:
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=300)
    if child.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"the child failed ({child.returncode}):\n{err}")
    return child.returncode == -signal.SIGKILL


def check_after_kill(archive_factory, url: str, *, redacted: list[str] = ()) -> list[str]:
    """Problems found in the archive as the kill left it, then after the next start."""
    from sqlalchemy import text

    from archive.identity import ANONYMOUS, SYSTEM
    problems: list[str] = []
    archive = archive_factory(init=False)
    try:
        if url.startswith("sqlite"):
            with archive.db.engine.connect() as connection:
                result = connection.execute(text("PRAGMA integrity_check")).scalar()
            if result != "ok":
                problems.append(f"integrity_check: {result}")
        report = archive.index.check(SYSTEM)
        for audience, found in report.items():
            if found["unexpected"]:
                problems.append(f"{audience} index holds what the database does not show it: {found['unexpected']}")
        # The indexes as they stand, not through the search service (which would repair them first).
        public = archive.indexes.search("public", CANARY, {}, page=1, pagesize=100, sort="relevance",
                                        variants=[])
        hits = {h.accession_id for h in public.testimonies}
        for accession in redacted:
            view = archive.testimonies.get(SYSTEM, accession)
            if any(r.get("text") == CANARY for r in view.get("redactions", [])) and accession in hits:
                problems.append(f"committed redaction of {accession} still found by the public")
    finally:
        archive.close()
    archive = archive_factory(init=True)
    try:
        report = archive.index.check(SYSTEM)
        for audience, found in report.items():
            if found["missing"] or found["unexpected"]:
                problems.append(f"after the next start, {audience}: {found}")
    finally:
        archive.close()
    return problems


def random_delay(rng: random.Random, low: float = 0.05, high: float = 1.5) -> float:
    return rng.uniform(low, high)
