"""Long bulk imports in the browser: the confirm form starts a job and the page follows its progress
(the JSON that import-progress.js polls), row by row, to a report with every line; the job is its
archivist's alone; researchers and the public are refused; the confirm form still needs its token."""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import lxml.html
import pytest

from archive.errors import NotFound
from archive.identity import SYSTEM
from app.staff import intake_jobs
from tests.conftest import EXAMPLE, csrf_from
from tests.web.test_staff_intake import confirm_fields, text_of, upload

ROWS = 30
BAD_LINE = 17          # the header is line 1, so row n is on line n + 1
TIMEOUT = 60


def sheet() -> bytes:
    lines = ["accession_id,title,interview_date,languages"]
    for n in range(1, ROWS + 1):
        date = "someday" if n + 1 == BAD_LINE else f"20{n:02d}"
        lines.append(f"JOB-{n:03d},Imported as a job {n},{date},en")
    return ("\n".join(lines) + "\n").encode()


def start(client, data: bytes = None, name: str = "many.csv") -> str:
    """Preview and confirm a file; returns the job page's URL the confirm form redirects to."""
    preview = upload(client, data=data if data is not None else sheet(), name=name)
    assert preview.status_code == 200
    response = client.post("/staff/intake/confirm", data=confirm_fields(preview))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert re.fullmatch(r"/staff/intake/jobs/[A-Za-z0-9_-]{22}", location), location
    return location


def poll(client, page: str, until=lambda job: job["status"] != "running") -> dict:
    deadline = time.monotonic() + TIMEOUT
    while True:
        response = client.get(page + ".json")
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        job = response.get_json()
        if until(job):
            return job
        assert time.monotonic() < deadline, f"the job did not get there in {TIMEOUT} s: {job}"
        time.sleep(0.05)


def job_files(app) -> list[Path]:
    return [p for p in (Path(app.config["MEDIA_DIR"]) / intake_jobs.JOBS).rglob("*") if p.is_file()]


@pytest.fixture
def held(app, monkeypatch):
    """Holds the CSV import after its first row until the test lets it go, so the running page is seen."""
    archive = app.extensions["archive"]
    real, go = archive.intake.import_csv, threading.Event()

    def import_csv(identity, data, filename, *, progress=None, on_row=None, **kw):
        if progress is None:                # the preview's dry run
            return real(identity, data, filename, on_row=on_row, **kw)

        def hold(done, total, current):
            progress(done, total, current)
            if done == 1:
                assert go.wait(TIMEOUT), "the test never let the import go on"
        return real(identity, data, filename, progress=hold, on_row=on_row, **kw)

    monkeypatch.setattr(archive.intake, "import_csv", import_csv)
    yield go
    go.set()


def test_a_long_csv_import_runs_as_a_job_with_live_progress_and_a_full_report(app, signed_in, held):
    archive = app.extensions["archive"]
    archivist = signed_in("archivist")
    page = start(archivist)

    # While it runs: the progress so far, the first row's result, the page that refreshes itself.
    job = poll(archivist, page, until=lambda job: job["done"] >= 1)
    assert job["status"] == "running" and job["total"] == ROWS and job["done"] == 1
    assert job["current"] == "JOB-001" and job["kind"] == "csv" and job["file"] == "many.csv"
    assert [(r["line"], r["accession_id"], r["status"]) for r in job["rows"]] == [(2, "JOB-001", "created")]
    assert "owner" not in job
    running = archivist.get(page)
    assert running.status_code == 200
    html = running.get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    [bar] = doc.xpath("//progress[@id='import-progress']")
    assert (bar.get("value"), bar.get("max")) == ("1", str(ROWS))
    assert doc.xpath("//noscript/meta[@http-equiv='refresh']")
    assert doc.xpath("//script/@src") == ["/static/js/import-progress.js"]
    assert not [s for s in doc.xpath("//script") if (s.text or "").strip()]          # no inline script
    assert doc.xpath("//*[@id='import-job']/@data-status-url") == [page + ".json"]
    assert "Importing JOB-001" in text_of(running) and "2 JOB-001 created" in text_of(running)
    assert archivist.get(page + ".json?since=1").get_json()["rows"] == []
    held.set()

    job = poll(archivist, page)
    assert job["status"] == "finished" and job["done"] == job["total"] == ROWS and job["error"] is None
    assert [r["line"] for r in job["rows"]] == list(range(2, ROWS + 2))     # every row, with its line
    [bad] = [r for r in job["rows"] if r["status"] == "error"]
    assert bad["line"] == BAD_LINE and bad["field"] == "interview_date" and "someday" in bad["error"]
    assert {r["status"] for r in job["rows"] if r is not bad} == {"created"}
    assert job["report"] == {**job["report"], "created": ROWS - 1, "failed": 1, "updated": 0}

    final = archivist.get(page)
    doc = lxml.html.fromstring(final.get_data(as_text=True))
    assert not doc.xpath("//meta[@http-equiv='refresh']")           # finished: no more reloading
    assert doc.xpath("//progress/@value") == [str(ROWS)]
    words = text_of(final)
    assert f"{ROWS - 1} created, 0 updated, 0 unchanged, 1 refused" in words
    assert "1 row was refused and not imported" in words
    assert f"{BAD_LINE} JOB-{BAD_LINE - 1:03d} error interview_date: 'someday' is not an EDTF date" in words
    for n in range(1, ROWS + 1):
        assert f"{n + 1} JOB-{n:03d} " in words
    # Each good row is a draft testimony with its revision; the bad row wrote nothing.
    assert archive.testimonies.get(SYSTEM, "JOB-030")["state"] == "draft"
    assert archive.history.revisions(SYSTEM, "JOB-030")
    with pytest.raises(NotFound):
        archive.testimonies.get(SYSTEM, f"JOB-{BAD_LINE - 1:03d}")
    # The upload waited until the job was done; the job file is its owner's alone.
    assert not [p for p in (Path(app.config["MEDIA_DIR"]) / "intake-staging").rglob("*") if p.is_file()]
    [state] = job_files(app)
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert oct(state.parent.stat().st_mode & 0o777) == "0o700"


