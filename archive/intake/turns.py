"""Speaker turns written as `NAME: words` at the start of a line, and the front-matter labels
(INTERVIEWEE:, DATE:, ...) that look like turns but describe the interview."""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from .result import Turn

# A name of up to four words before a colon at line start; whether it is a speaker is decided in
# `speaker_of`, because "upper case" has to be judged with str.isupper (any script with case).
_LABEL = re.compile(r"^[ \t]*(?P<name>[^\W\d_][\w.'’\-]*(?: [\w.'’\-]+){0,3})[ \t]*:(?=[ \t]|$)")

# Front-matter labels in SHI and similar transcripts -> metadata keys (lists for people).
HEADER_LABELS = {
    "INTERVIEWEE": "interviewees", "INTERVIEWEES": "interviewees", "NARRATOR": "interviewees",
    "INTERVIEWER": "interviewers", "INTERVIEWERS": "interviewers",
    "DATE": "date", "LOCATION": "location", "PLACE": "location", "TRANSCRIBER": "transcribers",
}


def label_of(line: str) -> tuple[str, int] | None:
    """(NAME, offset just after "NAME:") when the line opens with an upper-case label."""
    m = _LABEL.match(line)
    if not m:
        return None
    name = m.group("name").strip()
    # isupper() needs at least one cased letter and no lower-case one: "Q", "JONES", "DR. ROE".
    if not name.isupper():
        return None
    return name, m.end()


def find_turns(text: str) -> tuple[list[Turn], dict[str, object]]:
    """Speaker turns in the text, and the front-matter fields found before the first turn."""
    turns: list[Turn] = []
    header: dict[str, object] = {}
    pending: str | None = None      # header key whose value may continue on the next lines
    offset = 0
    last_words_end = 0              # a turn ends where its words end, not after blank lines
    for line in text.split("\n"):
        found = label_of(line)
        if found and found[0] in HEADER_LABELS and not turns:
            key = HEADER_LABELS[found[0]]
            value = line[found[1]:].strip()
            if key in ("date", "location"):
                header.setdefault(key, value)
                pending = None
            else:
                header.setdefault(key, [])
                if value:
                    header[key].append(value)  # type: ignore[union-attr]
                pending = key
        elif found and found[0] not in HEADER_LABELS:
            if turns:
                turns[-1].text_end = last_words_end
            turns.append(Turn(found[0], offset + len(line) - len(line.lstrip()), len(text)))
            pending = None
        elif pending and line.strip() and not turns:
            header[pending].append(line.strip())  # type: ignore[union-attr]
        else:
            pending = None
        if line.strip():
            last_words_end = offset + len(line.rstrip())
        offset += len(line) + 1
    return turns, header


def speaker_lookup(turns: list[Turn]) -> Callable[[int], str | None]:
    """offset -> who is speaking there (None outside any turn); turns are in text order."""
    starts = [t.text_start for t in turns]

    def speaker_at(offset: int) -> str | None:
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0 or offset > turns[i].text_end:
            return None
        return turns[i].speaker
    return speaker_at


def speakers(turns: list[Turn]) -> list[str]:
    return list(dict.fromkeys(t.speaker for t in turns))
