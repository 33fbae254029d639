"""Audio redaction (archive/media/audio.py) and captions (archive/media/captions.py): ranges placed in
time, silenced or toned sample by sample by ffmpeg, measured back from the derivative's samples."""
from __future__ import annotations

import pytest

from archive.errors import ValidationError
from archive.media.audio import (FOREVER, TONE_LEVEL, AudioLimits, AudioToolError, TimedSegment, audio_filter,
                                 conceal, fingerprint, merge, probe_duration, redact, span_ranges)
from archive.media.captions import webvtt_for
from tests.audio_samples import SINE_RMS, rms, samples, sine_wav

QUIET = 60            # RMS of what counts as silence (of 32767; the sine's is about 7071)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "sine.wav"
    path.write_bytes(sine_wav(12))
    return path


def test_merge_sorts_joins_and_widens_to_whole_milliseconds():
    assert merge([(5, 6), (1.0004, 2.0001), (1.5, 3), (-2, 0.5), (7, 7)]) == \
        ((0.0, 0.5), (1.0, 3.0), (5.0, 6.0))
    assert merge([(2.0005, 2.0015)]) == ((2.0, 2.002),)


def test_a_span_is_placed_in_time_by_its_share_of_the_segment_text_and_widened():
    # 100 code points over 10..30 s: code points 50..60 are heard around 20..22 s
    segments = [TimedSegment(0, 100, 10.0, 30.0), TimedSegment(100, 200, 30.0, 50.0)]
    assert span_ranges(50, 60, segments) == [(19.5, 22.5)]
    # across two segments: a range in each
    assert span_ranges(90, 110, segments) == [(27.5, 30.5), (29.5, 32.5)]
    # a segment with no end runs to the next start, the last one to the recording's end
    open_ended = [TimedSegment(0, 100, 0.0, None), TimedSegment(100, 200, 40.0, None)]
    assert span_ranges(50, 50 + 10, open_ended) == [(19.5, 24.5)]
    assert span_ranges(150, 160, open_ended, duration=60.0) == [(49.5, 52.5)]


def test_a_span_nobody_can_place_silences_the_whole_recording():
    untimed = [TimedSegment(0, 100, None, None)]
    assert span_ranges(10, 20, untimed) == [(0.0, FOREVER)]
    assert span_ranges(10, 20, []) == [(0.0, FOREVER)]
    gap = [TimedSegment(0, 50, 0.0, 10.0), TimedSegment(60, 100, 12.0, 20.0)]
    assert span_ranges(45, 65, gap) == [(0.0, FOREVER)]        # code points 50..60 belong to no segment


def test_conceal_widens_every_range_to_the_grid_and_at_least_the_minimum():
    assert conceal([(10.3, 10.55)]) == ((10.0, 14.0),)            # a short name: 4 s, growing after it
    assert conceal([(10.3, 11.8)]) == ((10.0, 14.0),)             # a long one: the same 4 s
    assert conceal([(11.9, 12.1)]) == ((10.0, 14.0),)             # across a step: still 4 s
    assert conceal([(0.1, 0.2)]) == ((0.0, 4.0),)                 # never before the start
    assert conceal([(10.0, 16.3)]) == ((8.0, 18.0),)              # a passage: its length to 2 s
    assert conceal([(5.0, FOREVER)]) == ((4.0, FOREVER),)         # "to the end" stays to the end
    assert conceal([(10.3, 10.5), (13.0, 13.2)]) == ((10.0, 16.0),)   # overlapping silences merge on the grid
    assert conceal([]) == () and conceal([(3.0, 3.0)]) == ()


def test_the_fingerprint_names_what_is_hidden_and_how():
    assert fingerprint([(1, 2)], "silence") == fingerprint([(1.0, 2.0)], "silence")
    assert fingerprint([(1, 2)], "silence") != fingerprint([(1, 2.5)], "silence")
    assert fingerprint([(1, 2)], "silence") != fingerprint([(1, 2)], "tone")
    assert fingerprint([], "silence").startswith("audio-")
    with pytest.raises(ValidationError, match="unknown audio redaction mode 'bleep'"):
        audio_filter([(1, 2)], "bleep")


def test_silenced_ranges_are_silent_and_the_rest_is_unchanged(recording):
    ranges = [(2.0, 3.5), (3.0, 4.25), (8.0, 8.6)]
    original = samples(recording.read_bytes())
    derivative = redact(recording, ranges, "silence")
    assert derivative.startswith(b"OggS")
    heard = samples(derivative)
    assert abs(len(heard) - len(original)) < 0.05 * len(original)
    for a, b in merge(ranges):
        assert rms(heard, a, b) < QUIET, (a, b)
    for a, b in [(0.2, 1.95), (4.3, 7.95), (8.65, 11.8)]:
        assert abs(rms(heard, a, b) - rms(original, a, b)) < 0.05 * SINE_RMS, (a, b)
    assert abs(rms(original, 0.2, 11.8) - SINE_RMS) < 0.02 * SINE_RMS      # the measure measures


def test_a_tone_covers_the_ranges_instead_when_asked(recording):
    heard = samples(redact(recording, [(5.0, 6.0)], "tone"))
    tone_rms = TONE_LEVEL * 32767 / 2 ** 0.5
    assert abs(rms(heard, 5.0, 6.0) - tone_rms) < 0.1 * tone_rms
    assert abs(rms(heard, 1.0, 4.9) - SINE_RMS) < 0.05 * SINE_RMS


def test_the_derivative_carries_no_metadata_of_the_original(tmp_path):
    data = bytearray(sine_wav(2))
    # a LIST/INFO chunk naming the narrator, appended as a recorder would write it
    info = b"INFO" + b"INAM" + (18).to_bytes(4, "little") + b"CNRYWAVNARRATOR\0\0\0"
    data += b"LIST" + len(info).to_bytes(4, "little") + info
    data[4:8] = (len(data) - 8).to_bytes(4, "little")
    path = tmp_path / "tagged.wav"
    path.write_bytes(bytes(data))
    assert b"CNRYWAVNARRATOR" in path.read_bytes()
    assert b"CNRYWAVNARRATOR" not in redact(path, [], "silence")


def test_ffmpeg_failures_say_what_went_wrong(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20))
    with pytest.raises(AudioToolError, match="ffmpeg could not make the redacted recording"):
        redact(broken, [], "silence")
    long = tmp_path / "long.wav"
    long.write_bytes(sine_wav(30))
    with pytest.raises(AudioToolError, match="longer than 0 s"):
        redact(long, [], "silence", AudioLimits(wall_seconds=0.01))
    assert probe_duration(long) == pytest.approx(30.0)


def test_captions_are_laid_out_from_a_view_and_escaped():
    view = {"segments": [
        {"start": 0.0, "end": 4.5, "text": "Sami: My cousin [name withheld] drove us."},
        {"start": None, "end": None, "text": "untimed"},
        {"start": 4.5, "end": None, "text": "A <b>bold</b> & --> claim\n\n\nnext line"},
        {"start": 65.25, "end": None, "text": "last"},
    ]}
    text = webvtt_for(view, duration=70.0)
    assert text.startswith("WEBVTT\n")
    assert "00:00:00.000 --> 00:00:04.500\nSami: My cousin [name withheld] drove us.\n" in text
    assert "00:00:04.500 --> 00:01:05.250\nA &lt;b&gt;bold&lt;/b&gt; &amp; --&gt; claim\nnext line\n" in text
    assert "00:01:05.250 --> 00:01:10.000\nlast" in text
    assert "untimed" not in text
