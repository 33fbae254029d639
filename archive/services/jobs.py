"""Slow work off the request: a job queue (Huey) and the job records any server reads.

A write that makes slow work necessary (a recording's derivatives after a redaction changed what is
silenced, or at intake) adds a `Job` row in its own unit of work and, once that commits, puts the
job's id on the queue; a worker (`python -m app worker`) takes it, claims the row and does the work,
writing its progress to the row. The queue carries nothing but the id: the row is the truth, so any
app server answers the job pages, and a job lost by the queue is found again from the rows.

The queue is Huey, with one of its stores (the JOB_QUEUE setting): a SQLite file in the instance folder
for one machine (no server to run), Redis when several machines share the work, or `immediate`, which
runs each job in the process that queued it, at once (tests; and an Archive made without the app).

Crashes: a worker's running job writes a heartbeat every HEARTBEAT_SECONDS. Huey takes a task off
its store before running it, so a worker killed mid-job loses the task; its row stays `running` with a
heartbeat that stops. A worker re-queues such rows (and `queued` ones whose task may have been lost,
e.g. when the queue was unreachable at the commit) when it starts and every minute after; a job is
tried MAX_ATTEMPTS times. A recording's derivative is named by the ranges it silences, so a job run
twice or late builds the same file, and until it exists nobody below archivist hears the recording.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from pathlib import Path
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..errors import ArchiveError, NotFound, ValidationError
from ..identity import Identity
from ..model import Job, utcnow
from ..policy import gated
from .base import Service

log = logging.getLogger(__name__)

KINDS = {"recording": "Recording re-encoded", "reindex": "Search indexes rebuilt", "export": "Export made",
         "vacuum": "Search tables vacuumed"}
# Progress is written to the job's row at most this often (and always at the end).
WRITE_EVERY = 0.5
LIVE = ("queued", "running")
MAX_ATTEMPTS = 3
RETRY_SECONDS = 30
HEARTBEAT_SECONDS = 10
# A running job whose heartbeat is older than this lost its worker; a queued one not taken this long
# after it was (re)queued may have lost its task: both are queued again.
STALE_SECONDS = 120
LIST_LIMIT = 100

Progress = Callable[[int, int, str], None]


def make_queue(setting: str, instance: str | Path | None, name: str = "archive"):
    """The Huey of the JOB_QUEUE setting: "" (a SQLite file, `jobs.db`, in the instance folder),
    "redis://host:port[/db]" (its queue called `name`), or "immediate" (run at once in the queuing
    process)."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    setting = (setting or "").strip()
    if setting == "immediate":
        return MemoryHuey("archive", immediate=True, results=False)
    if setting.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=setting, results=False)
    if setting in ("", "sqlite"):
        if instance is None:
            return MemoryHuey("archive", immediate=True, results=False)
        return SqliteHuey("archive", filename=str(Path(instance) / "jobs.db"), results=False)
    raise ValidationError(f"JOB_QUEUE is {setting!r}; expected empty (a SQLite file in the instance "
                          "folder), a redis:// URL, or immediate", field="JOB_QUEUE")


def describe(job: Job) -> dict:
    """A job as staff see it (the message names recordings by their key's start, never their words)."""
    def at(value):
        return value.isoformat(timespec="seconds") if value else None
    return {"id": job.id, "kind": job.kind, "title": KINDS.get(job.kind, job.kind),
            "testimony": job.testimony, "target": job.target, "state": job.state, "done": job.done,
            "total": job.total, "message": job.message, "attempts": job.attempts, "who": job.who,
            "created": at(job.created), "started": at(job.started), "finished": at(job.finished),
            "percent": int(100 * job.done / job.total) if job.total else (100 if job.state == "finished" else 0)}


