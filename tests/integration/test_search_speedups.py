"""The speed-ups change nothing that search returns: fast indexing fields yield exactly what their
analysers would, held searchers follow every write (from this object or another process's), and
facets read from the column equal those from the stored fields."""
from __future__ import annotations

import pytest
from whoosh.fields import TEXT

from archive.search.whoosh import SearchIndexes
from archive.search.analysis import spell_analyzer, text_analyzer
from archive.search import documents
from archive.search.documents import facet_column
from archive.search.schema import make_schema

from .test_search_index import make_docs

SAMPLES = [
    "We crossed the border near Jarabulus at night; the smugglers' car broke down.",
    "Nous avons traversé la frontière à l'aube, près de la rivière. Ça  va؟",
    "وصلنا إلى الرَّقة بعد منتصف اللّيل ـــ والحدود مغلقة",
    "e\u0301te\u0301 3rd x_y  ﻻ  Œuvre ÆSIR  ",
    "", "   ", "_ _ --",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("field, lang", [("text", "en"), ("text_fr", "fr"), ("title", "en")])
def test_fast_text_fields_index_exactly_what_their_analyser_gives(text, field, lang):
    fast = make_schema()[field]
    generic = TEXT(analyzer=text_analyzer(lang), stored=True)
    assert sorted(fast.index(text)) == sorted(generic.index(text))
    assert fast.analyzer == generic.analyzer  # queries are analysed as before


@pytest.mark.parametrize("text", SAMPLES)
def test_spell_field_indexes_exactly_what_its_analyser_gives(text):
    assert sorted(make_schema()["spell"].index(text)) == sorted(
        TEXT(analyzer=spell_analyzer(), phrase=False).index(text))


def test_spelling_words_sit_once_on_the_first_document():
    fields = documents.testimony_fields(make_docs("OH-1", ["the checkpoint", "the river checkpoint"]), "OH-1")
    assert sorted(fields[0]["spell"].split()) == sorted(
        {"Testimony", "OH", "1", "Abu", "Karim", "Raqqa", "Al", "الرقة", "defection", "Part", "0",
         "the", "checkpoint", "river"})
    assert all("spell" not in f for f in fields[1:])
    assert fields[0]["fingerprint"] and all("fingerprint" not in f for f in fields[1:])


def test_facets_from_the_column_equal_those_from_stored_fields(tmp_path):
    idx = SearchIndexes(tmp_path)
    idx.ensure()
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["river"], languages=("en", "ar"),
                                                        subjects=("a", "b"), year=2015))
    idx.replace_testimony("public", "OH-2", make_docs("OH-2", ["river"], collection="women", year=2003))
    result = idx.search("public", "river")
    facets = dict(result.facets)
    assert facets["language"] == [("en", 2), ("ar", 1)]
    assert facets["decade"] == [("2000", 1), ("2010", 1)]
    assert facets["collection"] == [("oral", 1), ("women", 1)]
    with idx._searcher("public") as searcher:
        for docnum in range(searcher.doc_count_all()):
            column = searcher.reader().column_reader("facets", translate=False)[docnum]
            assert column == facet_column(searcher.stored_fields(docnum))


def test_a_held_searcher_follows_writes_from_another_process(tmp_path):
    mine, other = SearchIndexes(tmp_path), SearchIndexes(tmp_path)  # two processes' views of one index
    mine.ensure()
    other.replace_testimony("public", "OH-1", make_docs("OH-1", ["the secretword here"]))
    assert mine.search("public", "secretword").total == 1  # held from here on
    other.replace_testimony("public", "OH-1", make_docs("OH-1", ["nothing to see"]))
    assert mine.search("public", "secretword").total == 0
    assert mine.suggest("public", "secr") == []
    other.rebuild({"public": make_docs("OH-2", ["rebuilt word"]), "researcher": [], "staff": []})
    assert mine.search("public", "rebuilt").total == 1 and mine.testimony_ids("public") == {"OH-2"}
    other.rebuild({"public": make_docs("OH-3", ["again"]), "researcher": [], "staff": []})
    assert mine.testimony_ids("public") == {"OH-3"}  # a rebuilt directory is never taken for the old one
    mine.close()
    other.close()


def test_a_write_lets_go_of_the_replaced_segment_files(tmp_path):
    idx = SearchIndexes(tmp_path)
    idx.ensure()
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["the secretword here"]))
    assert idx.search("public", "secretword").total == 1
    held = idx._open["public"][2]
    idx.replace_testimony("public", "OH-1", make_docs("OH-1", ["nothing to see"]))
    assert "public" not in idx._open and held.is_closed
