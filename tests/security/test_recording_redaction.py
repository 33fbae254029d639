"""Issue 12, finding 5: a redacted recording must not tell how long the hidden name is, nor guess
where it is heard.

The public sees a segment's times and a redaction's replacement text; a silence placed at the span's
proportional share of the segment, as long as the span, let anyone solve for the name's length (and
missed the name whenever the pace of speech varied). Now a transcript redaction is heard below
archivist only where an archivist has confirmed its time range on the recording; until then lower
audiences get no recording at all, and publication is refused. Every silenced range is widened to
a coarse grid, so a 3-letter name and a 12-letter one leave silences of the same length.
"""
from __future__ import annotations

import copy

import pytest

from archive.audience import Audience
from archive.errors import NotFound, ValidationError
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM, Identity, for_role
from archive.media import audio
from tests.audio_samples import rms, samples, sine_wav

ACCESSION = "REC-2020-0001"
ANN = for_role("archivist", 1, "ann")
BOB = for_role("archivist", 2, "bob")
PUBLIC = Identity(Audience.PUBLIC)
RESEARCHER = Identity(Audience.RESEARCHER, username="rita")
ARCHIVIST = Identity(Audience.ARCHIVIST, username="ann")
QUIET = 60
LOUD = 5000
SECONDS = 40
SHORT, LONG = "Ana", "Quillanovich"          # 3 and 12 letters
FIRST = "Interviewer: Who drove the boat?\nNarrator: A man called Ana drove it, at night, without lights.\n"
SECOND = "Narrator: The one who paid him was Quillanovich, a trader from the coast.\n"
TEXT = FIRST + SECOND


def document(state: str = "draft", publish_audio: bool = True) -> dict:
    short, long = TEXT.index(SHORT), TEXT.index(LONG)
    redactions = [{"id": key, "transcript": "en", "start": start, "end": start + len(word), "text": word,
                   "category": "person", "reason": "a third party", "visible_to": "archivist",
                   "replacement": "[name withheld]", "state": "approved"}
                  for key, start, word in (("R-1", short, SHORT), ("R-2", long, LONG))]
    return {
        "format": "testimony-archive/1",
        "collections": [{"id": "recordings", "title": "Recordings", "description": ""}],
        "authorities": [],
        "testimonies": [{
            "id": ACCESSION, "collection": "recordings", "title": "A crossing, recorded",
            "summary": "A crossing by boat.", "interview_date": "2020", "interview_place": "",
            "languages": ["en"], "subjects": [], "places": [], "interviewers": [], "narrators": [],
            "consent": {"status": "granted", "scope": "open", "date": "2020-01-02", "obtained_by": "X",
                        "embargo_until": None,
                        "permissions": {"publish_transcript": True, "publish_audio": publish_audio,
                                        "publish_images": False, "quote": True, "attribute_real_name": False}},
            "state": state,
            "transcripts": [{"id": "en", "language": "en", "kind": "original", "text": TEXT, "segments": [
                {"start": 0.0, "end": 20.0, "title": "The boat", "synopsis": "", "keywords": [],
                 "text_start": 0, "text_end": len(FIRST)},
                {"start": 20.0, "end": 40.0, "title": "The trader", "synopsis": "", "keywords": [],
                 "text_start": len(FIRST), "text_end": len(TEXT)}]}],
            "redactions": redactions,
            "sensitive_terms": [],
        }],
    }


def setup(archive, state: str = "draft", publish_audio: bool = True, recording: bool = True) -> str | None:
    archive.transfer.import_document(SYSTEM, parse_document(copy.deepcopy(document(state, publish_audio))))
    if recording:
        return archive.media.add(ANN, ACCESSION, sine_wav(SECONDS), "interview.wav", kind="audio")["id"]
    return None


def publish(archive) -> dict:
    """Submitted by one archivist, published by another (whatever the two-person rule asks)."""
    if archive.testimonies.get(SYSTEM, ACCESSION)["state"] != "in_review":
        archive.testimonies.set_state(ANN, ACCESSION, "in_review")
    return archive.testimonies.set_state(BOB, ACCESSION, "published")


def heard(archive, identity: Identity, key: str):
    return samples(archive.media.audio(identity, key)["path"].read_bytes())


def silent_runs(decoded, step: float = 0.05) -> list[tuple[float, float]]:
    """The stretches of the recording a listener hears as silence, to the nearest `step`."""
    runs, start, t = [], None, 0.0
    end = len(decoded) / 8000
    while t + step <= end:
        quiet = rms(decoded, t, t + step) < QUIET
        if quiet and start is None:
            start = t
        elif not quiet and start is not None:
            runs.append((start, t))
            start = None
        t += step
    if start is not None:
        runs.append((start, end))
    return runs


