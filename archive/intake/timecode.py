"""Clock times as transcribers write them: `[hh:mm:ss]`, `[mm:ss]`, `[hh:mm:ss.ms]`, `0:28:06`."""
from __future__ import annotations

import re

# Square brackets only: "[00:12:05]" is a mark, "at 7:00 p.m." in running text is not.
MARK = re.compile(r"\[(?P<clock>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\]")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")


def clock_seconds(clock: str) -> float:
    """Seconds for "hh:mm:ss[.ms]" or "mm:ss[.ms]"; ValueError when a field is out of range."""
    m = _CLOCK.match(clock.strip())
    if not m:
        raise ValueError(f"not a clock time: {clock!r}")
    hours, minutes, seconds, fraction = m.groups()
    if hours is not None and int(minutes) >= 60 or int(seconds) >= 60:
        raise ValueError(f"minutes and seconds must be under 60: {clock!r}")
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def format_clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
