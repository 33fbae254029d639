"""Run the image worker in a child process with memory, CPU, output and wall-clock limits.

Image decoders are large C libraries fed with files from strangers. A bomb, a hang or a memory
bug in one of them must cost one child process, never the archive: the child gets an address
space limit, a CPU limit, a cap on what it may write back, an empty environment, and a
wall-clock deadline after which it is killed. Whatever it answers is parsed as data.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("worker.py")
HEADER_LIMIT = 64 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    """What one decode may use. The defaults fit a 50-megapixel photo with room to spare."""
    memory_bytes: int = 2 * 1024 ** 3
    cpu_seconds: int = 30
    wall_seconds: float = 60.0
    python: str = sys.executable  # the venv's interpreter, which has Pillow


class ChildFailed(Exception):
    """The child died or overran; `reason` is 'timeout', 'cpu', 'memory' or 'crash'."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


def _memory_file(name: str):
    # In RAM, never on disk: the bytes may be the only copy of a narrator's face.
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create(name), "w+b")
    return tempfile.TemporaryFile()


def run_worker(request: dict, data: bytes, *, limits: SandboxLimits, output_bytes: int,
               worker: Path | None = None) -> tuple[dict, list[bytes]]:
    """Send one request to a fresh child; return its answer and the blobs it announced."""
    worker = worker or WORKER
    with _memory_file("image-in") as stdin, _memory_file("image-out") as stdout, \
            _memory_file("image-err") as stderr:
        stdin.write(json.dumps(request).encode("ascii") + b"\n")
        stdin.write(data)
        stdin.flush()
        stdin.seek(0)
        args = [limits.python, "-I", "-B", str(worker), str(limits.memory_bytes),
                str(limits.cpu_seconds), str(output_bytes)]
        try:
            proc = subprocess.run(args, stdin=stdin, stdout=stdout, stderr=stderr, env={},
                                  timeout=limits.wall_seconds, start_new_session=True,
                                  check=False)
        except subprocess.TimeoutExpired:  # run() has killed and reaped the child
            raise ChildFailed("timeout") from None
        stderr.seek(0)
        errors = stderr.read(4096).decode("utf-8", "replace")
        if proc.returncode != 0:
            raise _failure(proc.returncode, errors)
        stdout.seek(0)
        return _parse(stdout.read(output_bytes + 1), output_bytes)


def _failure(returncode: int, errors: str) -> ChildFailed:
    log.warning("image worker exited with %s: %s", returncode, errors[-1000:])
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return ChildFailed("cpu")
    if "MemoryError" in errors:
        return ChildFailed("memory")
    return ChildFailed("crash", f"exit status {returncode}")


def _parse(raw: bytes, output_bytes: int) -> tuple[dict, list[bytes]]:
    if len(raw) > output_bytes:
        raise ChildFailed("crash", "answer too large")
    end = raw.find(b"\n", 0, HEADER_LIMIT)
    if end < 0:
        raise ChildFailed("crash", "no answer")
    try:
        answer = json.loads(raw[:end])
    except ValueError:
        raise ChildFailed("crash", "unreadable answer") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise ChildFailed("crash", "unreadable answer")
    blobs, offset = [], end + 1
    for entry in answer.get("blobs", []) if answer["ok"] else []:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int)
                and 0 <= entry[1] <= len(raw) - offset):
            raise ChildFailed("crash", "unreadable answer")
        blobs.append(raw[offset:offset + entry[1]])
        offset += entry[1]
    if offset != len(raw):
        raise ChildFailed("crash", "answer length mismatch")
    return answer, blobs
