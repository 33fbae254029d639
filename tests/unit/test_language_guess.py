"""A file's language guessed from its text: real subtitles and transcripts in and out of the three."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.intake import parse
from archive.intake.language import guess

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


@pytest.mark.parametrize("path, expected", [
    ("elephantsdream_vtt/captions.ar.vtt", "ar"),
    ("elephantsdream_vtt/captions.en.vtt", "en"),
    ("ada_zangemann_srt/en.srt", "en"),
    ("wpa_slave_narratives/vol03_florida_narratives.txt", "en"),
    ("ada_zangemann_srt/sk.srt", None),            # Slovak: not one of the three, not guessed
    ("elephantsdream_vtt/captions.ru.vtt", None),
    ("elephantsdream_vtt/captions.ja.vtt", None),
])
def test_real_files_are_guessed_only_when_clear(path, expected):
    data = (REAL / path).read_bytes()
    assert guess(parse(data, Path(path).name).text) == expected


def test_french_and_what_is_too_short_or_mixed():
    french = ("Nous sommes partis de la ville au printemps. Mon père était malade et ma mère ne voulait pas "
              "laisser la maison, mais il fallait partir avant que les soldats ne reviennent dans le quartier.")
    assert guess(french) == "fr"
    assert guess("Raqqa, Aleppo, Gaziantep") is None              # names only
    assert guess("the " * 5) is None                              # too little text
    english = "We left the city in the spring and my father was ill, but we had to go before they came back. "
    assert guess(english * 2 + french * 2) is None                # half and half: the archivist chooses
