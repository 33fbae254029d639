"""One audience's tables in the archive's PostgreSQL database, and testimonies written into them.

Per audience `a`:
- `search_a_doc`: a row per index document (the meta document, then each segment) with its display
  text (the audience's own view, for snippets) and `tsv`, a tsvector of the document's words as the
  archive's analysers make them, each lexeme `column:term` with its positions (weighted by field:
  title A; narrator, place, subject B; summary C; transcript text D) and the filter keys as
  `keys:`/`lang:` lexemes (as the SQLite engine's keys column). GIN-indexed.
- `search_a_testimony`: a row per testimony: title, years, facet values, the fingerprint of its
  documents (an unchanged testimony is not rewritten) and the words it adds to `search_a_word`.
- `search_a_word`: per field, each word and the number of testimonies holding it: the analysed terms of
  each text column and the filter keys (wildcards, ranges, name variants) and, under field `spell`, the
  readable words (suggestions, "did you mean").
- `search_a_post`: the postings, a row per lexeme of a testimony (its `num`) with the lexeme's count in
  the whole testimony. A b-tree on (lexeme, num) including the count answers a word with an index-only
  scan: finding, counting, facets and ranking read the query's words' postings, never a document, so a
  common word costs a row per testimony that holds it, not one per segment. A word of COMMON with the
  word after it is a lexeme too (`text~:the school`): a phrase of them needs no segment read. Pairs
  are in the testimony's words (to delete its postings by) but not counted in `search_a_word`.
A rebuild loads new tables (COPY FREEZE, indexes made after) and swaps them in at its commit.
`search_state` holds each audience's generation, moved on by every write (caches key on it). The
testimony table's comment names the layout (LAYOUT): an older one is dropped and rebuilt on start.

Everything is written with the caller's connection, inside its transaction: a record and its index
rows commit together or not at all.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache

from ..analysis import READABLE, TOKEN_PATTERN, term_memo
from ..sqlite import store
from .translate import quote

TEXT_COLUMNS = store.TEXT_COLUMNS
SPELL = "spell"
MAX_POSITION = 16383    # PostgreSQL's largest tsvector position
_WEIGHT = {"title": "A", "narrator": "B", "place": "B", "subject": "B", "summary": "C", "text": "", "text_fr": ""}
# ts_rank's weights in the order {D, C, B, A}: the field boosts of the other engines (3, 2, 1.5, 1), scaled.
RANK_WEIGHTS = "{0.33,0.5,0.67,1.0}"
_TOKEN = re.compile(TOKEN_PATTERN)
_DOC_COLUMNS = ("testimony", "ord", "doc_id", "kind", "seq", "transcript", "start", "end", "title",
                "summary", "text", "text_fr", "tsv")
AUDIENCE_NAME = re.compile(r"^[a-z]+$")
LAYOUT = "layout 4"   # 2: postings (search_a_post), testimony num and length; 3: pairs; 4: not counted
PAIR = "~"   # a pair's column suffix: `text~:the school`
# Words so frequent that a phrase holding one reads most of the archive's segments to check positions:
# each of them with the word after it is a lexeme of its own in the postings ("common grams"), so a
# phrase like "the school" is found as one lexeme. Analysed as the text columns are (a layout constant:
# a change is a new LAYOUT).
COMMON = frozenset(
    [term_memo("en")[w] for w in "the a an of to in and my our his her their its this that at on for with from "
                                 "by we i was is he she they".split()]
    + [term_memo("fr")[w] for w in "la le les de des du un une et ma mon mes notre nos sa son ses au aux en à "
                                   "dans il elle nous je".split()]
    + [term_memo("en")[w] for w in "في من على إلى عن".split()])
NAMES = ("doc", "testimony", "word", "post")
TESTIMONY_COLUMNS = ("accession", "num", "title", "year", "year_from", "year_to", "facets", "fingerprint",
                     "ndocs", "length", "words")


def table(audience: str, name: str) -> str:
    if not AUDIENCE_NAME.match(audience):
        raise ValueError("unknown audience %r" % audience)
    return "search_%s_%s" % (audience, name)


def ddl(audience: str) -> list[str]:
    return ["CREATE TABLE IF NOT EXISTS search_state (audience text PRIMARY KEY, generation bigint NOT NULL)",
            "INSERT INTO search_state VALUES ('%s', 0) ON CONFLICT DO NOTHING" % audience,
            "CREATE SEQUENCE IF NOT EXISTS %s" % table(audience, "num"),
            *tables_ddl(audience, ""), *indexes_ddl(audience, "")]


def tables_ddl(audience: str, suffix: str) -> list[str]:
    """The tables without their secondary indexes (`suffix`: a rebuild's new tables, renamed in)."""
    doc, testimony, word, post = (table(audience, n) + suffix for n in NAMES)
    return [
        'CREATE TABLE IF NOT EXISTS %s (accession text COLLATE "C" PRIMARY KEY, num int NOT NULL UNIQUE, '
        "title text NOT NULL, year int, year_from int, year_to int, facets text NOT NULL, "
        "fingerprint text NOT NULL, ndocs int NOT NULL, length int NOT NULL, words text[] NOT NULL)" % testimony,
        "COMMENT ON TABLE %s IS '%s'" % (testimony, LAYOUT),
        'CREATE TABLE IF NOT EXISTS %s (testimony text COLLATE "C" NOT NULL, ord int NOT NULL, '
        "doc_id text NOT NULL, kind text NOT NULL, seq int, transcript text, start double precision, "
        '"end" double precision, title text, summary text, text text, text_fr text, tsv tsvector NOT NULL)' % doc,
        'CREATE TABLE IF NOT EXISTS %s (field text COLLATE "C" NOT NULL, word text COLLATE "C" NOT NULL, '
        # (room on each page: a count changed is a HOT update, no new index entry)
        "docs int NOT NULL) WITH (fillfactor = 80)" % word,
        'CREATE TABLE IF NOT EXISTS %s (lexeme text COLLATE "C" NOT NULL, num int NOT NULL, tf int NOT NULL)'
        % post,
    ]


def indexes_ddl(audience: str, suffix: str) -> list[str]:
    """The indexes, made by a rebuild after loading its tables (faster than keeping them up row by row)."""
    doc, _, word, post = (table(audience, n) + suffix for n in NAMES)
    return [
        "CREATE UNIQUE INDEX IF NOT EXISTS %s_pkey ON %s (testimony, ord)" % (doc, doc),
        "CREATE INDEX IF NOT EXISTS %s_tsv ON %s USING gin (tsv)" % (doc, doc),
        "CREATE UNIQUE INDEX IF NOT EXISTS %s_pkey ON %s (field, word)" % (word, word),
        "CREATE UNIQUE INDEX IF NOT EXISTS %s_pkey ON %s (lexeme, num) INCLUDE (tf)" % (post, post),
    ]


_INDEXES = {"doc": ("_pkey", "_tsv"), "testimony": ("_pkey", "_num_key"), "word": ("_pkey",), "post": ("_pkey",)}


def swap(cur, audience: str, suffix: str) -> None:
    """A rebuild's new tables (and their indexes) in place of the old ones, which are dropped: readers
    wait only for the commit of this, not for the load."""
    for name in NAMES:
        old = table(audience, name)
        cur.execute("DROP TABLE IF EXISTS %s" % old)
        cur.execute("ALTER TABLE %s%s RENAME TO %s" % (old, suffix, old))
        for index in _INDEXES[name]:
            cur.execute("ALTER INDEX IF EXISTS %s%s%s RENAME TO %s%s" % (old, suffix, index, old, index))


def exists(cur, audience: str) -> bool:
    """Are all of the audience's tables there, in this layout?"""
    cur.execute("SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest(%s::text[]) t",
                ([table(audience, n) for n in NAMES],))
    if not cur.fetchone()[0]:
        return False
    cur.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", (table(audience, "testimony"),))
    return cur.fetchone()[0] == LAYOUT


def drop(cur, audience: str) -> None:
    """An older layout's tables (rebuilt from the records)."""
    for name in NAMES:
        cur.execute("DROP TABLE IF EXISTS %s" % table(audience, name))


def _tsvector(fields: dict, words: set[str], post: dict[str, int]) -> tuple[str, int]:
    """The document's tsvector, and its length in words; its lexemes counted into `post` (up to 256 a
    document, as the tsvector keeps them: BM25 counts little beyond a few)."""
    out, length = [], 0
    for column in TEXT_COLUMNS:
        value = fields.get(column)
        if not value:
            continue
        entries, found, counts, n = _column(column, value)
        out.extend(entries)
        words.update(found)
        for key, count in counts:
            post[key] = post.get(key, 0) + count
        length += n
    lang = fields.get("lang")
    keys = ["keys:" + k for k in dict.fromkeys(store._keys(fields))]
    if lang:
        keys.append("lang:" + store.key("lang", lang))
    for key in keys:
        out.append(quote(key))
        words.add(key)
        post[key] = post.get(key, 0) + 1
    return " ".join(out), length


@lru_cache(maxsize=1024)
def _column(column: str, value: str) -> tuple[tuple[str, ...], frozenset[str], tuple[tuple[str, int], ...], int]:
    """One column's text analysed: its tsvector entries, its words (with the pairs and the readable
    spellings), its lexemes' counts and its length. Kept for the next few calls: a testimony is
    analysed once per audience, and most of its documents read the same in each audience's view."""
    memo, weight = term_memo("fr" if column == "text_fr" else "en"), _WEIGHT[column]
    tokens = _TOKEN.findall(value)
    terms = [memo[w] for w in tokens]
    post: dict[str, int] = {}
    pair = column + PAIR + ":"
    for i in [i for i, t in enumerate(terms[:-1]) if t in COMMON]:
        if terms[i + 1]:
            key = pair + terms[i] + " " + terms[i + 1]
            post[key] = post.get(key, 0) + 1
    at: dict[str, list[int]] = {}
    for pos, term in enumerate(terms, 1):
        if term:
            held = at.get(term)
            if held is None:
                at[term] = [pos]
            elif len(held) < 256:
                held.append(pos)
    words = {"%s:%s" % (SPELL, READABLE[w]) for w in set(tokens) if READABLE[w]}
    words.update(post)
    out, length, prefix = [], 0, column + ":"
    for term, positions in at.items():
        key = prefix + term
        words.add(key)
        post[key] = post.get(key, 0) + len(positions)
        length += len(positions)
        if positions[-1] > MAX_POSITION:
            positions = [min(p, MAX_POSITION) for p in positions]
        listed = ",".join(map(str, positions)) if not weight else ",".join([
            "%d%s" % (p, weight) for p in positions])
        out.append(quote(key) + ":" + listed)
    return tuple(out), frozenset(words), tuple(post.items()), length


def prepare(fields_list: list[dict]) -> tuple:
    """documents.testimony_fields' output (not empty) as (document rows, testimony row, words, (the words
    as an array literal, the postings as COPY text), the words search_a_word counts): made wherever the
    analysis runs (a worker process of a parallel reindex), inserted by the writer."""
    fields_list = sorted(fields_list, key=lambda f: f["kind"] != "meta")   # the meta document is ord 0
    first, words, post, length = fields_list[0], set(), {}, 0
    accession = first["testimony"]
    docs = []
    for ord_, f in enumerate(fields_list):
        tsv, n = _tsvector(f, words, post)
        length += n
        docs.append((accession, ord_, f["doc_id"], f["kind"], f.get("seq"), f.get("transcript"), f.get("start"),
                     f.get("end"), f.get("title"), f.get("summary"), f.get("text"), f.get("text_fr"), tsv))
    # (num is the index's own: given when the testimony is written)
    testimony = (accession, first.get("testimony_title") or "", first.get("year"), first.get("year_from"),
                 first.get("year_to"), first["facets"].decode("utf-8"), first["fingerprint"], len(fields_list),
                 length)
    words = sorted(words)
    # What a rebuild copies as it is (COPY's text format; the number is put in for "\t#\n" there).
    keys = list(post)
    if _COPY_SPECIAL.search("".join(keys)):
        keys = [_copy_escape(k) for k in keys]
    block = "".join(["%s\t%d\t#\n" % kn for kn in zip(keys, post.values())])
    # (The counted words made here too, in order: a rebuild's one writing process only adds them up.)
    return docs, testimony, words, (text_array(words), block), counted_list(words)


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def text_array(values) -> str:
    """Strings as a PostgreSQL array literal, for `%s::text[]`: psycopg's list adapter takes longer over
    a testimony's thousands of words than PostgreSQL takes to write them."""
    values = list(values)
    joined = "\x00".join(values)
    if '"' not in joined and "\\" not in joined:   # (the usual case: no word to escape)
        return '{"%s"}' % '","'.join(values) if values else "{}"
    return "{%s}" % ",".join(['"%s"' % w.replace("\\", "\\\\").replace('"', '\\"') for w in values])


def _copy_escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def copy_postings(cur, audience: str, name: str, blocks: list[tuple[int, str]], freeze: bool = True) -> None:
    """prepare's postings blocks, each with its testimony's number, as (lexeme, tf, num) rows (FREEZE: into
    a rebuild's new table)."""
    with cur.copy("COPY %s (lexeme, tf, num) FROM STDIN%s" % (table(audience, name),
                                                               " WITH (FREEZE)" if freeze else "")) as copy:
        for num, block in blocks:
            copy.write(block.replace("\t#\n", "\t%d\n" % num))


def testimony_row(row: tuple, num: int, words: list[str]) -> tuple:
    """prepare's testimony row as TESTIMONY_COLUMNS."""
    return (row[0], num, *row[1:], words)


def counted(words) -> set[str]:
    """The words `search_a_word` counts (not the pairs)."""
    return set(counted_list(words))


def counted_list(words) -> list[str]:
    """counted's words in the order given."""
    return [w for w in words if PAIR + ":" not in w[:w.find(":") + 1]]


def _split(words) -> tuple[list[str], list[str]]:
    fields, terms = [], []
    for w in sorted(words):
        field, _, term = w.partition(":")
        fields.append(field)
        terms.append(term)
    return fields, terms


def write(cur, audience: str, accession: str, prepared: tuple | None, counts: Counter) -> tuple[bool, bool]:
    """Replace one testimony in the caller's transaction; `prepared` None removes it. (Written, rows
    deleted): nothing is written where the index already holds exactly this. The words it adds to or
    takes from `search_a_word` are added up in `counts`, for count_words."""
    doc, testimony, _, post = (table(audience, n) for n in NAMES)
    cur.execute("SELECT fingerprint, ndocs, words, num FROM %s WHERE accession = %%s FOR UPDATE" % testimony,
                (accession,))
    held = cur.fetchone()
    if prepared is not None and held and held[0] == prepared[1][6] and held[1] == prepared[1][7]:
        return False, False
    if held is None and prepared is None:
        return False, False
    old = set(held[2]) if held else set()
    new = set(prepared[2]) if prepared else set()
    if held:
        cur.execute("DELETE FROM %s WHERE testimony = %%s" % doc, (accession,))
        cur.execute("DELETE FROM %s WHERE accession = %%s" % testimony, (accession,))
        # The postings are found by their lexemes (the testimony's words): no index on num to keep up.
        cur.execute("DELETE FROM %s p USING unnest(%%s::text[]) AS u(l) WHERE p.lexeme = u.l AND p.num = %%s"
                    % post, (text_array([w for w in held[2] if not w.startswith(SPELL + ":")]), held[3]))
    if prepared is not None:
        docs, row, _, (literal, block), _ = prepared
        if held:
            num = held[3]   # kept: a testimony keeps its number while it is in the index
        else:
            cur.execute("SELECT nextval('%s')" % table(audience, "num"))
            num = cur.fetchone()[0]
        cur.executemany("INSERT INTO %s (%s) VALUES (%s)" % (doc, ", ".join('"%s"' % c for c in _DOC_COLUMNS),
                                                             ", ".join(["%s"] * len(_DOC_COLUMNS))), docs)
        cur.execute("INSERT INTO %s (%s) VALUES (%s::text[])" % (
            testimony, ", ".join(TESTIMONY_COLUMNS), ", ".join(["%s"] * len(TESTIMONY_COLUMNS))),
            testimony_row(row, num, literal))
        copy_postings(cur, audience, "post", [(num, block)], freeze=False)
    # Pairs are postings only: nothing looks them up by word, and a testimony has thousands.
    counts.subtract(counted(old - new))
    counts.update(counted(new - old))
    return True, bool(held)


def count_words(cur, audience: str, counts: Counter) -> None:
    """The words some testimonies added (+) or took away (-), into `search_a_word`: after every other row
    of the transaction, and in one statement in one order, so that its locks on the words every
    testimony holds ("the") are held for the end of a writer's transaction only, and two writers never
    deadlock. A word whose count falls to 0 is deleted."""
    word = table(audience, "word")
    changed = sorted((w, n) for w, n in counts.items() if n)
    if not changed:
        return
    fields, terms = _split(w for w, _ in changed)
    cur.execute("INSERT INTO %s SELECT f, t, n FROM unnest(%%s::text[], %%s::text[], %%s::int[]) AS u(f, t, n) "
                "ORDER BY f, t ON CONFLICT (field, word) DO UPDATE SET docs = %s.docs + excluded.docs"
                % (word, word), (text_array(fields), text_array(terms), "{%s}" % ",".join(str(n) for _, n in changed)))
    gone = [w for w, n in changed if n < 0]
    if gone:
        fields, terms = _split(gone)
        cur.execute("DELETE FROM %s w USING unnest(%%s::text[], %%s::text[]) AS u(f, t) "
                    "WHERE w.field = u.f AND w.word = u.t AND w.docs <= 0" % word,
                    (text_array(fields), text_array(terms)))


def bump(cur, audience: str) -> None:
    cur.execute("UPDATE search_state SET generation = generation + 1 WHERE audience = %s", (audience,))


def generation(cur, audience: str) -> int:
    cur.execute("SELECT generation FROM search_state WHERE audience = %s", (audience,))
    row = cur.fetchone()
    return row[0] if row else -1


def copy_rows(cur, audience: str, name: str, columns: tuple[str, ...], rows, freeze: bool = False) -> None:
    with cur.copy('COPY %s (%s) FROM STDIN%s' % (table(audience, name), ", ".join('"%s"' % c for c in columns),
                                                 " WITH (FREEZE)" if freeze else "")) as copy:
        for row in rows:
            copy.write_row(row)


def facets(row_text: str) -> dict:
    return json.loads(row_text)
