"""Chicago (18th edition, notes and bibliography: the bibliography entry) and APA (7th edition) citations
rendered by citeproc-py from the official CSL styles in archive/citation_styles/, from the audience view:
the strings a reader gets for a demo testimony, a segment of it, and the interview dates as the model
has them (EDTF: a month, a day, uncertain, approximate, an interval)."""
from __future__ import annotations

import datetime as dt

import pytest

from archive.citation import cite

DEMO = "DEMO-2015-0001"
SEGMENT = "en-2"
CHICAGO = ("Yusuf. “A Mathematics Teacher Leaves Raqqa.” Interview by Demo Interviewer A. Leaving Raqqa, 2014-2016, "
           "June 2015. Oral history interview. DEMO-2015-0001. Testimony Archive. "
           "http://localhost/testimonies/DEMO-2015-0001.")
APA = ("Yusuf. (2015, June). A mathematics teacher leaves Raqqa (Demo Interviewer A, interviewer) [Oral history "
       "interview]. Leaving Raqqa, 2014-2016. Testimony Archive (DEMO-2015-0001). "
       "http://localhost/testimonies/DEMO-2015-0001")
SEGMENT_CHICAGO = CHICAGO[:-1] + "#seg-en-2." + " Segment at 0:01:40, “Arranging the escape.”"
URL = f"http://localhost/testimonies/{DEMO}"


def test_a_demo_testimony_in_chicago_and_apa(client):
    chicago = client.get(f"/testimonies/{DEMO}/cite", query_string={"style": "chicago", "download": "1"})
    apa = client.get(f"/testimonies/{DEMO}/cite", query_string={"style": "apa", "download": "1"})
    assert chicago.get_data(as_text=True) == CHICAGO
    assert apa.get_data(as_text=True) == APA


def test_a_segment_is_cited_at_its_timecode_after_the_entry(client):
    text = client.get(f"/testimonies/{DEMO}/cite", query_string={"style": "chicago", "segment": SEGMENT,
                                                               "download": "1"}).get_data(as_text=True)
    assert text == SEGMENT_CHICAGO


VIEW = {"accession_id": "T-1", "title": "A road at night", "collection": {"title": "Crossings"},
        "narrators": [{"public_name": "Narrator A"}], "interviewers": ["Interviewer B"], "languages": ["en"],
        "transcripts": []}


@pytest.mark.parametrize(("date", "chicago", "apa"), [
    ("2015-06", "June 2015.", "(2015, June)"),
    ("2015-06-02", "June 2, 2015.", "(2015, June 2)"),
    ("2015", "2015.", "(2015)"),
    ("2015-06?", "[June 2015?].", "(ca. 2015, June)"),
    ("2015~", "[2015?].", "(ca. 2015)"),
    ("2014/2015", "2014–2015.", "(2014–2015)"),
    ("201X", "2010–2019.", "(2010–2019)"),
    (None, "n.d.", "(n.d.)"),
])
def test_interview_dates_as_the_model_has_them(date, chicago, apa):
    view = {**VIEW, "interview_date": date}
    when = dict(repository="Archive", accessed=dt.date(2026, 1, 2))
    assert f"Crossings, {chicago} Oral history interview." in cite(view, "chicago", URL, **when)
    assert f"Narrator A. {apa}." in cite(view, "apa", URL, **when)
