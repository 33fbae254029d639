"""No page's cost grows with the archive: the same pages over a small and an eight times larger
archive run the same number of SQL statements and build the same number of audience views.

A page that reads every testimony (a view of each, or a query per row) shows up here as a count that
follows the archive's size; counts and lists must come from the audience's own index or from SQL
aggregates, and views be built only for the page shown.
"""
from __future__ import annotations

import json
import sys

import pytest
from sqlalchemy import event, select

import archive.views
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM
from archive.services import Archive
from tests import killing
from tests.conftest import PASSWORD, TODAY, sign_in

SIZES = (10, 40)
# Small pages, so that every list fills its page at both sizes.
LIST_PAGE_SIZE = 3
PAGES = {
    "home": ("public", "/"),
    "collections": ("public", "/collections"),
    "collection": ("public", "/collections/leaving-raqqa"),
    "api testimonies": ("public", "/api/v1/testimonies"),
    "api collections": ("public", "/api/v1/collections"),
    "researcher home": ("researcher", "/"),
    "staff collection": ("archivist", "/collections/leaving-raqqa"),
    "dashboard": ("archivist", "/staff/"),
    "audit log": ("archivist", "/staff/audit"),
    "sensitive terms": ("archivist", "/staff/sensitive-terms"),
}


def generated(n: int) -> dict:
    """The example's open testimony n times under new ids (tests/killing.py), a third of them in each
    workflow state, so that every dashboard panel and every audience's list has rows at both sizes."""
    data = killing.many(n, prefix="SIZE")
    for i, item in enumerate(data["testimonies"]):
        item["state"] = ("published", "draft", "in_review")[i % 3]
        if i % 3 == 1:
            item["consent"]["status"] = "pending"
    return data


class Counter:
    def __init__(self):
        self.statements = self.views = 0

    def __call__(self, *args, **kwargs):
        self.statements += 1


@pytest.fixture
def counted_app(tmp_path, monkeypatch):
    """make(n) -> (app, counter): the web app over an archive of n testimonies, its SQL statements
    and view builds counted."""
    from app import create_app

    made = []
    original = archive.views.view_for

    def make(n: int):
        root = tmp_path / str(n)
        url = f"sqlite:///{root / 'archive.db'}"
        root.mkdir()
        seed = Archive(url, root / "indexes", root / "media", clock=lambda: TODAY)
        seed.init()
        seed.transfer.import_document(SYSTEM, parse_document(generated(n), "sizes.json"))
        for name in ("researcher", "archivist"):
            seed.users.add(SYSTEM, name, name, PASSWORD)
        seed.close()
        app = create_app({"INSTANCE_PATH": str(root / "instance"), "DATABASE_URL": url,
                          "INDEX_DIR": str(root / "indexes"), "MEDIA_DIR": str(root / "media"),
                          "TESTING": True, "SESSION_COOKIE_SECURE": False, "TODAY": TODAY.isoformat(),
                          "SECRET_KEY": "test-only-key", "LIST_PAGE_SIZE": LIST_PAGE_SIZE})
        made.append(app)
        counter = Counter()
        event.listen(app.extensions["archive"].db.engine, "before_cursor_execute", counter)
        return app, counter

    def counting(*args, **kwargs):
        for c in active:
            c.views += 1
        return original(*args, **kwargs)

    active: list[Counter] = []
    # Every module that imported view_for by name gets the counting one.
    for module in list(sys.modules.values()):
        if getattr(module, "view_for", None) is original:
            monkeypatch.setattr(module, "view_for", counting)

    def activate(counter):
        active.clear()
        active.append(counter)

    make.activate = activate
    yield make
    for app in made:
        app.extensions["archive"].close()


def cost(app, counter, make, role: str, url: str) -> tuple[int, int, int]:
    client = app.test_client()
    if role != "public":
        sign_in(client, role)
    make.activate(counter)
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    # The first request warms what is kept between requests (an index's snapshot, a searcher).
    counter.statements = counter.views = 0
    response = client.get(url)
    assert response.status_code == 200
    return counter.statements, counter.views, len(response.data) > 0


def test_every_page_costs_the_same_at_two_archive_sizes(counted_app):
    apps = [counted_app(n) for n in SIZES]
    costs = {name: [cost(app, counter, counted_app, role, url)[:2] for app, counter in apps]
             for name, (role, url) in PAGES.items()}
    grows = {name: dict(zip(SIZES, c)) for name, c in costs.items() if c[0] != c[1]}
    assert not grows, "statements, views per request grow with the archive: %r" % grows
    # And each list page builds views for one page of testimonies at most.
    for name, ((_, views), _) in costs.items():
        assert views <= LIST_PAGE_SIZE, (name, views)


