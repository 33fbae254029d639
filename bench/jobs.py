"""How long the requests that used to re-encode a recording take, with the job queue and without it.

    .venv/bin/python bench/jobs.py [--minutes 9]

Attaches a recording of MINUTES minutes to a testimony with two placed transcript redactions, then draws
a range on it, first with JOB_QUEUE=immediate (the encoding done in the call, as every request did
before issue 16), then with the SQLite queue (the call queues a job; the worker's time is measured
apart, as `jobs.run` would spend it in `python -m app worker`).
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.formats.json_format import parse_document  # noqa: E402
from archive.identity import SYSTEM  # noqa: E402
from archive.services import Archive  # noqa: E402
from archive.services.jobs import configure  # noqa: E402
from tests.audio_samples import sine_wav  # noqa: E402
from tests.security.test_recording_redaction import ACCESSION, ANN, document  # noqa: E402


def run(queue: str, minutes: float) -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    archive = Archive(f"sqlite:///{root / 'archive.db'}", root / "indexes", root / "media")
    archive.init()
    configure(archive, queue, root)
    archive.transfer.import_document(SYSTEM, parse_document(copy.deepcopy(document())))
    data = sine_wav(minutes * 60)
    t0 = time.perf_counter()
    key = archive.media.add(ANN, ACCESSION, data, "interview.wav", kind="audio")["id"]
    attach = time.perf_counter() - t0
    worker = 0.0
    for job in archive.jobs.latest(SYSTEM, live_only=True):
        t0 = time.perf_counter()
        archive.jobs.run(SYSTEM, job["id"])
        worker += time.perf_counter() - t0
    for n, (a, b) in enumerate(((10.0, 10.5), (30.0, 31.0)), 1):
        archive.media.confirm_transcript_range(ANN, key, f"R-{n}", start=a, end=b)
    for job in archive.jobs.latest(SYSTEM, live_only=True):
        archive.jobs.run(SYSTEM, job["id"])
    t0 = time.perf_counter()
    archive.media.add_audio_redaction(ANN, key, start=60.0, end=62.0, category="person", visible_to="archivist")
    draw = time.perf_counter() - t0
    for job in archive.jobs.latest(SYSTEM, live_only=True):
        t0 = time.perf_counter()
        archive.jobs.run(SYSTEM, job["id"])
        worker += time.perf_counter() - t0
    archive.close()
    return {"attach": attach, "draw": draw, "worker": worker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=9)
    args = parser.parse_args()
    print(f"recording: {args.minutes:g} min, 8 kHz mono WAV")
    for name, queue in (("in the request (immediate)", "immediate"), ("queued (SQLite)", "")):
        r = run(queue, args.minutes)
        print(f"{name:<28} attach {r['attach']:6.2f} s   draw a range {r['draw']:6.2f} s   "
              f"worker {r['worker']:6.2f} s")


if __name__ == "__main__":
    main()