# --- the grid ------------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [0.0, 0.37, 1.2, 1.99, 2.0, 7.75])
def test_a_short_and_a_long_name_are_concealed_by_ranges_of_the_same_length(offset):
    """A name said in 0.2 s and one said in 1.0 s, wherever they fall, leave equal silences."""
    start = 20 + offset
    short, = audio.conceal([(start, start + 0.2)])
    long, = audio.conceal([(start, start + 1.0)])
    assert short[1] - short[0] == long[1] - long[0] == audio.SILENCE_MINIMUM
    for (a, b), length in ((short, 0.2), (long, 1.0)):
        assert a <= start and start + length <= b                     # it covers what it hides
        assert a % audio.SILENCE_GRID == 0 and b % audio.SILENCE_GRID == 0        # on the grid


# --- publication -------------------------------------------------------------------------------

def test_publication_is_refused_until_every_redaction_has_a_confirmed_range(archive):
    key = setup(archive)
    with pytest.raises(ValidationError, match=r"confirmed time range.*R-1, R-2"):
        publish(archive)
    archive.media.confirm_transcript_range(ANN, key, "R-1", start=10.0, end=10.5)
    with pytest.raises(ValidationError, match=r"confirmed time range.*R-2") as refused:
        publish(archive)
    assert "R-1" not in str(refused.value)
    archive.media.confirm_transcript_range(ANN, key, "R-2", start=30.0, end=31.0)
    assert publish(archive)["state"] == "published"


def test_a_recording_that_never_reaches_below_archivist_needs_no_range(archive):
    setup(archive, publish_audio=False)
    assert publish(archive)["state"] == "published"


# --- until confirmed, nobody below archivist hears it --------------------------------------------

def test_no_audience_below_archivist_hears_the_recording_until_its_ranges_are_confirmed(archive):
    setup(archive, recording=False)
    publish(archive)
    key = archive.media.add(ANN, ACCESSION, sine_wav(SECONDS), "interview.wav", kind="audio")["id"]
    for reader in (PUBLIC, RESEARCHER):
        with pytest.raises(NotFound):
            archive.media.audio(reader, key)
        with pytest.raises(NotFound):
            archive.media.captions(reader, key)
        assert [a["id"] for a in archive.media.assets_for(reader, ACCESSION)] == []
        # not even a proportional guess waits on disk
        folder = archive.media._store().derivative_path(key, reader.audience, "x", "ogg").parent
        assert not list(folder.glob("audio-*.ogg"))
    assert rms(heard(archive, ARCHIVIST, key), 1.0, 39.0) > LOUD        # staff still listen, to place them
    archive.media.confirm_transcript_range(ANN, key, "R-1", start=10.0, end=10.5)
    with pytest.raises(NotFound):
        archive.media.audio(PUBLIC, key)                                 # R-2 still unplaced
    archive.media.confirm_transcript_range(ANN, key, "R-2", start=30.0, end=31.0)
    assert [a["id"] for a in archive.media.assets_for(PUBLIC, ACCESSION)] == [key]
    assert rms(heard(archive, PUBLIC, key), 10.0, 10.5) < QUIET


# --- what is silenced --------------------------------------------------------------------------

def test_the_confirmed_range_is_what_is_silenced_and_the_guess_is_not(archive):
    key = setup(archive)
    placements = {p["redaction"]: p for p in archive.media.placements(ANN, key)}
    guess = placements["R-2"]["estimate"]          # offered as a starting point, never used alone
    assert guess is not None and 20.0 <= guess[0] < guess[1] <= 40.0 and placements["R-2"]["confirmed"] is None
    # the speaker slowed down: the name is heard at 36 s, well after its share of the segment
    archive.media.confirm_transcript_range(ANN, key, "R-1", start=5.0, end=5.3)
    archive.media.confirm_transcript_range(ANN, key, "R-2", start=36.2, end=37.1)
    placements = {p["redaction"]: p for p in archive.media.placements(ANN, key)}
    assert placements["R-2"]["confirmed"]["start"] == 36.2 and placements["R-2"]["confirmed"]["by"] == "ann"
    publish(archive)
    public = heard(archive, PUBLIC, key)
    assert rms(public, 36.2, 37.1) < QUIET
    assert rms(public, 5.0, 5.3) < QUIET
    middle = (guess[0] + guess[1]) / 2
    assert rms(public, middle - 0.3, middle + 0.3) > LOUD           # the guess is not what is silenced
    assert rms(heard(archive, ARCHIVIST, key), 36.2, 37.1) > LOUD    # archivists may hear the name


