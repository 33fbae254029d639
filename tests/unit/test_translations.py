"""Pairing a translation's segments with its original's (archive/translations.py): by time where both
are timed, by position where not, and where the counterpart of a redaction must be."""
from __future__ import annotations

from types import SimpleNamespace as ns

from archive.translations import Part, counterparts, gaps, pairs, reading


def timed(*ranges) -> list[Part]:
    return [Part(i, a, b, i * 10, i * 10 + 10) for i, (a, b) in enumerate(ranges)]


def untimed(n: int) -> list[Part]:
    return [Part(i, None, None, i * 10, i * 10 + 10) for i in range(n)]


def test_timed_segments_pair_by_overlap_one_to_many_and_many_to_one():
    original = timed((0, 10), (10, 20), (20, 30))
    assert pairs(original, timed((0, 15), (15, 30))) == [[0, 1], [1, 2]]
    assert pairs(original, timed((0, 5), (5, 10), (10, 30))) == [[0], [0], [1, 2]]
    # an open end runs to the next start; past the original's end: its last segment
    assert pairs(original, timed((0, None), (20, None), (40, 50))) == [[0, 1], [2], [2]]


def test_untimed_segments_pair_by_position_the_longer_sides_rest_with_the_last():
    assert pairs(untimed(3), untimed(3)) == [[0], [1], [2]]
    assert pairs(untimed(4), untimed(2)) == [[0], [1, 2, 3]]
    assert pairs(untimed(2), untimed(3)) == [[0], [1], [1]]
    assert pairs(timed((0, 10), (10, 20)), untimed(2)) == [[0], [1]]      # one side untimed: by position
    assert counterparts(untimed(2), untimed(3)) == {0: [0], 1: [1, 2]}


def _transcript(id_, key, segments):
    return ns(id=id_, key=key, text="x" * 40, segments=[ns(start=p.start, end=p.end, text_start=p.lo, text_end=p.hi)
                                                          for p in segments])


def _redaction(key, transcript_id, start, end, visible_to="archivist"):
    return ns(key=key, transcript_id=transcript_id, start=start, end=end, visible_to=visible_to, text=None)


def test_a_counterpart_must_be_in_a_paired_segment_hide_as_much_and_count_once():
    original = _transcript(1, "en", timed((0, 10), (10, 20)))
    translation = _transcript(2, "fr", timed((0, 10), (10, 20)))
    theirs = [_redaction("R-1", 1, 12, 15), _redaction("R-2", 1, 16, 18)]
    [first, second] = gaps(original, translation, theirs)
    assert "redaction R-1 of en (characters 12..15, segment 1)" in first and "its segment 1" in first
    assert "redaction R-2" in second
    one = [_redaction("C-1", 2, 11, 13)]
    assert len(gaps(original, translation, theirs + one)) == 1                  # one counterpart, two names
    assert gaps(original, translation, theirs + one + [_redaction("C-2", 2, 14, 16)]) == []
    assert len(gaps(original, translation, theirs + [_redaction("C-1", 2, 2, 4), _redaction("C-2", 2, 5, 6)])) == 2
    weaker = [_redaction("C-1", 2, 11, 13, "researcher"), _redaction("C-2", 2, 14, 16)]
    assert len(gaps(original, translation, theirs + weaker)) == 1               # hides from fewer
    assert gaps(original, translation, [_redaction("R-3", 1, 2, 4, "public")]) == []   # hides from no one


def test_the_reader_gets_rows_of_paired_segments():
    en = {"key": "en", "segments": [{"seq": 0}, {"seq": 1}, {"seq": 2}]}
    fr = {"key": "fr", "translation_of": "en", "segments": [{"seq": 0, "pairs": [0, 1]}, {"seq": 1, "pairs": [2]}]}
    [block] = reading([en, fr])
    assert [([s["seq"] for s in r["original"]], [[s["seq"] for s in t] for t in r["translations"]])
            for r in block["rows"]] == [([0, 1], [[0]]), ([2], [[1]])]
    assert [b["original"]["key"] for b in reading([en])] == ["en"]


def _pairs_by_hand(original: list[Part], translation: list[Part]) -> list[list[int]]:
    """The pairing rule read literally (every original segment tried): what the bisection must equal."""
    from archive.translations import _ranges
    o_ranges = _ranges(original)
    out = []
    for t0, t1 in _ranges(translation):
        hit = [i for i, (o0, o1) in enumerate(o_ranges) if (o0 < t1 and t0 < o1) or o0 == t0]
        before = [i for i, (o0, _) in enumerate(o_ranges) if o0 <= t0]
        out.append(hit or [before[-1] if before else 0])
    return out


def test_the_bisection_pairs_and_places_as_the_rule_read_literally_does():
    import random
    from archive.translations import _holding, _starts
    rng = random.Random(14)
    for _ in range(3000):
        def made(n):
            at, out = 0, []
            for i in range(n):      # equal starts, instants, open ends and overlaps, as files have them
                at += rng.choice([0, 1, 2, 5])
                out.append(Part(i, float(at), rng.choice([None, at + rng.choice([0, 1, 3, 8])]), i * 3, i * 3 + 3))
            return out
        original, translation = made(rng.randint(1, 8)), made(rng.randint(1, 8))
        assert pairs(original, translation) == _pairs_by_hand(original, translation), (original, translation)
        lo = rng.randint(0, len(original) * 3 - 1)
        hi = rng.randint(lo + 1, len(original) * 3)
        assert _holding(original, lo, hi, _starts(original)) == _holding(original, lo, hi)
