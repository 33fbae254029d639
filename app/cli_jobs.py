"""`python -m app worker` and `python -m app jobs`: the job queue's worker and the jobs on the command line."""
from __future__ import annotations

import logging
import sys

import click
from rich.markup import escape
from rich.table import Table

from archive.identity import SYSTEM

from .cli import _app, _progress, cli, console


@cli.command()
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Jobs run at once (threads); default: the JOB_WORKERS setting.")
def worker(workers):
    """Run the queued slow work (recordings re-encoded after a redaction or at intake) until stopped."""
    app = _app()
    archive = app.extensions["archive"]
    if archive.read_only:
        from archive.readonly import ReadOnly
        raise ReadOnly("a read-only archive runs no jobs")
    jobs = archive.jobs
    if jobs.immediate:
        console.print("JOB_QUEUE is immediate: jobs run where they are queued, and no worker is needed.")
        return
    archive.init()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # What a killed worker was doing, and what a queue that could not be reached lost, is queued again.
    again = jobs.requeue_stale(SYSTEM, everything_queued=True)
    count = workers or int(app.config["JOB_WORKERS"])
    console.print(f"Worker: {count} thread(s) on the {type(jobs.huey).__name__} queue"
                  + (f"; {len(again)} job(s) queued again" if again else ""), highlight=False)
    consumer = jobs.huey.create_consumer(workers=count, worker_type="thread", periodic=True,
                                         check_worker_health=True)
    consumer.run()


def follow(archive, job_ids: list[int]) -> bool:
    """Run these jobs in this process (the command line has no request to time out), or follow them
    if a worker already has them, with a progress bar each. True if every one finished."""
    ok = True
    with _progress() as progress:
        for job_id in job_ids:
            task = progress.add_task(f"Job {job_id}", total=None)

            def show(done, total, message, task=task):
                progress.update(task, completed=done, total=total or None,
                                description=escape(f"Job {job_id}: {message}" if message else f"Job {job_id}"))

            job = archive.jobs.run(SYSTEM, job_id, progress=show) or archive.jobs.wait(SYSTEM, job_id, progress=show)
            if job["state"] != "finished":
                ok = False
                progress.console.print(escape(f"job {job_id} {job['state']}: {job['message']}"), highlight=False)
    return ok


def finish_testimony_jobs(archive, accession_id: str) -> None:
    """After a command that queued work for a testimony: do it now, with progress."""
    live = [j["id"] for j in reversed(archive.jobs.latest(SYSTEM, testimony=accession_id, live_only=True))]
    if live and not follow(archive, live):
        sys.exit(1)


@cli.group(invoke_without_command=True)
@click.pass_context
def jobs(ctx):
    """The latest jobs (slow work queued off the request) and their progress."""
    if ctx.invoked_subcommand is not None:
        return
    archive = _app().extensions["archive"]
    table = Table("id", "job", "testimony", "state", "progress", "who", "created", "message")
    for j in archive.jobs.latest(SYSTEM):
        table.add_row(str(j["id"]), j["title"], j["testimony"] or "", j["state"], f"{j['done']}/{j['total']}",
                      escape(j["who"]), j["created"] or "", escape(j["message"]))
    console.print(table)


@jobs.command("wait")
@click.argument("job_id", type=int)
def jobs_wait(job_id):
    """Follow job JOB_ID until it is over (run it here if no worker has taken it)."""
    archive = _app().extensions["archive"]
    archive.jobs.get(SYSTEM, job_id)     # "no such job" for an unknown id
    if not follow(archive, [job_id]):
        sys.exit(1)