def configure(archive, setting: str, instance: str | Path | None) -> None:
    """Give an archive the queue of the JOB_QUEUE setting (app/__init__.py); an Archive made without
    the app runs its jobs at once."""
    from huey import crontab

    service = archive.jobs
    # On a shared Redis, each archive (each database) has a queue of its own.
    name = "archive-" + hashlib.sha256(str(archive.db.engine.url).encode()).hexdigest()[:16]
    # A read-only archive writes nothing (no queue file either) and queues nothing: it builds no derivative.
    service.huey = make_queue("immediate" if archive.read_only else setting, instance, name)
    service._task = service.huey.task(name="archive.job", retries=MAX_ATTEMPTS - 1,
                                      retry_delay=RETRY_SECONDS)(service._run_from_queue)
    service.huey.periodic_task(crontab(minute="*"), name="archive.requeue")(service._requeue_periodic)


class JobService(Service):
    def __init__(self, archive):
        super().__init__(archive)
        self.huey = None
        self._task = None
        archive.jobs = self
        configure(archive, "immediate", None)

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)

    def _close(self) -> None:
        """Let go of the queue's store (its SQLite file's connection), with the archive."""
        try:
            self.huey.storage.close()
        except Exception:   # noqa: BLE001 - closing what may never have been opened
            log.debug("job queue store not closed", exc_info=True)

    # --- queuing (inside a writer's unit of work) -------------------------------------------------

    def queue_job(self, session: Session, kind: str, *, testimony: str | None, target: str | None, who: str) -> Job:
        """A job for this unit of work, queued once it commits. A job of the same kind and target
        still waiting in the queue covers it (it reads the records when it starts); one already
        running may have read them before this change, so a new one follows it."""
        made = session.info.setdefault("jobs", {})
        if (kind, target) in made:
            return made[(kind, target)]
        waiting = session.scalar(select(Job).where(Job.kind == kind, Job.target == target,
                                                   Job.state == "queued").order_by(Job.id).limit(1))
        job = waiting or Job(kind=kind, testimony=testimony, target=target, state="queued", who=who,
                             created=utcnow(), heartbeat=utcnow(), done=0, total=0, message="", attempts=0)
        if waiting is None:
            session.add(job)
            session.flush()
        made[(kind, target)] = job
        job_id = job.id
        session.info.setdefault("after_commit", []).append(lambda: self._enqueue(job_id))
        return job

    def _enqueue(self, job_id: int) -> None:
        """Put a job's id on the queue (after the commit). If the queue cannot be reached, the row
        stays queued and a worker queues it again (`requeue_stale`)."""
        try:
            self._task(job_id)
        except Exception:   # noqa: BLE001 - the write committed; the job is found again from its row
            log.exception("job %s could not be queued; a worker queues it again within %d s", job_id,
                          STALE_SECONDS)

    def ensure_job(self, kind: str, *, testimony: str | None, target: str | None, who: str = "system",
                   wait_after_failure: bool = True) -> int:
        """A live job for this work (after a rollback or a lost job, what is missing is rebuilt):
        the one queued or running (its worker alive), else a new one. Its id."""
        cutoff = utcnow() - dt.timedelta(seconds=STALE_SECONDS)
        with self.archive.db.session() as session:
            live = session.scalar(select(Job).where(Job.kind == kind, Job.target == target, Job.state.in_(LIVE),
                                                    Job.heartbeat >= cutoff).order_by(Job.id).limit(1))
            if live is not None:
                return live.id
            # A job that failed a moment ago (a file ffmpeg cannot read) is not started again for every
            # request that finds the recording missing.
            failed = session.scalar(select(Job).where(Job.kind == kind, Job.target == target, Job.state == "failed",
                                                      Job.finished >= cutoff).order_by(Job.id.desc()).limit(1))
            if failed is not None and wait_after_failure:
                return failed.id
            job = Job(kind=kind, testimony=testimony, target=target, state="queued", who=who,
                      created=utcnow(), heartbeat=utcnow(), done=0, total=0, message="", attempts=0)
            session.add(job)
            session.commit()
            job_id = job.id
        self._enqueue(job_id)
        return job_id

    @gated("index.manage")
    def queue_reindex(self, identity: Identity) -> dict:
        """Rebuild every audience's search index in a job (the dashboard's button): the one already
        waiting or running, else a new one. The job as `get` gives it (finished already when the queue
        is immediate)."""
        job_id = self.ensure_job("reindex", testimony=None, target="indexes", who=identity.describe(),
                                 wait_after_failure=False)
        return self._describe_one(job_id)

    # --- running (in a worker, or in the command line's own process) -----------------------------

    def _run_from_queue(self, job_id: int) -> None:
        self._run(job_id, None)

    @gated("job.run")
    def run(self, identity: Identity, job_id: int, progress: Progress | None = None) -> dict | None:
        """Claim a job and do it here (the command line); None if a worker has it or it is over."""
        return self._run(int(job_id), progress)

    def _run(self, job_id: int, progress: Progress | None) -> dict | None:
        """Claim a job and do it; None if another worker has it or it is over. An archive error (a
        recording ffmpeg cannot read) fails the job; anything else is retried up to MAX_ATTEMPTS
        (raised again, so that the queue retries it)."""
        job = self._claim(job_id)
        if job is None:
            return None
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job_id, stop), daemon=True,
                                name=f"job-{job_id}-heartbeat")
        beat.start()

        last = [0.0]

        def report(done: int, total: int, message: str = "") -> None:
            import time
            if done == total or time.monotonic() - last[0] >= WRITE_EVERY:
                self._set(job_id, done=done, total=total, message=message, heartbeat=utcnow())
                last[0] = time.monotonic()
            if progress:
                progress(done, total, message)

        try:
            message = HANDLERS[job["kind"]](self.archive, job, report)
        except ArchiveError as exc:
            self._set(job_id, state="failed", message=str(exc), finished=utcnow())
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %d", job_id, job["kind"], job["attempts"])
            if job["attempts"] >= MAX_ATTEMPTS:
                self._set(job_id, state="failed", finished=utcnow(),
                          message=f"failed {job['attempts']} times; last: {type(exc).__name__} (see the worker's log)")
            else:
                self._set(job_id, state="queued", heartbeat=utcnow(),
                          message=f"attempt {job['attempts']} failed ({type(exc).__name__}); tried again shortly")
                raise
        else:
            with self.archive.db.session() as session:     # a job that never knew its size is whole now
                row = session.get(Job, job_id)
                row.total = row.total or 1
                row.done = row.total
                row.state, row.finished, row.message = "finished", utcnow(), message or ""
                session.commit()
        finally:
            stop.set()
        return self._describe_one(job_id)

    def _claim(self, job_id: int) -> dict | None:
        """Take a queued job, or a running one whose worker stopped beating; atomically, so that two
        workers given the same id never both run it."""
        now = utcnow()
        cutoff = now - dt.timedelta(seconds=STALE_SECONDS)
        with self.archive.db.session() as session:
            taken = session.execute(
                update(Job).where(Job.id == job_id, or_(Job.state == "queued",
                                                        (Job.state == "running") & (Job.heartbeat < cutoff)))
                .values(state="running", attempts=Job.attempts + 1, started=now, heartbeat=now, finished=None)
                .execution_options(synchronize_session=False)).rowcount
            session.commit()
            if taken != 1:
                return None
            job = session.get(Job, job_id)
            return {"id": job.id, "kind": job.kind, "testimony": job.testimony, "target": job.target,
                    "attempts": job.attempts, "who": job.who}

    def _set(self, job_id: int, **values) -> None:
        with self.archive.db.session() as session:
            session.execute(update(Job).where(Job.id == job_id).values(**values)
                            .execution_options(synchronize_session=False))
            session.commit()

    def _beat(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                self._set(job_id, heartbeat=utcnow())
            except Exception:   # noqa: BLE001 - a missed beat only lets another worker take over later
                log.warning("job %s: heartbeat not written", job_id, exc_info=True)

    def _requeue_periodic(self) -> None:
        self._requeue(everything_queued=False)

    @gated("job.run")
    def requeue_stale(self, identity: Identity, *, everything_queued: bool = False) -> list[int]:
        """What a worker does when it starts (`everything_queued`) and every minute: see `_requeue`."""
        return self._requeue(everything_queued=everything_queued)

    def _requeue(self, *, everything_queued: bool = False) -> list[int]:
        """Queue again the jobs whose worker died (running, no heartbeat for STALE_SECONDS) and the
        queued ones whose task may be lost (not taken for as long); with `everything_queued`, every
        queued job (a worker starting). Their ids."""
        if self.archive.read_only:
            return []
        cutoff = utcnow() - dt.timedelta(seconds=STALE_SECONDS)
        with self.archive.db.session() as session:
            stale = select(Job.id).where(Job.state.in_(LIVE), Job.heartbeat < cutoff)
            if everything_queued:
                stale = select(Job.id).where(or_(Job.state == "queued",
                                                 (Job.state == "running") & (Job.heartbeat < cutoff)))
            ids = list(session.scalars(stale.order_by(Job.id)))
            if ids:
                session.execute(update(Job).where(Job.id.in_(ids), Job.state == "queued")
                                .values(heartbeat=utcnow()).execution_options(synchronize_session=False))
                session.commit()
        for job_id in ids:
            self._enqueue(job_id)
        return ids

    # --- reading ----------------------------------------------------------------------------------

    def _describe_one(self, job_id: int) -> dict | None:
        with self.archive.db.session() as session:
            job = session.get(Job, job_id)
            return describe(job) if job else None

    @gated("job.read")
    def latest(self, identity: Identity, *, testimony: str | None = None, live_only: bool = False) -> list[dict]:
        """The latest jobs (of one testimony), newest first."""
        with self.archive.db.session() as session:
            query = select(Job).order_by(Job.id.desc()).limit(LIST_LIMIT)
            if testimony is not None:
                query = query.where(Job.testimony == testimony)
            if live_only:
                query = query.where(Job.state.in_(LIVE))
            return [describe(j) for j in session.scalars(query)]

    @gated("job.read")
    def get(self, identity: Identity, job_id) -> dict:
        try:
            number = int(str(job_id))
        except ValueError:
            raise NotFound("no such job") from None
        found = self._describe_one(number)
        if found is None:
            raise NotFound("no such job")
        return found

    @gated("job.read")
    def wait(self, identity: Identity, job_id: int, progress: Progress | None = None, poll: float = 0.5,
             timeout: float | None = None) -> dict:
        """Follow a job until it is over (the command line's `jobs wait`); its description."""
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self._describe_one(job_id)
            if job is None:
                raise NotFound(f"no job {job_id}")
            if progress:
                progress(job["done"], job["total"], job["message"])
            if job["state"] in ("finished", "failed"):
                return job
            if deadline is not None and time.monotonic() > deadline:
                return job
            time.sleep(poll)


def _recording(archive, job: dict, report: Progress) -> str:
    return archive.media.build_recording(job["target"], report)


def _reindex(archive, job: dict, report: Progress) -> str:
    from ..identity import SYSTEM      # the archivist who queued it passed the gate (`queue_reindex`)
    counts = archive.index.reindex(SYSTEM, progress=lambda audience, n: report(0, 0, f"{audience} index: {n} documents"))
    return "Indexes rebuilt: " + ", ".join(f"{k} {v}" for k, v in counts.items())


def _export(archive, job: dict, report: Progress) -> str:
    return archive.exports.build(job, report)


def _vacuum(archive, job: dict, report: Progress) -> str:
    """The dead rows a withdrawal or a redaction left in an audience's search tables (an engine in the
    database: SEARCH_ENGINE=postgresql), removed from their pages and indexes."""
    vacuum = getattr(archive.indexes, "vacuum", None)
    if vacuum is None:   # (the archive moved to an engine with no tables in the database since it was queued)
        return "Nothing to vacuum: the search engine keeps no tables in the database"
    vacuum([job["target"]])
    return f"Search tables of the {job['target']} audience vacuumed"


HANDLERS: dict[str, Callable] = {"recording": _recording, "reindex": _reindex, "export": _export, "vacuum": _vacuum}
