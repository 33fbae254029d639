"""Issue 16, the security point of the job queue: while a recording's re-encoding waits in the queue
after a redaction, no audience below archivist is given the old recording, by any route or disguise
of one; the page says it is being prepared; archivists follow the job on its page."""
from __future__ import annotations

import lxml.html

from archive.identity import SYSTEM
from archive.services.jobs import configure
from tests.audio_samples import sine_wav
from tests.conftest import without_csrf
from tests.security.test_recording_redaction import LISTEN, fetch

WITHHELD = "being prepared again"


def test_the_old_recording_is_never_served_below_archivist_while_its_job_waits(app, signed_in, tmp_path):
    archive = app.extensions["archive"]
    key = archive.media.add(SYSTEM, LISTEN, sine_wav(60), "interview.wav", kind="audio")["id"]
    for p in archive.media.placements(SYSTEM, key):
        if p["on_recording"]:
            archive.media.confirm_transcript_range(SYSTEM, key, p["redaction"], start=p["estimate"][0],
                                                   end=p["estimate"][1])
    public = app.test_client()
    before = fetch(public, f"/media/{key}/audio")
    assert before.status_code == 200 and len(before.data) > 1000
    derivatives = tmp_path / "media" / "derivatives"
    readers = [f for a in ("public", "researcher") for f in (derivatives / a).rglob("*") if f.is_file()]
    assert any(f.read_bytes() == before.data for f in readers)

    # From now on jobs wait: no worker reads this queue.
    (tmp_path / "queue").mkdir()
    configure(archive, "", tmp_path / "queue")
    archive.media.add_audio_redaction(SYSTEM, key, start=20.0, end=24.0, category="person",
                                      visible_to="archivist")

    for role in ("public", "researcher"):
        reader = signed_in(role)
        missing = fetch(reader, f"/media/{'0' * 64}/audio")
        # plain: the recording's own address answers exactly as a recording that does not exist
        assert without_csrf(fetch(reader, f"/media/{key}/audio")) == (404, without_csrf(missing)[1]), role
        # disguised: a byte range, a query string, a HEAD, another kind's route, the API's record
        for response in (fetch(reader, f"/media/{key}/audio", headers={"Range": "bytes=0-"}),
                         fetch(reader, f"/media/{key}/audio?v=old"),
                         reader.head(f"/media/{key}/audio"),
                         fetch(reader, f"/media/{key}/video")):
            assert response.status_code == 404, role
            assert before.data[:64] not in response.data
        page = reader.get(f"/testimonies/{LISTEN}").get_data(as_text=True)
        assert WITHHELD in page and f"/media/{key}/audio" not in page, role
    # Nothing of the old version is left to serve below archivist: the derivatives of other ranges are gone.
    assert not any(f.is_file() and f.read_bytes() == before.data
                   for a in ("public", "researcher") for f in (derivatives / a).rglob("*"))
    # Archivists hear theirs (the new range is not hidden from them) and follow the job.
    archivist = signed_in("archivist")
    assert fetch(archivist, f"/media/{key}/audio").status_code == 200
    [job] = archive.jobs.latest(SYSTEM, testimony=LISTEN, live_only=True)
    listing = lxml.html.fromstring(archivist.get("/staff/jobs").get_data(as_text=True))
    assert listing.xpath(f"//a[@href='/staff/jobs/{job['id']}']")
    assert listing.xpath("//meta[@http-equiv='refresh']")        # refreshes itself without script
    asset_page = archivist.get(f"/staff/media/{key}").get_data(as_text=True)
    assert f"/staff/jobs/{job['id']}" in asset_page              # linked from where it was started
    waiting = lxml.html.fromstring(archivist.get(f"/staff/jobs/{job['id']}").get_data(as_text=True))
    assert "Waiting for the worker" in waiting.text_content()
    assert waiting.xpath("//meta[@http-equiv='refresh']")
    assert fetch(signed_in("researcher"), f"/staff/jobs/{job['id']}").status_code == 403

    # The worker's part: then the page shows it finished, with its progress, and readers hear the new one.
    archive.jobs.run(SYSTEM, job["id"])
    done = lxml.html.fromstring(archivist.get(f"/staff/jobs/{job['id']}").get_data(as_text=True))
    [bar] = done.xpath("//progress")
    assert bar.get("value") == bar.get("max") != "0" and "Finished" in done.text_content()
    assert not done.xpath("//meta[@http-equiv='refresh']")
    after = fetch(public, f"/media/{key}/audio")
    assert after.status_code == 200 and after.data != before.data
    assert WITHHELD not in public.get(f"/testimonies/{LISTEN}").get_data(as_text=True)
