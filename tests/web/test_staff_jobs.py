"""Issue 16: the dashboard's "Rebuild search indexes" queues a job and lands on its page, which
follows it to the end without script; the indexes are rebuilt by the worker, not the request."""
from __future__ import annotations

import lxml.html

from archive.identity import SYSTEM
from archive.services.jobs import configure
from tests.conftest import csrf_from


def test_rebuilding_the_indexes_is_a_job_whose_page_follows_it(app, signed_in, tmp_path):
    archive = app.extensions["archive"]
    (tmp_path / "queue").mkdir()
    configure(archive, "", tmp_path / "queue")          # no worker reads it until the test does
    archivist = signed_in("archivist")
    response = archivist.post("/staff/reindex", data={"csrf_token": csrf_from(archivist, "/staff/")})
    assert response.status_code == 302 and "/staff/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    waiting = lxml.html.fromstring(archivist.get(f"/staff/jobs/{job_id}").get_data(as_text=True))
    assert "Waiting for the worker" in waiting.text_content() and waiting.xpath("//meta[@http-equiv='refresh']")
    # A second press while it waits is the same job.
    again = archivist.post("/staff/reindex", data={"csrf_token": csrf_from(archivist, "/staff/")})
    assert again.headers["Location"].endswith(f"/staff/jobs/{job_id}")

    archive.jobs.run(SYSTEM, job_id)                      # the worker's part
    done = lxml.html.fromstring(archivist.get(f"/staff/jobs/{job_id}").get_data(as_text=True))
    text = done.text_content()
    assert "Finished." in text and "Indexes rebuilt: public 7, researcher 8, staff 13" in text
    assert not done.xpath("//meta[@http-equiv='refresh']")
    [bar] = done.xpath("//progress")
    assert bar.get("value") == bar.get("max") == "1"
    listing = archivist.get("/staff/jobs").get_data(as_text=True)
    assert f"/staff/jobs/{job_id}" in listing and "Search indexes rebuilt" in listing
    report = archive.index.check(SYSTEM)
    assert all(not r["missing"] and not r["unexpected"] for r in report.values())
