"""WebVTT and SRT: cue text, voices, segments of about a minute, chapters, and broken timings."""
from __future__ import annotations

import pytest

from archive.errors import ValidationError
from archive.intake import parse
from tests.unit.test_intake_realdata import REALDATA, SCIHIST, assert_tiles

ED = REALDATA / "elephantsdream_vtt"
ADA = REALDATA / "ada_zangemann_srt"


def read(path, **kw):
    return parse(path.read_bytes(), path.name, **kw)


def test_simple_vtt_cues():
    p = read(SCIHIST / "webvtt" / "simple.vtt")
    assert len(p.cues) == 5
    assert (p.cues[0].start, p.cues[0].end) == (0.0, 0.9)
    assert p.text.split("\n")[0] == "Hildy!"
    assert p.text[p.cues[2].text_start:p.cues[2].text_end] == "Tell me, is the lord of the universe in?"
    assert [(s.start, s.end) for s in p.segments] == [(0.0, 6.0)]
    assert p.turns == [] and all(c.speaker is None for c in p.cues)


def test_elephants_dream_english_minute_segments():
    p = read(ED / "captions.en.vtt")
    assert len(p.cues) == 78 and p.cues[0].start == 15.0 and p.cues[0].end == 17.951
    # a two-line caption is one line of transcript
    assert "\nEverything is safe. Perfectly safe.\n" in p.text
    assert len(p.segments) == 8
    starts = [s.start for s in p.segments]
    assert starts == sorted(starts)
    for seg in p.segments:
        inside = [c for c in p.cues if seg.text_start <= c.text_start < seg.text_end]
        assert inside and inside[0].start == seg.start
        assert all(c.start - seg.start < 60 for c in inside)


def test_arabic_captions_keep_their_text_and_take_the_given_language():
    p = read(ED / "captions.ar.vtt", language="ar")
    assert p.language == "ar" and len(p.cues) == 77
    assert p.cues[0].start == 15.042
    assert p.text.startswith("...إلى... إلى الشمال يمكن أن نرى ...يمكن أن نرى الـ\n")
    assert "! حذاري" in p.text       # logical-order punctuation kept as typed


def test_chapters_track_gives_titled_segments():
    p = read(ED / "captions.en.vtt", chapters=(ED / "chapters.en.vtt").read_bytes())
    assert [s.title for s in p.segments] == [
        "Prologue", "Switchboard trap", "Telephone/Lecture", "Typewriter",
        "Proog shows Emo stuff", "Which way", "Emo flips out", "Emo creates", "Closing credits"]
    assert (p.segments[1].start, p.segments[1].end) == (27.5, 70.0)
    assert p.text[p.segments[1].text_start:].startswith("Watch out!")
    assert p.segments[-1].text_start == p.segments[-1].text_end == len(p.text)   # no captions
    assert_tiles(p)


def test_descriptions_with_crlf_and_header_metadata():
    p = read(ED / "descriptions.en.vtt")
    assert p.metadata["header"] == {"license": "CC BY 4.0 http://creativecommons.org/licenses/by/4.0/",
                                    "author": "Silvia Pfeiffer"}
    assert p.text.startswith("The orange open movie project presents\n")
    assert len(p.cues) == 63


def test_srt_english():
    p = read(ADA / "en.srt")
    assert p.format == "srt" and len(p.cues) == 670
    assert (p.cues[0].start, p.cues[0].end) == (0.96, 10.12)
    assert p.text.startswith("Ada and Zangemann: a tale of software, skateboards, and raspberry ice cream.\n")
    assert "’" in p.text or "“" in p.text           # curly quotes survive
    # a real quirk of the file: one cue starts before the cue above it
    assert p.warnings == ["line 1466: cue starts at 00:21:58, before the cue above it (00:22:01)"]
    assert len(p.segments) == 31


def test_srt_slovak():
    p = read(ADA / "sk.srt", language="sk")
    assert p.language == "sk" and len(p.cues) == 401 and p.cues[0].start == 1.533


VOICED = """WEBVTT
Language: ar

NOTE recorded in 2019

00:00:01.000 --> 00:00:04.000
<v Interviewer>Where did you cross?</v>

00:00:04.500 --> 00:00:09.000
<v.narrator Omar>Near <i>the river</i> &amp; the mill.

00:00:09.000 --> 00:00:12.000
We waited two nights.

00:00:12.000 --> 00:00:14.000
<v Interviewer>Who helped you?</v> <v Omar>A smuggler.</v>
"""


def test_voices_become_speakers_and_turns():
    p = parse(VOICED.encode(), "voiced.vtt")
    assert p.language == "ar"          # from the WebVTT header when not given
    assert p.text == ("Interviewer: Where did you cross?\n\n"
                      "Omar: Near the river & the mill.\n"
                      "We waited two nights.\n\n"
                      "Interviewer: Who helped you?\n\n"
                      "Omar: A smuggler.")
    assert [c.speaker for c in p.cues] == ["Interviewer", "Omar", "Omar", "Interviewer", "Omar"]
    assert [p.text[t.text_start:t.text_end] for t in p.turns][1] == \
        "Omar: Near the river & the mill.\nWe waited two nights."
    assert p.metadata["speakers"] == ["Interviewer", "Omar"]
    assert p.metadata["notes"] == ["recorded in 2019"]
    assert_tiles(p)


def _refused(data: str, name: str) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        parse(data.encode(), name)
    assert err.value.file == name
    return err.value


def test_vtt_bad_timestamp_names_the_line():
    err = _refused("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n"
                   "00:00:03.000 --> 00:00:0x.000\nbroken\n", "bad.vtt")
    assert err.record == "line 6" and "bad cue timing '00:00:03.000 --> 00:00:0x.000'" in err.message


def test_vtt_out_of_range_timestamp_names_the_line():
    err = _refused("WEBVTT\n\n00:61:01.000 --> 01:02:00.000\nbroken\n", "range.vtt")
    assert err.record == "line 3" and "under 60" in err.message


def test_srt_missing_arrow_names_the_line():
    err = _refused("1\n00:00:01,000 --> 00:00:02,000\nOne\n\n2\n00:00:03,000 00:00:04,000\nTwo\n",
                   "arrow.srt")
    assert err.record == "line 6" and "has no '-->'" in err.message


def test_srt_with_vtt_style_arrow_but_bad_time_names_the_line():
    err = _refused("1\n00:00:01,000 --> 00:00:02,000\nOne\n\n2\n00:00:03 --> 00:00:04,000\nTwo\n",
                   "short.srt")
    assert err.record == "line 6" and "hh:mm:ss,ttt --> hh:mm:ss,ttt" in err.message


def test_chapters_file_errors_name_the_chapters_track():
    with pytest.raises(ValidationError) as err:
        parse((ED / "captions.en.vtt").read_bytes(), "captions.en.vtt",
              chapters=b"WEBVTT\n\n1\n00:00:00.000 -> 00:00:27.500\nPrologue\n")
    assert err.value.file == "captions.en.vtt (chapters)" and err.value.record == "line 4"