def test_lists_are_paginated_and_count_what_the_audience_may_see(counted_app):
    app, _ = counted_app(SIZES[1])
    client = app.test_client()
    published = sorted(f"SIZE-{i:04d}" for i in range(SIZES[1]) if i % 3 == 0)
    first = client.get("/api/v1/testimonies?per_page=5").get_json()   # an API client's own page size
    assert first["total"] == len(published) and first["page"] == 1 and first["pages"] == 3
    assert [t["id"] for t in first["testimonies"]] == published[:5]
    rest = [t["id"] for p in (2, 3) for t in client.get(f"/api/v1/testimonies?per_page=5&page={p}")
            .get_json()["testimonies"]]
    assert rest == published[5:]
    collections = client.get("/api/v1/collections").get_json()["collections"]
    assert [(c["id"], c["count"]) for c in collections] == [("leaving-raqqa", len(published))]
    staff = sign_in(app.test_client(), "archivist")
    assert staff.get("/api/v1/testimonies").get_json()["total"] == SIZES[1]
    page = client.get("/collections/leaving-raqqa").get_data(as_text=True)
    assert published[0] in page


@pytest.mark.parametrize("audience", ["public", "researcher", "admin"])
def test_the_streamed_export_is_the_export(demo_archive, audience):
    streamed = "".join(demo_archive.transfer.export_stream(SYSTEM, audience))
    assert json.loads(streamed) == demo_archive.transfer.export(SYSTEM, audience)


def test_a_streamed_export_is_refused_before_its_first_byte(demo_archive):
    from archive.audience import Audience
    from archive.errors import PermissionDenied
    from archive.identity import Identity
    from archive.model import Redaction

    with demo_archive.db.session() as session:
        session.scalars(select(Redaction).order_by(Redaction.id)).first().visible_to = "admin"
        session.commit()
    archivist = Identity(Audience.ARCHIVIST, username="ann")
    with pytest.raises(PermissionDenied):
        demo_archive.transfer.export(archivist, "archivist")
    with pytest.raises(PermissionDenied):  # raised by the call, not by the first piece read
        demo_archive.transfer.export_stream(archivist, "archivist")


def test_a_streamed_export_reads_a_batch_at_a_time(counted_app):
    """Its first piece costs the same at both sizes: the export is not read whole before it is sent."""
    first = []
    for n in SIZES:
        app, counter = counted_app(n)
        pieces = app.extensions["archive"].transfer.export_stream(SYSTEM, "public")
        counter.statements = 0
        head = next(pieces)
        first.append(counter.statements)
        document = json.loads(head + "".join(pieces))
        assert [t["id"] for t in document["testimonies"]] == [f"SIZE-{i:04d}" for i in range(n) if i % 3 == 0]
    assert first[0] == first[1]


def test_counts_and_pages_follow_a_withdrawal(counted_app):
    """What the engines keep between requests (a snapshot, a pass over the index) is let go by a write."""
    app, _ = counted_app(SIZES[0])
    client = app.test_client()
    count = client.get("/api/v1/collections").get_json()["collections"][0]["count"]
    assert "SIZE-0000" in [t["id"] for t in client.get("/api/v1/testimonies").get_json()["testimonies"]]
    app.extensions["archive"].consent.withdraw(SYSTEM, "SIZE-0000", "asked")
    assert client.get("/api/v1/collections").get_json()["collections"][0]["count"] == count - 1
    listed = client.get("/api/v1/testimonies").get_json()
    assert listed["total"] == count - 1 and "SIZE-0000" not in [t["id"] for t in listed["testimonies"]]
    assert f"{count - 1} testimonies" in client.get("/").get_data(as_text=True)


def test_the_dashboard_warns_of_an_index_that_disagrees_by_counting(counted_app):
    """The dashboard compares counts (an index's against an SQL count of what its audience may see),
    not every testimony; a testimony missing from the indexes shows as a difference."""
    app, _ = counted_app(SIZES[0])
    staff = sign_in(app.test_client(), "archivist")
    assert "index disagrees" not in staff.get("/staff/").get_data(as_text=True)
    app.extensions["archive"].indexes.remove_testimony("SIZE-0003")
    page = " ".join(staff.get("/staff/").get_data(as_text=True).split())
    published = len([i for i in range(SIZES[0]) if i % 3 == 0])
    assert f"public ({published - 1} indexed, {published} expected)" in page
    assert f"staff ({SIZES[0] - 1} indexed, {SIZES[0]} expected)" in page


def test_the_whole_index_is_counted_once_per_version_and_again_after_a_write(counted_app, monkeypatch):
    """Counting reads every testimony an audience may see (in the index): the home, collections and
    staff pages share one count until a write moves the index on, and a withdrawal is counted at once."""
    app, _ = counted_app(SIZES[0])
    service = app.extensions["archive"].testimonies
    counts = []
    browse = type(service)._browse

    def counting(self, identity, collection=None, page=1, per_page=1):
        if collection is None and per_page == 1:
            counts.append(identity.audience.label)
        return browse(self, identity, collection, page, per_page)

    monkeypatch.setattr(type(service), "_browse", counting)
    client = app.test_client()
    before = client.get("/api/v1/collections").get_json()["collections"]
    for url in ("/", "/collections", "/api/v1/collections", "/"):
        assert client.get(url).status_code == 200
    assert counts == ["public"]                                  # counted once for all of them
    first = sorted(f"SIZE-{i:04d}" for i in range(SIZES[0]) if i % 3 == 0)[0]
    app.extensions["archive"].consent.withdraw(SYSTEM, first, "asked")
    after = client.get("/api/v1/collections").get_json()["collections"]
    assert sum(c["count"] for c in after) == sum(c["count"] for c in before) - 1
    assert counts == ["public", "public"]
