"""suggest_identifiers: what looks like an identifier is suggested, the numbers of ordinary speech are not."""
import pytest

from archive.scanning import suggest_identifiers


@pytest.mark.parametrize("text,kind,found", [
    ("Call me on +963 944 123 456 tomorrow.", "phone", "+963 944 123 456"),
    ("the number was 00963-11-2234567, he said", "phone", "00963-11-2234567"),
    ("رقمي ٠٩٤٤ ١٢٣ ٤٥٦ فقط", "phone", "٠٩٤٤ ١٢٣ ٤٥٦"),
    ("رقمي +٩٦٣ ٩٤٤ ١٢٣ ٤٥٦، اتصل", "phone", "+٩٦٣ ٩٤٤ ١٢٣ ٤٥٦"),
    ("home 011-223-4567.", "phone", "011-223-4567"),
    ("mobile 0944123456", "phone", "0944123456"),
    ("call +00 0000 9101, and", "phone", "+00 0000 9101"),
    ("write to omar.k@example.org.", "email", "omar.k@example.org"),
    ("or to خالد@example.com", "email", "خالد@example.com"),
    ("his account @DEMO_handle_04، then", "handle", "@DEMO_handle_04"),
    ("we hid at 36.5, 38.0 for days", "coordinates", "36.5, 38.0"),
    ("at 36.5N 38.0E", "coordinates", "36.5N 38.0E"),
    ("at 36.5° N, 38.0° E", "coordinates", "36.5° N, 38.0° E"),
    ("near 36°30'N 38°00'E.", "coordinates", "36°30'N 38°00'E"),
    ("near 36°30'N", "coordinates", "36°30'N"),
    ("at 35°57′12″N, 39°01′E", "coordinates", "35°57′12″N, 39°01′E"),
    ("passport N1234567 was", "id_number", "N1234567"),
    ("Passport no. AB1234567", "id_number", "AB1234567"),
    ("ID number 01234567890", "id_number", "01234567890"),
    ("رقم الهوية ٠١٢٣٤٥٦٧٨٩٠", "id_number", "٠١٢٣٤٥٦٧٨٩٠"),
    ("a car AB 123 CD left", "vehicle_plate", "AB 123 CD"),
    ("a car AB-123-CD left", "vehicle_plate", "AB-123-CD"),
    ("the truck 12-34567 waited", "vehicle_plate", "12-34567"),
    ("a van with plate number DEMO-4471 for two years", "vehicle_plate", "DEMO-4471"),
    ("I was born on 12 March 1985 in", "date_of_birth", "12 March 1985"),
    ("born on March 12, 1985", "date_of_birth", "March 12, 1985"),
    ("DOB 1985-03-12", "date_of_birth", "1985-03-12"),
    ("DOB: 12/03/1985", "date_of_birth", "12/03/1985"),
    ("born 3/12/1985", "date_of_birth", "3/12/1985"),
    ("date of birth 1st of May 1990", "date_of_birth", "1st of May 1990"),
    ("je suis né le 3 mars 1985 à Mossoul", "date_of_birth", "3 mars 1985"),
    ("وُلد في ١٢ آذار ١٩٨٥ في الرقة", "date_of_birth", "١٢ آذار ١٩٨٥"),
])
def test_identifiers_are_suggested_with_exact_offsets(text, kind, found):
    (suggestion,) = suggest_identifiers(text)
    assert (suggestion.kind, suggestion.text) == (kind, found)
    assert text[suggestion.start:suggestion.end] == found
    assert suggestion.start == text.index(found)


@pytest.mark.parametrize("text", [
    "in 1985", "from 2014-2016", "in 2014–2016", "the summer of 2015", "at 00:12:30 he said", "[00:01:02.500]",
    "[01:02:03]", "ARC-2019-004", "DEMO-2015-0001", "accession ARC-2019-004 in box 12",
    "born in 1985", "born in March 1985", "I was born in Raqqa", "on 12 March 1985 we left",
    "interviewed 2015-06-02", "52 people in a boat", "3.5 km", "version 2.0, 3.1 and 4.2", "1,500,000 lira",
    "ISO9001", "COVID19", "B1944", "WW2", "page 12-13", "at 10.30 am", "call at 09:30", "room 101, floor 3",
    "ISBN 978-3-16-148410-0", "he broke a plate 2 years ago", "no ID. In 2015 we left", "in 36 hours, 38 people",
    "في عام ٢٠١٥", "Email him about it", "@ the checkpoint", "age 34, weight 70.5", "03-12-1985",
])
def test_ordinary_numbers_are_not_suggested(text):
    assert suggest_identifiers(text) == []


def test_suggestions_are_ordered_and_never_overlap():
    text = ("Born on 1 May 1980, passport N1234567, phone +963 944 123 456, mail a@b.org, "
            "hiding at 36.5N 38.0E in 2015 (00:12:30).")
    found = suggest_identifiers(text)
    assert [s.kind for s in found] == ["date_of_birth", "id_number", "phone", "email", "coordinates"]
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))
    assert all(text[s.start:s.end] == s.text for s in found)
