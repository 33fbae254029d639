"""Suggestions for the search box (issue 16): a misspelt word that starts no indexed word ("Raqa") is
offered the spelling search itself would suggest, from the reader's own index; prefixes as before."""
from __future__ import annotations


def test_a_misspelling_is_offered_its_spelling(client):
    assert "raqqa" in client.get("/api/v1/suggest", query_string={"q": "Raqa"}).get_json()["suggestions"]
    assert "raqqa" in client.get("/api/v1/suggest", query_string={"q": "Raq"}).get_json()["suggestions"]


def test_short_or_unknown_words_get_nothing_made_up(client):
    assert client.get("/api/v1/suggest", query_string={"q": "R"}).get_json()["suggestions"] == []
    assert client.get("/api/v1/suggest", query_string={"q": "Qzxjwvk"}).get_json()["suggestions"] == []


def test_a_shorter_word_typed_past_is_no_suggestion(client):
    # search's "did you mean" for "hadd" is "had": the box does not offer it
    assert client.get("/api/v1/suggest", query_string={"q": "hadd"}).get_json()["suggestions"] == []
