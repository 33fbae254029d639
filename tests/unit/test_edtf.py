"""EDTF interview dates (levels 0 and 1): what is accepted, what is refused, and the years a date spans."""
from __future__ import annotations

import pytest

from archive import edtf

VALID = {
    # text: (first_year, last_year, uncertain)
    "2015": (2015, 2015, False),
    "2015-06": (2015, 2015, False),
    "2015-06-02": (2015, 2015, False),
    "2016-02-29": (2016, 2016, False),
    "2015?": (2015, 2015, True),
    "2015~": (2015, 2015, True),
    "2015-06%": (2015, 2015, True),
    "2014/2015": (2014, 2015, False),
    "2014-11/2015-02": (2014, 2015, False),
    "2014?/2015": (2014, 2015, True),
    "../2015": (None, 2015, False),
    "/2015": (None, 2015, False),
    "2015/..": (2015, None, False),
    "2015/": (2015, None, False),
    "19XX": (1900, 1999, False),
    "201X": (2010, 2019, False),
    "2015-XX": (2015, 2015, False),
    "2015-06-XX": (2015, 2015, False),
    "2015-21": (2015, 2015, False),          # spring 2015 (a season)
    "2015-24": (2015, 2015, False),          # winter
    " 2015-06 ": (2015, 2015, False),        # surrounding spaces are forgiven
}

INVALID = [
    "", "   ", "June 2015", "2015-13", "2015-00", "2015-6", "15", "20150", "2015-06-31",
    "2015-02-29", "2015-06-00", "2015-21-01", "2016/2015", "../..", "/", "2015-06-02T10:00",
    "2015??", "circa 2015", "2015/2016/2017", "2015-25", "XXXX-06",
]


@pytest.mark.parametrize("text", sorted(VALID))
def test_valid_dates_parse_to_their_years(text):
    parsed = edtf.parse(text)
    assert (parsed.first_year, parsed.last_year, parsed.uncertain) == VALID[text]
    assert parsed.text == text.strip()


@pytest.mark.parametrize("text", INVALID)
def test_invalid_dates_are_refused_with_a_message(text):
    with pytest.raises(edtf.EdtfError) as info:
        edtf.parse(text)
    assert str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_error_names_the_bad_part():
    with pytest.raises(edtf.EdtfError, match="month 13"):
        edtf.parse("2015-13")
    with pytest.raises(edtf.EdtfError, match="ends before it starts"):
        edtf.parse("2016/2015")
    with pytest.raises(edtf.EdtfError, match="June 2015"):
        edtf.parse("June 2015")


@pytest.mark.parametrize("text,year", [
    ("2015-06", 2015), ("2015?", 2015), ("2014/2015", 2014), ("19XX", 1900), ("201X", 2010),
    ("../2015", None), ("2015/..", 2015), ("-0044", -44), ("2015-21", 2015),
])
def test_first_year(text, year):
    assert edtf.first_year(text) == year


@pytest.mark.parametrize("text", [None, "", "June 2015", "2015-13", "2016/2015"])
def test_first_year_of_nothing_or_nonsense_is_none(text):
    assert edtf.first_year(text) is None
