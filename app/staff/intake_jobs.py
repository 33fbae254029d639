"""Long bulk imports (CSV rows, JSON documents) run in a thread of the worker that took the confirm
form, and report their progress in a small JSON file, so that any worker can answer the page that
polls it: gunicorn runs several workers and there is no queue server to ask.

A job file lives in MEDIA_DIR/intake-jobs/<account>/<id>.json: a folder per account (0700) and a
file only its owner process may read (0600), written whole and renamed into place so a reader never
sees half of it. The id comes from secrets.token_urlsafe and is looked up in the asking archivist's
own folder only, so a job id seen by one archivist is no key to another's. Job files hold row
results (field values among them) and are removed after JOB_HOURS.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from archive.errors import ArchiveError
from archive.identity import Identity

JOBS = "intake-jobs"
JOB_HOURS = 24
# Imports of more records than this (CSV rows, JSON testimonies) run as a job with a progress bar;
# smaller ones finish within the request, where the result page follows at once.
JOB_THRESHOLD = 20
JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")       # secrets.token_urlsafe(16)
# A job file is rewritten at most this often (and always at the end): rewriting it after every row
# of a long file would cost more than the rows.
WRITE_EVERY = 0.25
# A running job whose file has not changed for this long lost its thread (its worker was restarted
# or killed): it is reported as stopped rather than left running for ever.
STALE_SECONDS = 600

log = logging.getLogger(__name__)


def owner_folder(identity: Identity) -> str:
    return f"user-{identity.user_id}" if identity.user_id is not None else "operator"


def _folder(media_dir: str | Path, identity: Identity) -> Path:
    return Path(media_dir) / JOBS / owner_folder(identity)


def _write(path: Path, state: dict) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")     # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, ensure_ascii=False, default=str)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(media_dir: str | Path, identity: Identity, job_id: str) -> dict | None:
    """The job's state, if this id names a job of this account; None otherwise."""
    if not JOB_ID.fullmatch(job_id or ""):
        return None
    path = _folder(media_dir, identity) / f"{job_id}.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        age = time.time() - path.stat().st_mtime
    except (FileNotFoundError, ValueError):
        return None
    if state.get("owner") != owner_folder(identity):
        return None
    if state["status"] == "running" and age > STALE_SECONDS:
        kept = ("rows listed here were written as shown; upload the file again to import the rest"
                if state["kind"] == "csv" else "nothing of the file was saved; upload it again")
        state.update(status="failed", current=None, error=(
            f"the import stopped answering {int(age // 60)} minutes ago (its server process ended): {kept}"))
    return state


def prune(media_dir: str | Path) -> None:
    cutoff = time.time() - JOB_HOURS * 3600
    for path in (Path(media_dir) / JOBS).glob("*/*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def start(archive, identity: Identity, media_dir: str | Path, kind: str, data: bytes, filename: str,
          total: int, on_finished: Callable[[], None] | None = None) -> str:
    """Start importing `data` (kind "csv" or "json") in a thread; returns the job id at once."""
    folder = _folder(media_dir, identity)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    prune(media_dir)
    job_id = secrets.token_urlsafe(16)
    state: dict[str, Any] = {
        "id": job_id, "owner": owner_folder(identity), "kind": kind, "file": filename,
        "status": "running", "done": 0, "total": total, "current": None, "rows": [],
        "report": None, "result": None, "error": None, "started": time.time(), "finished": None,
    }
    path = folder / f"{job_id}.json"
    _write(path, state)
    thread = threading.Thread(target=_run, name=f"intake-job-{job_id[:6]}", daemon=True,
                              args=(archive, identity, path, state, kind, data, filename, on_finished))
    thread.start()
    return job_id


def _run(archive, identity: Identity, path: Path, state: dict, kind: str, data: bytes, filename: str,
         on_finished: Callable[[], None] | None) -> None:
    last = 0.0

    def progress(done: int, total: int, current: str | None) -> None:
        nonlocal last
        state.update(done=done, total=total, current=current)
        if time.monotonic() - last >= WRITE_EVERY:
            _write(path, state)
            last = time.monotonic()

    try:
        if kind == "csv":
            report = archive.intake.import_csv(identity, data, filename, progress=progress,
                                               on_row=state["rows"].append)
            state.update(report={k: v for k, v in report.items() if k != "rows"}, rows=report["rows"])
        else:
            state["result"] = archive.intake.import_json(identity, data, filename, progress=progress)
        state["status"] = "finished"
        if on_finished:
            on_finished()
    except ArchiveError as exc:
        # The JSON format is all or nothing: its records counted so far were rolled back with it.
        state.update(status="failed", error=str(exc))
    except Exception:  # noqa: BLE001 - a thread's failure must reach the page, not vanish
        log.exception("intake job %s failed", state["id"])
        state.update(status="failed", error="the import stopped on an unexpected error; rows reported "
                                            "above were written, the rest were not (see the server log)")
    state.update(current=None, finished=time.time())
    _write(path, state)
