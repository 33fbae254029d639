"""The job pages: slow work queued off the request (archive/services/jobs.py) and its progress. Any
server answers them: the jobs table is in the archive's database. Without script the page of a job
still running reloads itself every two seconds."""
from __future__ import annotations

from flask import render_template, send_file

from ..identity import archive, audience, current
from .routes import bp


@bp.get("/jobs")
@audience("archivist")
def jobs():
    listed = archive().jobs.latest(current())
    return render_template("staff/jobs.html", jobs=listed,
                           running=any(j["state"] in ("queued", "running") for j in listed))


@bp.get("/jobs/<job_id>")
@audience("archivist")
def job(job_id: str):
    return render_template("staff/job.html", job=archive().jobs.get(current(), job_id))


@bp.get("/jobs/<job_id>/download")
@audience("archivist")
def job_download(job_id: str):
    """An export job's file, to staff whose audience may read what it holds."""
    path, name = archive().exports.download(current(), job_id)
    mimetype = "application/zip" if name.endswith(".zip") else "application/json"
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