def test_the_job_is_its_archivists_alone(app, signed_in, held):
    archivist = signed_in("archivist")
    page = start(archivist)
    poll(archivist, page, until=lambda job: job["done"] >= 1)
    reviewer, researcher, public = signed_in("reviewer"), signed_in("researcher"), signed_in("public")
    for url in (page, page + ".json"):
        other = reviewer.get(url)
        assert other.status_code == 404 and "JOB-001" not in other.get_data(as_text=True), url
        assert researcher.get(url).status_code == 403, url
        anonymous = public.get(url)
        assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"], url
    for forged in ("A" * 22, "../" * 4 + "etc", "x.json", page.rsplit("/", 1)[1].lower()):
        assert archivist.get(f"/staff/intake/jobs/{forged}").status_code == 404, forged
    held.set()
    assert poll(archivist, page)["status"] == "finished"
    assert reviewer.get(page + ".json").status_code == 404


def test_a_job_whose_thread_died_is_reported_as_stopped(app, signed_in, held):
    archivist = signed_in("archivist")
    page = start(archivist)
    poll(archivist, page, until=lambda job: job["done"] >= 1)
    [state] = job_files(app)
    # As if the worker running it had been restarted long ago: its file has not changed since.
    old = time.time() - intake_jobs.STALE_SECONDS - 120
    os.utime(state, (old, old))
    job = archivist.get(page + ".json").get_json()
    assert job["status"] == "failed" and "stopped answering 12 minutes ago" in job["error"]
    assert "rows listed here were written as shown" in job["error"]
    words = text_of(archivist.get(page))
    assert "Import stopped" in words and "2 JOB-001 created" in words
    held.set()
    # (this thread was only held: once it writes again, its file is fresh and tells the truth)
    assert poll(archivist, page, until=lambda job: job["status"] == "finished")["done"] == ROWS


@pytest.mark.parametrize("role", ["public", "researcher"])
def test_researchers_and_the_public_cannot_start_a_job(app, signed_in, role):
    fields = confirm_fields(upload(signed_in("archivist"), data=sheet(), name="many.csv"))
    client = signed_in(role)
    token = csrf_from(client, "/signin")
    assert client.post("/staff/intake/confirm", data={**fields, "csrf_token": token}).status_code == 403
    time.sleep(0.2)
    assert not job_files(app)
    with pytest.raises(NotFound):
        app.extensions["archive"].testimonies.get(SYSTEM, "JOB-001")


def test_the_confirm_form_needs_its_csrf_token(app, signed_in):
    archivist = signed_in("archivist")
    fields = confirm_fields(upload(archivist, data=sheet(), name="many.csv"))
    del fields["csrf_token"]
    assert archivist.post("/staff/intake/confirm", data=fields).status_code == 400
    stolen = csrf_from(signed_in("reviewer"), "/staff/intake")
    assert archivist.post("/staff/intake/confirm", data={**fields, "csrf_token": stolen}).status_code == 400
    time.sleep(0.2)
    assert not job_files(app)
    with pytest.raises(NotFound):
        app.extensions["archive"].testimonies.get(SYSTEM, "JOB-001")


def test_a_large_json_file_is_imported_as_a_job(app, signed_in):
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    template = document["testimonies"][0]
    document["testimonies"] = [{**template, "id": f"JSONJOB-{n:03d}"} for n in range(1, 26)]
    archivist = signed_in("archivist")
    page = start(archivist, json.dumps(document).encode(), "many.json")
    job = poll(archivist, page)
    assert job["status"] == "finished" and job["done"] == job["total"] == 25 and job["kind"] == "json"
    assert job["result"]["testimonies"] == [f"JSONJOB-{n:03d}" for n in range(1, 26)]
    words = text_of(archivist.get(page))
    assert "Imported 25 testimonies" in words and "JSONJOB-025" in words
    assert app.extensions["archive"].testimonies.get(SYSTEM, "JSONJOB-025")["title"] == template["title"]


def test_a_small_file_still_finishes_in_the_request(app, signed_in):
    archivist = signed_in("archivist")
    small = b"accession_id,title\nSMALL-1,Small enough\n"
    result = archivist.post("/staff/intake/confirm", data=confirm_fields(upload(archivist, data=small, name="s.csv")))
    assert result.status_code == 200 and "1 created" in text_of(result)
    assert not job_files(app)
