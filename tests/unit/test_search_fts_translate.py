"""The SQLite engine's pieces that need no index: typo distance, and queries said in FTS5's syntax."""
import random

import pytest

from archive.search.sqlite import store
from archive.search.sqlite.reading import nearest
from archive.search.sqlite.translate import EVERY, NOTHING, Translator, positive_terms
from archive.search.query import QueryError, build_filter, parse
from archive.search.schema import make_schema

SCHEMA = make_schema()


def reference_distance(a: str, b: str) -> int:
    """Optimal string alignment distance, the whole table."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_the_nearest_word_is_the_closest_by_alignment_distance_then_the_most_frequent():
    rng = random.Random(7)
    for _ in range(3000):
        word = "".join(rng.choice("abc") for _ in range(rng.randint(1, 7)))
        candidates = [("".join(rng.choice("abc") for _ in range(rng.randint(0, 8))), rng.randint(1, 9))
                      for _ in range(12)]
        for limit in (1, 2):
            expected = min(((reference_distance(t, word), -doc, t) for t, doc in candidates
                            if t != word and reference_distance(t, word) <= limit), default=None)
            assert nearest(word, candidates, limit) == (expected[2] if expected else None), (word, candidates)
    assert nearest("sodliers", [("soldiers", 3), ("solders", 9)], 1) == "soldiers"  # a swap is one edit
    assert nearest("الرقه", [("الرقة", 1)], 1) == "الرقة"
    assert nearest("border", [("boarding", 50)], 2) is None
    assert nearest("crossing", [("crossing", 9)], 2) is None  # the word itself is no correction


def translate(text, filters=None, years=range(2010, 2020), terms=("alpha", "alpine")):
    q, _ = parse(SCHEMA, text)
    flt = build_filter(filters)
    if flt is not None:
        from whoosh import query as wq
        q = flt if isinstance(q, wq.Every) else wq.And([q, flt])
    return Translator(years, lambda column, glob, low, high: [t for t in terms if t.startswith(low or "")])(q)


def test_words_search_every_text_field_once_per_word():
    # French transcripts have their own field, stemmed by the French stemmer.
    assert translate("border") == '({title narrator place subject summary text}: "border" OR {text_fr}: "bord")'


def test_operators_phrases_prefixes_and_exclusions():
    assert " AND " in translate("border AND river")
    assert " OR " in translate("border OR river")
    # One column filter per form of the phrase: FTS5 reads the words' positions once for all fields.
    assert translate('"the river"') == '({title narrator place subject summary text}: "the river" OR {text_fr}: "the riv")'
    assert translate('title:"the river"') == '{title}: "the river"'
    assert '{title narrator place subject summary text}: NEAR("the" "river", 2)' in translate('"the river"~3')
    assert '"riv" *' in translate("riv*")
    excluded = translate("border -river")
    assert excluded.startswith("((") and " NOT (" in excluded
    only_excluded = translate("-river", {"collection": ["oral"]})
    assert store.key("collection", "oral") in only_excluded and " NOT " in only_excluded
    assert translate("NOT river").startswith('(({keys}: "kall") NOT')


def test_filters_become_keys_and_year_spans_stop_at_the_years_held():
    assert translate("", {"collection": ["women"]}) == '{keys}: "%s"' % store.key("collection", "women")
    assert translate("") is EVERY
    span = translate("year:2014..2016")
    assert all(store.year_key("z", y) in span for y in (2014, 2015, 2016))
    assert store.year_key("z", 2013) not in span
    open_ended = translate("year:..2011")
    assert store.year_key("z", 2010) in open_ended and store.year_key("z", 2009) not in open_ended
    assert translate("year:1900") == NOTHING
    assert translate("role:Teacher") == '{keys}: "%s"' % store.key("roles", "teacher")


def test_wildcards_expand_over_the_index_terms():
    assert '{text}: ("alpha" OR "alpine")' in translate("alp?ne")
    assert translate("zzz?z", terms=()) == NOTHING


def test_unknown_fields_are_refused():
    with pytest.raises(QueryError):
        translate("colour:red")


def test_highlight_terms_leave_out_excluded_words():
    q, _ = parse(SCHEMA, 'border -river "the road"')
    terms = positive_terms(q, lambda column, prefix: [])
    words = set().union(*terms.values())
    assert "border" in words and "road" in words and "river" not in words


def test_a_snippet_matches_words_by_the_index_terms_when_it_has_one_for_every_word():
    from archive.search.snippets import highlight
    text = "The Mothers crossed at dawn"
    assert highlight(text, {"mother"}, analysed="the mother cross at dawn") == "The <mark>Mothers</mark> crossed at dawn"
    # The index terms, not a fresh analysis, decide: a term held for "crossed" marks it.
    assert highlight(text, {"zzz"}, analysed="the mother zzz at dawn") == "The Mothers <mark>crossed</mark> at dawn"
    # A word whose analysis was empty leaves the terms one short: the words are analysed here instead.
    assert highlight(text, {"mother"}, analysed="the mother cross dawn") == "The <mark>Mothers</mark> crossed at dawn"
    assert highlight(text, {"zzz"}, analysed="the mother zzz dawn") is None
    assert highlight(text, {"mother"}) == "The <mark>Mothers</mark> crossed at dawn"


def test_a_snippet_window_keeps_the_text_between_its_words_escaped_and_says_where_it_was_cut():
    from archive.search.snippets import highlight
    text = "  «Start» " + " ".join(f"w{i}" for i in range(60)) + ' <b>&"end"</b>!  '
    assert highlight(text, {"w50"}, window=10) == "… w45 w46 w47 w48 w49 <mark>w50</mark> w51 w52 w53 w54 …"
    assert highlight(text, {"start"}, window=10) == "<mark>Start</mark>» w0 w1 w2 w3 w4 w5 w6 w7 w8 …"
    # The window reaches the last word: the text after it is kept, escaped, and nothing says "more".
    assert highlight(text, {"end"}, window=10) == \
        "… w53 w54 w55 w56 w57 w58 w59 &lt;b&gt;&amp;&quot;<mark>end</mark>&quot;&lt;/b&gt;!"

def test_a_snippet_cut_by_stored_word_offsets_is_the_one_the_tokeniser_makes():
    """The SQLite engine stores each display text's word offsets (snippets.word_offsets) so that a
    snippet need not tokenise the text again: over random texts (Arabic, marks, invisible characters,
    punctuation, a text past 65,535 characters) both ways give the same window, marks and escapes."""
    from archive.search import snippets
    from archive.search.sqlite import store
    rng = random.Random(5)
    words = ["border", "Mothers", "crossed", "l'été", "الرقة", "عُمر", "Zor\u200bvath", "w3", "x", "Été", "dawn"]
    gaps = [" ", "  ", ", ", " «", "» ", " <b>&", "\n", " - ", "'", "…"]
    checked = 0
    for n in range(300):
        count = rng.randrange(0, 120) if n else 11000
        text = rng.choice(["", " ", "«"]) + "".join(rng.choice(words) + rng.choice(gaps) for _ in range(count))
        offsets = snippets.word_offsets(text)
        if not count:
            assert offsets is None
            continue
        assert offsets[:1] == (b"I" if len(text) >= 1 << 16 else b"H")
        analysed = store.analysed(text)[0]
        terms = set(rng.sample(analysed.split(), min(3, len(analysed.split()))))
        for window in (5, 40):
            assert snippets.highlight(text, terms, window, analysed=analysed, offsets=offsets) == \
                snippets.highlight(text, terms, window, analysed=analysed)
            checked += 1
    assert checked > 500
    # Offsets that do not fit the terms (a word whose analysis was empty) fall back to the tokeniser.
    text = "The Mothers crossed at dawn"
    assert snippets.highlight(text, {"mother"}, analysed="the mother cross dawn", offsets=snippets.word_offsets(text)) \
        == "The <mark>Mothers</mark> crossed at dawn"


def test_a_segment_test_answers_as_an_fts5_match_over_the_same_terms_would():
    """SegmentMatcher against FTS5 itself: random segments in an FTS5 table without positions (how
    `seg` was held before it became a plain table), random queries of every construct."""
    import fnmatch

    import apsw
    from whoosh import query as wq
    from archive.search.sqlite.translate import SegmentMatcher, Segments
    rng = random.Random(11)
    vocabulary = ["border", "river", "night", "family", "soldier", "raqqa", "alpha", "alpine", "الرقة", "bank",
                  "boat", "bread", "bridge", "brother", "bus", "camp", "car", "child", "city", "coast", "cold"]
    conn = apsw.Connection(":memory:")
    conn.execute('CREATE VIRTUAL TABLE seg USING fts5(%s, tokenize="%s", detail=column)'
                 % (", ".join(store.COLUMNS), store._TOKENIZE.replace('"', '""')))
    rows = {}
    for rowid in range(1, 120):
        fields = {c: " ".join(rng.sample(vocabulary, rng.randrange(0, 4))) for c in ("title", "summary", "text", "text_fr")}
        fields.update(narrator="", place="", subject="", lang="", keys=" ".join(
            [store.ALL, store.key("collection", rng.choice(["oral", "camps"])), store.year_key("y", rng.choice([2014, 2015])),
             store.year_key("z", 2015)]))
        docs = [dict(doc_id="x", kind="segment", testimony="OH-1", **{k: v for k, v in fields.items()
                                                                       if k not in ("lang", "keys")})]
        row = store._terms(dict(docs[0], collection=rng.choice(["oral", "camps"])), {})
        row = (*row[:-1], fields["keys"])
        conn.execute("INSERT INTO seg(rowid, %s) VALUES (?%s)" % (", ".join(store.COLUMNS), ", ?" * len(store.COLUMNS)),
                     (rowid, *row))
        rows[rowid] = (rowid, *(" %s " % t if t else "" for t in row))
    words = ["border", "river", "night", "famil*", "alp*", "الرقة", '"border river"', "title:night",
             "text:soldier", "collection:oral", "year:2014", "year:2013..2015", "nothingatall",
             "b?rder", "[b TO d]", "text:[a TO z]"]
    terms = sorted({t for w in vocabulary for t in store.analysed(w)[0].split()})

    def expand(column, glob, low, high):  # as Reader._expand: terms in [low, high) matching the glob
        return [t for t in terms if (not low or t >= low) and (not high or t < high)
                and (glob is None or fnmatch.fnmatchcase(t, glob.replace("[[]", "[")))]
    fts5, python = Translator(range(2010, 2020), expand, phrases=False), SegmentMatcher(range(2010, 2020), expand)
    checked = 0
    for _ in range(400):
        picked = rng.sample(words, rng.randrange(1, 4))
        text = rng.choice([" ", " AND ", " OR ", " NOT ", " -"]).join(picked)
        if rng.random() < 0.3 and not any(w.startswith(("collection:", "year:")) for w in picked):
            text = "(%s) %s %s" % (text, rng.choice(["AND", "OR", "NOT"]), rng.choice(words))
        try:
            q, _ = parse(SCHEMA, text)
        except QueryError:  # a filter joined with OR
            continue
        checked += 1
        expression, (test, columns) = fts5(q), python.test(q)
        if expression is EVERY:
            assert test is EVERY, text
            continue
        if expression == NOTHING:
            assert test is SegmentMatcher.NOTHING, text
            continue
        expected = {r for (r,) in conn.execute("SELECT rowid FROM seg WHERE seg MATCH ?", (expression,))}
        segments = Segments(rows.values())
        assert {segments[i][0] for i in test(segments)} == expected, (text, expression)
        # The columns it says it reads are enough: the others blank (as a page reads them) change nothing.
        blanked = Segments(tuple(v if i == 0 or store.COLUMNS[i - 1] in columns else "" for i, v in enumerate(row))
                           for row in segments)
        assert {blanked[i][0] for i in test(blanked)} == expected, (text, columns)
        assert not isinstance(q, wq.Every)
    assert checked > 300
