"""Search quality as a regression test: the judged queries over the real corpus.

Measured with `.venv/bin/python bench/quality.py` on 2026-11-29 (commit 49672f2's search):
mean recall@10 0.888 and mean nDCG@10 0.890 over 50 queries. The floors sit a little under, so
ranking noise from a harmless change passes while losing a query fails.
"""
import os
import uuid

import pytest

from .corpus import REALDATA
from .evaluation import build_archive, load_judgements, means, measure

# The PostgreSQL engine keeps its index in the database: its pass (`-m postgres`) builds the corpus there.
ON_POSTGRESQL = os.environ.get("ARCHIVE_SEARCH_ENGINE") == "postgresql"
pytestmark = [pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not beside the checkout"),
              *([pytest.mark.postgres] if ON_POSTGRESQL else [])]

# `.venv/bin/python bench/quality.py` on 2026-11-29: 0.928 and 0.930 (0.888 and 0.890 before
# person and organisation authorities were expanded).
MIN_MEAN_RECALL = 0.91
MIN_MEAN_NDCG = 0.91

# Queries that do not find everything today, with the recall they reach and why. Every other
# judged query finds all its relevant testimonies in the first ten and must keep doing so.
SHORT_TODAY = {
    ("Abraham Lincoln", "public"): 0.333,  # "Abe Lincoln", "de Lincoln ticket": no name variants for people in text
    ("jumping the broom", "public"): 0.75,  # Josephine Anderson's "jumpin over it": dialect, not a stem
    ("patrollers", "public"): 0.3,  # "pattyrollers", "patterrollers", "paddle roller": dialect
    ("Ku Klux Klan", "public"): 0.0,  # "Klu Klux": misspelt in the source
    ("underground railroad", "public"): 0.0,  # the text says "railway": a synonym
}

JUDGED = load_judgements()


@pytest.fixture(scope="module")
def measured(tmp_path_factory, postgres_url):
    url = schema = None
    if ON_POSTGRESQL:
        if postgres_url is None:
            pytest.skip("PostgreSQL not reachable (set ARCHIVE_TEST_DATABASE_URL); CI runs these")
        import psycopg
        schema = f"q_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-csearch_path%3D{schema}"
    archive = build_archive(tmp_path_factory.mktemp("quality"), url)
    try:
        yield {(j.query, j.audience): measure(archive, j) for j in JUDGED}
    finally:
        archive.close()
        if schema:
            with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_mean_recall_at_10(measured):
    assert means(list(measured.values()))["recall@10"] >= MIN_MEAN_RECALL


def test_mean_ndcg_at_10(measured):
    assert means(list(measured.values()))["ndcg@10"] >= MIN_MEAN_NDCG


@pytest.mark.parametrize("key", [(j.query, j.audience) for j in JUDGED], ids=lambda key: f"{key[0]}|{key[1]}")
def test_query_keeps_its_recall(measured, key):
    m = measured[key]
    floor = SHORT_TODAY.get(key, 1.0)
    assert m.recall >= floor - 1e-3, f"{key}: recall@10 {m.recall:.3f} < {floor}; missed {m.missed}, ranked {m.ranking}"


def test_short_list_names_judged_queries():
    assert set(SHORT_TODAY) <= {(j.query, j.audience) for j in JUDGED}
