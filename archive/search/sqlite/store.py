"""The SQLite FTS5 index file of one audience: its tables, and testimonies written into them.

Text is analysed here, by the archive's own analysers (archive.search.analysis), and FTS5 indexes
the resulting terms as they are. FTS5 runs with secure-delete and SQLite with secure_delete, so a
replaced or removed testimony's words leave the index structures and its rows are zeroed in the
same commit: a redacted word is physically gone from the file when the call returns.

Layout: a testimony has a number `num`; its documents (meta first, then segments) are rows
`num << 16 | i` of `doc` (display text) and `seg` (terms, space-separated, per column); `whole`, the
one FTS5 table, holds one row per testimony with all its documents' terms, for finding, counting,
facets and ranking. `seg` is a plain table, not an FTS5 index: a results page tests the segments of
its twenty testimonies in Python (translate.SegmentMatcher), and a removed testimony's segments are
purged by zeroing their rows, where an FTS5 index would rewrite a page for every word of every
segment. Phrases are matched in `whole`, and a page's segments are then picked by their words.
The readable words (suggestions, "did you mean") are a plain table, `spell`, of each word and the
number of testimonies holding it, with each testimony's own words in `spelling`.

A testimony written again is compared row by row with what the index holds, and only the rows that
differ are purged and written: a redaction rewrites the segment it is in, `whole`, and the counts of
the words it took away, not every row of the testimony (FTS5's secure-delete rewrites a page for
every word of every row it deletes).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import apsw

from ..analysis import READABLE, TOKEN_PATTERN, term_memo
from ..snippets import word_offsets

FILE = "index.sqlite"
SCHEMA_VERSION = 5  # 5: doc holds its display fields' word offsets (*_at)
DOC_BITS = 16
MAX_DOCS = (1 << DOC_BITS) - 1
COLUMNS = ("title", "narrator", "place", "subject", "summary", "text", "text_fr", "lang", "keys")
TEXT_COLUMNS = COLUMNS[:7]
# bm25 weights in column order (BM25F-like field boosts); lang and keys are filters, never scored.
WEIGHTS = (3.0, 2.0, 2.0, 2.0, 1.5, 1.0, 1.0, 0.0, 0.0)
# Terms are the archive's analysed words: FTS5 only splits on spaces between them and must keep
# letters, digits and combining marks together, as the archive's tokenizer does.
_TOKENIZE = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
# Every row holds this key, so a query of exclusions alone has something to exclude from.
ALL = "kall"
_TOKEN = re.compile(TOKEN_PATTERN)
_KEY_CODES = {"collection": "c", "languages": "l", "places": "p", "subjects": "s", "roles": "r",
              "has_audio": "a", "lang": "g"}

_DDL = """
CREATE TABLE state(generation INTEGER NOT NULL);
INSERT INTO state VALUES (0);
CREATE TABLE testimony(num INTEGER PRIMARY KEY, accession TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    year INTEGER, year_from INTEGER, year_to INTEGER, facets TEXT NOT NULL, fingerprint TEXT NOT NULL,
    ndocs INTEGER NOT NULL);
CREATE TABLE doc(rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER,
    transcript TEXT, start REAL, "end" REAL, title TEXT, summary TEXT, text TEXT, text_fr TEXT,
    title_at BLOB, summary_at BLOB, text_at BLOB, text_fr_at BLOB);
