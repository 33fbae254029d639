"""Issue 15, findings 1 and 7: a process killed at any point leaves nothing readable that the database
did not accept, and the archive catches up by itself at the next start. A short run of the kill harness
(tests/killing.py; bench/kills.py runs 200 kills per scenario), on SQLite and PostgreSQL, on the engine
the suite runs with."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from archive.formats.json_format import parse_document
from archive.identity import ANONYMOUS, SYSTEM
from archive.services import Archive
from tests import killing
from tests.conftest import TODAY


@pytest.fixture
def factory(database_url, tmp_path):
    def make(init: bool = True) -> Archive:
        archive = Archive(database_url, tmp_path / "indexes", tmp_path / "media", clock=lambda: TODAY)
        if init:
            archive.init()
        return archive
    make(init=True).close()
    return make


def _kill(database_url, tmp_path, scenario, work, **kw) -> bool:
    return killing.run_child(database_url, tmp_path, scenario, work, **kw)


def test_an_import_killed_after_its_index_write_leaves_no_ghost(factory, database_url, tmp_path):
    # Two batches: the first commits, the second is killed after its index write, before its commit.
    data = killing.many(15)
    assert _kill(database_url, tmp_path, "import", data, point="after-index-write", countdown=2)
    assert killing.check_after_kill(factory, database_url) == []
    archive = factory()
    try:
        found = {h.accession_id for h in archive.search.search(ANONYMOUS, "smuggling", pagesize=100).testimonies}
        assert found == {f"KILL-{i:04d}" for i in range(10)}   # the committed batch, and nothing else
    finally:
        archive.close()


def test_an_import_killed_between_its_commit_and_its_index_write_is_indexed_at_the_next_start(
        factory, database_url, tmp_path):
    data = killing.many(5)
    assert _kill(database_url, tmp_path, "import", data, point="before-deferred-write")
    archive = factory(init=False)
    try:
        # Missing, the safe direction, until the next start or search writes what is pending.
        assert archive.index.check(SYSTEM)["public"]["missing"] == [f"KILL-{i:04d}" for i in range(5)]
        assert archive.search.search(ANONYMOUS, "smuggling").total == 5   # a search catches up
        assert archive.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}
    finally:
        archive.close()
    assert killing.check_after_kill(factory, database_url) == []


def test_withdrawals_and_redactions_killed_mid_way_never_come_back(factory, database_url, tmp_path):
    data = killing.many(10)
    archive = factory()
    archive.transfer.import_document(SYSTEM, parse_document(data, "ten.json"))
    archive.close()
    for n, point in enumerate(("after-index-write", "before-deferred-write", "after-deferred-write")):
        _kill(database_url, tmp_path, "withdraw", [f"KILL-{2 * n:04d}", f"KILL-{2 * n + 1:04d}"], point=point)
        assert killing.check_after_kill(factory, database_url) == [], point
    spans = [killing.canary_span(data, f"KILL-{i:04d}") for i in range(6, 10)]
    for point in ("after-index-write", "before-deferred-write"):
        _kill(database_url, tmp_path, "redact", spans, point=point, countdown=1)
        assert killing.check_after_kill(factory, database_url, redacted=[s[0] for s in spans]) == [], point


def test_kills_at_random_moments_of_an_import(factory, database_url, tmp_path):
    rng = random.Random(15)
    data = killing.many(24, prefix="RND")
    for attempt in range(3):
        for item in data["testimonies"]:
            item["id"] = f"RND{attempt}-{item['id'][-4:]}"
            item["narrators"][0]["id"] = f"N-RND{attempt}-{item['id'][-4:]}"
        _kill(database_url, tmp_path, "import", data, delay=killing.random_delay(rng, 0.3, 2.5))
        assert killing.check_after_kill(factory, database_url) == [], attempt


def test_a_rebuild_killed_between_its_two_renames_is_undone_by_the_next_reader(example_archive):
    """Finding 7: the live index renamed away, the new one never renamed in. Search used to answer 500
    and `check` to crash (EmptyIndexError) until `init` or a write."""
    root = example_archive.indexes.root
    live = root / "public"
    live.rename(root / ".public.old-deadbeef")
    (root / ".public.build-deadbeef").mkdir()
    fresh = Archive(example_archive.db.url, root, example_archive.media_dir, clock=lambda: TODAY)
    try:
        assert fresh.search.search(ANONYMOUS, "Raqqa").total == 1
        assert fresh.index.check(SYSTEM)["public"] == {"missing": [], "unexpected": []}
        assert live.is_dir() and not list(root.glob(".public.old-*")) and not list(root.glob(".public.build-*"))
    finally:
        fresh.close()