def test_a_3_letter_and_a_12_letter_name_leave_silences_of_the_same_length(archive):
    key = setup(archive)
    # as an archivist marks them, by ear: the short name is said in a quarter second, the long in one
    archive.media.confirm_transcript_range(ANN, key, "R-1", start=10.3, end=10.55)
    archive.media.confirm_transcript_range(ANN, key, "R-2", start=29.1, end=30.1)
    publish(archive)
    runs = silent_runs(heard(archive, PUBLIC, key))
    assert len(runs) == 2, runs
    (a1, b1), (a2, b2) = runs
    assert a1 <= 10.3 and 10.55 <= b1 and a2 <= 29.1 and 30.1 <= b2
    assert abs((b1 - a1) - (b2 - a2)) < 0.1, runs
    assert b1 - a1 > audio.SILENCE_MINIMUM - 0.1


def test_a_drawn_range_is_snapped_to_the_grid_too(archive):
    key = setup(archive)
    archive.media.confirm_transcript_range(ANN, key, "R-1", start=10.0, end=10.5)
    archive.media.confirm_transcript_range(ANN, key, "R-2", start=30.0, end=31.0)
    archive.media.add_audio_redaction(ANN, key, start=15.2, end=15.5, category="place", visible_to="archivist")
    publish(archive)
    public = heard(archive, PUBLIC, key)
    assert rms(public, 14.1, 17.9) < QUIET and rms(public, 18.5, 19.5) > LOUD


# --- on the web ------------------------------------------------------------------------------------

LISTEN = "DEMO-2015-0001"       # published, open, publish_audio; four transcript redactions in timed segments


def fetch(reader, url: str, **kwargs):
    response = reader.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_on_the_web_the_recording_waits_for_the_archivist_who_places_each_redaction(app, signed_in):
    from tests.conftest import csrf_from, without_csrf
    archive = app.extensions["archive"]
    key = archive.media.add(SYSTEM, LISTEN, sine_wav(230), "interview.wav", kind="audio")["id"]
    for role in ("public", "researcher"):
        reader = signed_in(role)
        missing = fetch(reader, f"/media/{'0' * 64}/audio")
        for path in ("audio", "captions.vtt"):
            assert without_csrf(fetch(reader, f"/media/{key}/{path}")) == (404, without_csrf(missing)[1]), (role, path)
        assert key not in reader.get(f"/testimonies/{LISTEN}").get_data(as_text=True)
        assert key not in reader.get(f"/api/v1/testimonies/{LISTEN}").get_data(as_text=True)
    archivist = signed_in("archivist")
    assert fetch(archivist, f"/media/{key}/audio").status_code == 200
    # the timeline offers each redaction with its estimate as a starting point, none confirmed
    import lxml.html
    doc = lxml.html.fromstring(archivist.get(f"/staff/media/{key}").get_data(as_text=True))
    rows = doc.xpath("//table[@id='placement-table']/tbody/tr")
    assert [r.get("id") for r in rows] == [f"placement-DEMO-R-00{n}" for n in range(1, 5)]
    assert all("not confirmed" in r.text_content() for r in rows)
    buttons = doc.xpath("//button[@class='placement-use']")
    assert [b.get("data-redaction") for b in buttons] == [f"DEMO-R-00{n}" for n in range(1, 5)]
    assert {o.get("value") for o in doc.xpath("//select[@name='redaction']/option")} >= {"", "DEMO-R-001"}
    # the archivist confirms each where it is heard (here: the estimate, shifted by ear)
    for button in buttons:
        start, end = float(button.get("data-start")) + 0.2, float(button.get("data-end")) - 0.2
        response = archivist.post(f"/staff/media/{key}/ranges", data={
            "csrf_token": csrf_from(archivist, f"/staff/media/{key}"), "start": f"{start:.3f}",
            "end": f"{end:.3f}", "redaction": button.get("data-redaction"), "category": "person",
            "visible_to": "archivist"})
        assert response.status_code == 302 and response.headers["Location"].endswith("#placements")
    confirmed = {p["redaction"]: p["confirmed"] for p in archive.media.placements(SYSTEM, key)}
    assert all(c is not None and c["by"] == "archivist" for c in confirmed.values())
    assert confirmed["DEMO-R-002"]["start"] == pytest.approx(float(buttons[1].get("data-start")) + 0.2, abs=0.001)
    ranges = archive.media.asset(SYSTEM, key)["audio_redactions"]
    assert {r["redaction"]: r["visible_to"] for r in ranges} == {
        "DEMO-R-001": "archivist", "DEMO-R-002": "researcher", "DEMO-R-003": "archivist", "DEMO-R-004": "archivist"}
    public = fetch(app.test_client(), f"/media/{key}/audio")
    assert public.status_code == 200
    a, b = confirmed["DEMO-R-002"]["start"], confirmed["DEMO-R-002"]["end"]
    assert rms(samples(public.data), a, b) < QUIET
    assert rms(samples(fetch(signed_in("researcher"), f"/media/{key}/audio").data), a, b) > LOUD
    assert key in app.test_client().get(f"/testimonies/{LISTEN}").get_data(as_text=True)