CREATE TABLE seg(id INTEGER PRIMARY KEY, {cols});
CREATE VIRTUAL TABLE whole USING fts5({cols}, tokenize="{tok}");
CREATE TABLE spell(word TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE spelling(num INTEGER PRIMARY KEY, words TEXT NOT NULL);
INSERT INTO whole(whole, rank) VALUES ('secure-delete', 1);
CREATE VIRTUAL TABLE whole_terms USING fts5vocab(whole, 'col');
PRAGMA user_version = {version};
""".format(cols=", ".join(COLUMNS), tok=_TOKENIZE, version=SCHEMA_VERSION)


def connect(path: Path, timeout: float = 30.0, read_only: bool = False) -> apsw.Connection:
    if read_only:
        # A read-only instance: nothing may be written, not even journal_mode (a header write).
        conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
        conn.set_busy_timeout(int(timeout * 1000))
        return conn
    conn = apsw.Connection(str(path))
    conn.set_busy_timeout(int(timeout * 1000))
    # A rollback journal, not WAL: a WAL file keeps old page images (with purged words) after commit.
    run(conn, "PRAGMA secure_delete = ON", "PRAGMA journal_mode = DELETE")
    return conn


def run(conn: apsw.Connection, *statements: str) -> None:
    """Each statement to its end (apsw stops a multi-statement string at the first row a PRAGMA returns)."""
    for statement in statements:
        for _ in conn.execute(statement):
            pass


def create(path: Path) -> None:
    conn = connect(path)
    try:
        with conn:
            conn.execute(_DDL)
    finally:
        conn.close()


def schema_version(path: Path) -> int | None:
    if not path.exists():
        return None
    conn = connect(path)
    try:
        return next(conn.execute("PRAGMA user_version"))[0]
    finally:
        conn.close()


def key(kind: str, value) -> str:
    """A filter value as one index term: a letter for its kind, then the value's UTF-8 in hex."""
    return "k" + _KEY_CODES[kind] + str(value).encode("utf-8").hex()


def year_key(kind: str, year: int) -> str:
    """kind y: the interview year, d: its decade, z: each year the interview may have been in."""
    return "k%s%s" % (kind, str(int(year)).replace("-", "m"))


@lru_cache(maxsize=20000)
def analysed(value: str, lang: str = "en") -> tuple[str, tuple[str, ...]]:
    """The terms of a text as the index holds them (space-separated), and its distinct readable
    words for suggestions. Cached: the same segment text is written for each audience that reads it."""
    words = _TOKEN.findall(value)
    terms = " ".join(filter(None, map(term_memo(lang).__getitem__, words)))
    return terms, tuple(dict.fromkeys(map(READABLE.__getitem__, dict.fromkeys(words))))


# A document's text shown in snippets; `doc` holds each with its words' offsets (`<name>_at`), so a
# snippet is cut from the text by the offsets and the terms `seg` holds, without tokenising it again.
DISPLAYED = ("title", "summary", "text", "text_fr")


@lru_cache(maxsize=20000)
def offsets(value: str | None) -> bytes | None:
    """snippets.word_offsets of a display text. Cached as `analysed` is (each audience writes it)."""
    return word_offsets(value) if value else None


def _keys(fields: dict) -> list[str]:
    out = [ALL]
    for name in ("collection", "has_audio"):
        if fields.get(name):
            out.append(key(name, fields[name]))
    for name in ("languages", "places", "subjects", "roles"):
        out += [key(name, v) for v in (fields.get(name) or "").split(",") if v]
    if fields.get("year") is not None:
        out += [year_key("y", fields["year"]), year_key("d", fields["decade"])]
    lo, hi = fields.get("year_from"), fields.get("year_to")
    if lo is not None and hi is not None:
        out += [year_key("z", y) for y in range(lo, min(hi, lo + 200) + 1)]
    return out


def _terms(fields: dict, spelling: dict) -> tuple:
    """The row of one document; its readable words are added to `spelling`."""
    row = []
    for name in TEXT_COLUMNS:
        terms, words = analysed(fields.get(name) or "", "fr" if name == "text_fr" else "en")
        row.append(terms)
        spelling.update(dict.fromkeys(words))
    lang = fields.get("lang")
    return (*row, key("lang", lang) if lang else "", " ".join(_keys(fields)))


def _whole(rows: list[tuple]) -> tuple:
    # Each column once per distinct value: narrator, place and subject repeat on every document.
    return tuple(" ".join(dict.fromkeys(r[i] for r in rows if r[i])) for i in range(len(COLUMNS)))


def generation(conn: apsw.Connection) -> int:
    return next(conn.execute("SELECT generation FROM state"))[0]


@dataclass
class Prepared:
    """One testimony's rows, analysed and ready to insert: made wherever the analysis runs (in a
    worker process during a parallel reindex), inserted by the index's writer."""
    seg: list[tuple]
    doc: list[tuple]
    whole: tuple
    words: str
    testimony: tuple

    def __len__(self) -> int:
        return len(self.seg)


def prepare(fields_list: list[dict]) -> Prepared:
    """documents.testimony_fields' output (not empty) as the rows of the index's tables."""
    if len(fields_list) > MAX_DOCS:
        raise ValueError("testimony %s has %d index documents; at most %d fit"
                         % (fields_list[0].get("testimony"), len(fields_list), MAX_DOCS))
    first = fields_list[0]
    spelling: dict[str, None] = {}
    rows = [_terms(f, spelling) for f in fields_list]
    docs = [(f["doc_id"], f["kind"], f.get("seq"), f.get("transcript"), f.get("start"), f.get("end"),
             *(f.get(name) for name in DISPLAYED), *(offsets(f.get(name)) for name in DISPLAYED))
            for f in fields_list]
    testimony = (first.get("testimony_title") or "", first.get("year"), first.get("year_from"),
                 first.get("year_to"), first["facets"].decode("utf-8"), first["fingerprint"], len(fields_list))
    return Prepared(rows, docs, _whole(rows), " ".join(w for w in spelling if w), testimony)


def write(conn: apsw.Connection, accession: str, fields_list: list[dict], fingerprints: bool = True) -> bool:
    """Replace one testimony (inside the caller's transaction). `fields_list` is
    documents.testimony_fields' output; empty removes it. False if the index already held exactly this."""
    held = _held(conn, accession)
    if held and fingerprints and fields_list and held[2] == len(fields_list) \
            and held[1] == fields_list[0]["fingerprint"]:
        return False
    if held is None and not fields_list:
        return False
    put(conn, accession, prepare(fields_list) if fields_list else None, held)
    return True


def _held(conn: apsw.Connection, accession: str) -> tuple | None:
    return next(conn.execute("SELECT num, fingerprint, ndocs FROM testimony WHERE accession = ?",
                             (accession,)), None)


_SEG_INSERT = "INSERT INTO seg(rowid, %s) VALUES (?%s)" % (", ".join(COLUMNS), ", ?" * len(COLUMNS))
_WHOLE_INSERT = _SEG_INSERT.replace("seg", "whole", 1)
_DOC_COLUMNS = 'doc_id, kind, seq, transcript, start, "end", title, summary, text, text_fr, ' \
    'title_at, summary_at, text_at, text_fr_at'
_DOC_INSERT = "INSERT INTO doc(rowid, %s) VALUES (?%s)" % (_DOC_COLUMNS, ", ?" * 14)


def put(conn: apsw.Connection, accession: str, prepared: Prepared | None, held: tuple | None = (),
        tally: Counter | None = None) -> None:
    """Write prepared rows in place of whatever the index holds of the testimony (None: remove it).
    `held`: _held()'s answer if the caller has it. `tally`: a fresh file's builder counts the words
    there and writes them once at the end (`write_tally`) instead of a row update per word."""
    if held == ():
        held = _held(conn, accession)
    if held and prepared is not None:
        _update(conn, held[0], prepared)
        conn.execute("UPDATE testimony SET title = ?, year = ?, year_from = ?, year_to = ?, facets = ?,"
                     " fingerprint = ?, ndocs = ? WHERE num = ?", (*prepared.testimony, held[0]))
    elif held:
        num = held[0]
        lo, hi = num << DOC_BITS, (num << DOC_BITS) | MAX_DOCS
        conn.execute("DELETE FROM seg WHERE rowid BETWEEN ? AND ?", (lo, hi))
        conn.execute("DELETE FROM doc WHERE rowid BETWEEN ? AND ?", (lo, hi))
        conn.execute("DELETE FROM whole WHERE rowid = ?", (num,))
        _count_words(conn, num, "")
        conn.execute("DELETE FROM testimony WHERE num = ?", (num,))
    elif prepared is not None:
        num = next(conn.execute("SELECT coalesce(max(num), 0) + 1 FROM testimony"))[0]
        _insert(conn, num, accession, prepared, tally)


def _insert(conn: apsw.Connection, num: int, accession: str, prepared: Prepared, tally: Counter | None) -> None:
    base = num << DOC_BITS
    conn.executemany(_SEG_INSERT, [(base + i, *row) for i, row in enumerate(prepared.seg)])
    conn.executemany(_DOC_INSERT, [(base + i, *row) for i, row in enumerate(prepared.doc)])
    conn.execute(_WHOLE_INSERT, (num, *prepared.whole))
    if tally is None:
        _count_words(conn, num, prepared.words)
    else:
        tally.update(prepared.words.split())
        if prepared.words:
            conn.execute("INSERT INTO spelling VALUES (?, ?)", (num, prepared.words))
    conn.execute("INSERT INTO testimony VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (num, accession, *prepared.testimony))


def _update(conn: apsw.Connection, num: int, prepared: Prepared) -> None:
    """Purge and write only the rows that differ from what the index holds of testimony `num`."""
    base = num << DOC_BITS
    bounds = (base, base | MAX_DOCS)
    for table, select, insert, rows in (
            ("seg", "SELECT rowid, %s FROM seg" % ", ".join(COLUMNS), _SEG_INSERT, prepared.seg),
            ("doc", "SELECT rowid, %s FROM doc" % _DOC_COLUMNS, _DOC_INSERT, prepared.doc)):
        held = {row[0]: row[1:] for row in conn.execute(select + " WHERE rowid BETWEEN ? AND ?", bounds)}
        wanted = {base + i: tuple(row) for i, row in enumerate(rows)}
        stale = [(rowid,) for rowid, row in held.items() if wanted.get(rowid) != row]
        conn.executemany("DELETE FROM %s WHERE rowid = ?" % table, stale)
        conn.executemany(insert, [(rowid, *row) for rowid, row in wanted.items()
                                  if held.get(rowid) != row])
    if next(conn.execute("SELECT %s FROM whole WHERE rowid = ?" % ", ".join(COLUMNS), (num,)), None) \
            != tuple(prepared.whole):
        conn.execute("DELETE FROM whole WHERE rowid = ?", (num,))
        conn.execute(_WHOLE_INSERT, (num, *prepared.whole))
    _count_words(conn, num, prepared.words)


def _count_words(conn: apsw.Connection, num: int, words: str) -> None:
    """Make testimony `num`'s readable words `words` (space-separated; "" for none): the counts of the
    words it no longer holds go down, a word no testimony holds any more is deleted."""
    before = next(conn.execute("SELECT words FROM spelling WHERE num = ?", (num,)), ("",))[0]
    old, new = set(before.split()), set(words.split())
    gone, added = [(w,) for w in old - new], [(w,) for w in new - old]
    conn.executemany("UPDATE spell SET docs = docs - 1 WHERE word = ?", gone)
    conn.executemany("DELETE FROM spell WHERE word = ? AND docs <= 0", gone)
    conn.executemany("INSERT INTO spell VALUES (?, 1) ON CONFLICT(word) DO UPDATE SET docs = docs + 1", added)
    if before != words:
        conn.execute("DELETE FROM spelling WHERE num = ?", (num,))
        if words:
            conn.execute("INSERT INTO spelling VALUES (?, ?)", (num, words))


def write_tally(conn: apsw.Connection, tally: Counter) -> None:
    """The word counts a fresh file's builder gathered (see `put`)."""
    conn.executemany("INSERT INTO spell VALUES (?, ?)", sorted(tally.items()))


def optimize(conn: apsw.Connection) -> None:
    """Merge the FTS5 table's segments into one (FTS5's 'optimize')."""
    with conn:
        conn.execute("INSERT INTO whole(whole) VALUES ('optimize')")


def bump(conn: apsw.Connection) -> None:
    conn.execute("UPDATE state SET generation = generation + 1")
