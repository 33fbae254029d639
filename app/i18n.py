"""The interface's language (English, Arabic, French): the reader's choice kept in a cookie by the
header's switch, else the browser's Accept-Language, else English. Testimonies keep their own language."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, format_date, format_decimal, get_locale

LANGUAGES = {"en": "English", "ar": "العربية", "fr": "Français"}
RIGHT_TO_LEFT = {"ar"}
COOKIE = "archive_language"
TRANSLATIONS = Path(__file__).parent / "translations"
_EDTF = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

babel = Babel()


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default="en")


def language() -> str:
    return str(get_locale() or "en")


def direction() -> str:
    return "rtl" if language() in RIGHT_TO_LEFT else "ltr"


def number(value) -> str:
    return format_decimal(value) if isinstance(value, (int, float)) else value


def edtf_date(value) -> str:
    """A year, month or day (EDTF's plain forms) in the reader's locale; anything else as written."""
    import datetime as dt
    match = _EDTF.match(str(value or ""))
    if not match:
        return value
    year, month, day = match.groups()
    if day:
        return format_date(dt.date(int(year), int(month), int(day)), "long")
    if month and 1 <= int(month) <= 12:
        return format_date(dt.date(int(year), int(month), 1), "MMMM y")
    return year


def language_label(code) -> str:
    """A language's name in the reader's language (Babel's CLDR names): French is "arabe" for ar."""
    try:
        return Locale.parse(code).get_language_name(language()) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def compile_catalogues(folder: Path = TRANSLATIONS) -> None:
    """Compile each .po whose .mo is missing or older: a fresh clone ignores the .mo files (.gitignore)."""
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parts[-3])
        # Written aside and renamed: test workers start apps at once and must never read half a file.
        handle, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalogue)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo)


def init_app(app: Flask) -> None:
    try:
        compile_catalogues()
    except OSError as error:     # a read-only install whose .mo files were built beforehand
        app.logger.warning("Message catalogues not compiled: %s", error)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["edtf_date"] = edtf_date
    app.jinja_env.filters["language_label"] = language_label

    @app.context_processor
    def inject():
        return {"interface_language": language(), "interface_direction": direction(),
                "interface_languages": LANGUAGES}
