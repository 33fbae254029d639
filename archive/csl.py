"""Chicago and APA citations rendered by a CSL processor (citeproc-py) from the official CSL styles kept in
archive/citation_styles/, given the CSL-JSON item that archive/citation.py builds from an audience view.

citeproc-py 0.11.1 leaves two parts of CSL 1.0.2 out, and the official styles rely on both; they are made
good here rather than by editing the styles:
- cs:label renders its term even when the item has no such variable ("Edition." in every Chicago entry);
  the specification renders a label only beside a non-empty variable.
- the locale's punctuation-in-quote (true for en-US) is not applied, so a Chicago title ends “…”. instead
  of “….” as the Chicago Manual asks.
"""
from __future__ import annotations

import functools
import json
import re
import threading
from pathlib import Path

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter, model
from citeproc.source.json import CiteProcJSON

STYLE_DIR = Path(__file__).resolve().parent / "citation_styles"
STYLE_FILES = {"chicago": "chicago-notes-bibliography.csl", "apa": "apa.csl"}
LOCALE = "en-US"

_original_label_process = model.Label.process


def _label_process(self, item, variable=None, plural=None, context=None, **kwargs):
    name = variable if variable is not None else self.get("variable")
    if name and name != "locator" and not name.startswith("number-of"):
        try:
            value = item.reference[name.replace("-", "_")]
        except Exception:           # citeproc's VariableError, or an unknown variable name
            value = None
        if value in (None, ""):
            return None
    return _original_label_process(self, item, variable=variable, plural=plural, context=context, **kwargs)


if getattr(model.Label.process, "__module__", None) != __name__:
    model.Label.process = _label_process

_lock = threading.Lock()       # citeproc's style objects keep per-rendering state: one rendering at a time


@functools.cache
def _style(style: str) -> CitationStylesStyle:
    return CitationStylesStyle(str(STYLE_DIR / STYLE_FILES[style]), locale=LOCALE, validate=False)


def _punctuation_in_quote(text: str) -> str:
    return re.sub(r"”([.,])", r"\1”", text)


def render(item: dict, style: str) -> str:
    """The bibliography entry of one CSL-JSON item in `style` ("chicago" or "apa"), as plain text."""
    return _render(json.dumps(item, sort_keys=True, ensure_ascii=False), style)


# Rendering a Chicago entry walks a 6,000-line style (tens of milliseconds): the same item (everything
# the entry is made from, the access date and address included) is rendered once.
@functools.lru_cache(maxsize=1024)
def _render(item_json: str, style: str) -> str:
    item = json.loads(item_json)
    with _lock:
        bibliography = CitationStylesBibliography(_style(style), CiteProcJSON([item]), formatter.plain)
        bibliography.register(Citation([CitationItem(item["id"])]))
        entry = "".join(str(part) for part in bibliography.bibliography()[0])
    return " ".join(_punctuation_in_quote(entry).split())
