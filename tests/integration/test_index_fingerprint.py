"""Unchanged testimonies are not rewritten; removals always are, rebuilt index or not."""
from __future__ import annotations

from whoosh import index as wix

from archive.search.whoosh import SearchIndexes


def _docs(accession: str, word: str) -> list[dict]:
    common = {"testimony": accession, "collection": "c", "languages": ["en"], "places": [], "subjects": [],
              "year": 2015, "testimony_title": "T", "narrator": "", "place": "", "subject": ""}
    return [{**common, "doc_id": f"{accession}#meta", "kind": "meta", "seq": -1, "title": "T", "summary": word,
             "text": "", "lang": "en", "transcript": "", "start": None, "end": None},
            {**common, "doc_id": f"{accession}#s0", "kind": "segment", "seq": 0, "title": "", "summary": "",
             "text": f"the {word} river", "lang": "en", "transcript": "t", "start": 0.0, "end": 5.0}]


def _generation(path) -> int:
    ix = wix.open_dir(str(path))
    try:
        return ix.latest_generation()
    finally:
        ix.close()


def test_identical_documents_are_not_rewritten(tmp_path):
    indexes = SearchIndexes(tmp_path)
    indexes.ensure()
    indexes.replace_testimony("public", "A", _docs("A", "cedar"))
    before = _generation(indexes.index_dirs()["public"])
    indexes.replace_testimony("public", "A", _docs("A", "cedar"))
    assert _generation(indexes.index_dirs()["public"]) == before
    indexes.replace_testimony("public", "A", _docs("A", "willow"))
    assert _generation(indexes.index_dirs()["public"]) > before
    assert indexes.search("public", "cedar").total == 0 and indexes.search("public", "willow").total == 1


def test_removal_after_a_rebuild_is_not_mistaken_for_no_change(tmp_path):
    indexes = SearchIndexes(tmp_path)
    indexes.ensure()
    indexes.rebuild({"public": _docs("A", "cedar"), "researcher": [], "staff": []})
    indexes.replace_testimony("public", "A", [])
    assert indexes.testimony_ids("public") == set()
    indexes.replace_testimony("public", "A", _docs("A", "cedar"))
    indexes.rebuild({"public": _docs("A", "cedar"), "researcher": [], "staff": []})
    indexes.replace_testimony("public", "A", _docs("A", "cedar"))
    assert indexes.search("public", "cedar").total == 1
