"""Issue 13: several servers, one archive. Three real servers (`python -m app serve`, gunicorn, one worker
each) on loopback, each with an instance folder of its own, on one PostgreSQL database with the
postgresql search engine, one SECRET_KEY and one media folder, as README's "Running on several machines"
sets them up. A change made through server A shows on B and C on the very next request (no sleep, no
retry) on every surface a reader has; a write killed with SIGKILL leaves the others answering and the
database with all of it or none; a server started later answers as the others do, with no reindex.

The servers start once, in parallel, over one archive seeded in-process, for one test whose parts are
subtests (reported each on its own): separate tests would be spread over pytest-xdist's workers, each
starting servers of its own (and `--dist loadgroup` does not group them under pytest 9). Each part changes
testimonies of its own; the server started later comes last, after every change."""
from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import secrets
import signal
import threading
import time
import uuid
from dataclasses import dataclass

import lxml.html
import pytest
import requests

from archive.formats.json_format import parse_document
from archive.identity import SYSTEM
from archive.services import Archive
from tests import killing, servers
from tests.conftest import PASSWORD, _raw
from tests.integration.test_search_language import record
from tests.security.disguises import LATIN_TERM, search_would_match

pytestmark = pytest.mark.postgres

CANARY = "Quorvenhal"                       # a plain name the redaction hides
DISGUISED = "Zоr\u00advаth Qu\u200billan"    # LATIN_TERM to a reader and to search: Cyrillic о, а, invisibles
REDACT_TEXT = f"The guide was {CANARY} and his cousin {DISGUISED} drove the lorry across the dunes."
STAFF = "ann"
READER = "rita"


def _testimony(accession: str, word: str, place: str, **extra) -> dict:
    """A published open testimony whose transcript holds `word` (its own, for search and suggestions)
    and whose place (a facet value) no other testimony has."""
    return record(accession, f"We spoke about the {word} near the old mill.", places=[f"place:{place.lower()}"],
                  **extra)


# accession -> (its own word, its own place facet value)
OWN = {"T-WITHDRAW": ("glimmerbrook", "Wexhollow"), "T-SCOPE": ("ashfenwick", "Scopeton"),
       "T-EMBARGO": ("brindlemarsh", "Embarwick"), "T-PUBLISH": ("corvantis", "Pubhaven"),
       "T-EDIT": ("dravelholt", "Editmoor"), "T-KILL": ("ferroway", "Killby"),
       "T-REDACT": ("hollowquay", "Redmarsh"), "T-AUTH": ("juniperholt", "Varnholt")}


def _seed_document() -> dict:
    items = [_testimony(a, *OWN[a]) for a in OWN if a not in ("T-PUBLISH", "T-REDACT")]
    items.append(_testimony("T-PUBLISH", *OWN["T-PUBLISH"], state="in_review"))
    redact = _testimony("T-REDACT", *OWN["T-REDACT"])
    redact["transcripts"][0]["text"] += " " + REDACT_TEXT
    items.append(redact)
    places = [{"id": f"place:{p.lower()}", "type": "place", "label": p} for _, p in OWN.values()]
    return parse_document({"format": "testimony-archive/1", "collections": [{"id": "alpha", "title": "Alpha"}],
                           "authorities": places, "testimonies": items})


@dataclass
class Cluster:
    url: str                       # the database
    env: dict[str, str]            # what README gives every server
    root: object
    servers: dict[str, servers.LiveServer]

    def start(self, name: str, **kw) -> servers.LiveServer:
        instance = self.root / name
        env = {**self.env, "ARCHIVE_INSTANCE_PATH": str(instance), **kw.pop("env", {})}
        self.servers[name] = servers.start(instance, env, **kw)
        return self.servers[name]

    def __getattr__(self, name: str) -> str:
        """cluster.a, .b, .c: a server's base URL."""
        try:
            return self.__dict__["servers"][name].url
        except KeyError:
            raise AttributeError(name) from None

    def archive(self) -> Archive:
        """The archive as a script on another machine would open it (to check the database itself)."""
        return Archive(self.url, self.root / "probe" / "indexes", self.root / "media", search_engine="postgresql")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_url):
    if postgres_url is None:
        pytest.skip("PostgreSQL not reachable (set ARCHIVE_TEST_DATABASE_URL); CI runs these")
    import psycopg
    root = tmp_path_factory.mktemp("multi")
    database = f"multi_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    # Nothing of the caller's ARCHIVE_* settings: only what README tells an operator to give each server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env.update(ARCHIVE_DATABASE_URL=url, ARCHIVE_SEARCH_ENGINE="postgresql",
               ARCHIVE_SECRET_KEY=secrets.token_hex(32), ARCHIVE_MEDIA_DIR=str(root / "media"),
               ARCHIVE_SESSION_COOKIE_SECURE="false", ARCHIVE_JOB_QUEUE="immediate",
               ARCHIVE_PUBLIC_URL="https://archive.example.org",   # (README: the address behind the proxy)
               ARCHIVE_TWO_PERSON_RULE="false", ARCHIVE_DISK_RESERVE_MB="1", PYTHONUNBUFFERED="1")
    made = Cluster(url, env, root, {})
    try:
        seed = Archive(url, root / "a" / "indexes", root / "media", search_engine="postgresql")
        try:
            seed.init()
            seed.transfer.import_document(SYSTEM, _seed_document())
            seed.users.add(SYSTEM, STAFF, "archivist", PASSWORD)
            seed.users.add(SYSTEM, READER, "researcher", PASSWORD)
        finally:
            seed.close()
        # A's worker kills itself in the middle of a write that touches T-KILL (the kill test); B and C
        # are plain servers.
        made.start("a", command=["-c", killing.SERVE_KILLED_MID_WRITE], env={"KILL_ON": "T-KILL"})
        made.start("b")
        made.start("c")
        for server in made.servers.values():
            server.wait_until_it_answers()
        yield made
    finally:
        servers.discard_all(made.servers.values())
        with psycopg.connect(_raw(postgres_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# -- a reader's surfaces --------------------------------------------------------------------------

SURFACES = ("search page", "API search", "CSV export", "JSON export", "suggestions", "facets",
            "testimony page", "API record", "citation", "API citation", "OAI-PMH", "collection page")
OAI_RECORD = re.compile(r"<record>.*?</record>", re.S)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _fold(text: str) -> str:
    return re.sub("[\u00ad\u200b-\u200f\u2060\ufeff]", "", text).lower()


def _oai_live(base: str, accession: str, oai_word: str) -> bool:
    """A harvester's view: a live (not deleted) oai_dc record of the testimony holding `oai_word`."""
    xml = requests.get(f"{base}/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}).text
    mine = [r for r in OAI_RECORD.findall(xml) if f"{accession}</identifier>" in r]
    return any('status="deleted"' not in r and oai_word.lower() in r.lower() for r in mine)


def shows(base: str, accession: str, query: str, *, word: str, prefix: str, place: str,
          cite_word: str = "", oai_word: str = "", reader: requests.Session | None = None) -> dict[str, bool]:
    """Whether each surface a reader has shows the testimony: found by `query` (search page, API, CSV and
    JSON exports), `word` offered for `prefix` (suggestions), its `place` counted (facets), `word` on its
    page and in its API record, `cite_word` in its citations, a live OAI-PMH record holding `oai_word`
    (public: a harvester never signs in), listed on its collection's page. Anonymous unless `reader`."""
    get = (reader or requests).get
    link = f"/testimonies/{accession}"
    api = get(f"{base}/api/v1/search", params={"q": query}).json()
    facets = get(f"{base}/api/v1/search", params={"q": ""}).json()["facets"]
    page, record = get(f"{base}/testimonies/{accession}"), get(f"{base}/api/v1/testimonies/{accession}")
    cite = get(f"{base}/testimonies/{accession}/cite", params={"style": "chicago"})
    api_cite = get(f"{base}/api/v1/testimonies/{accession}/citation")
    exports = {fmt: get(f"{base}/search/export.{fmt}", params={"q": query}) for fmt in ("csv", "json")}
    assert exports["csv"].status_code == exports["json"].status_code == 200
    return {
        "search page": f'href="{link}' in get(f"{base}/search", params={"q": query}).text,
        "API search": accession in [t["accession_id"] for t in api["testimonies"]],
        "CSV export": any(accession in row for row in csv.reader(io.StringIO(exports["csv"].text))),
        "JSON export": f'"{accession}"' in exports["json"].text,
        "suggestions": word.lower() in get(f"{base}/api/v1/suggest", params={"q": prefix}).json()["suggestions"],
        "facets": place.lower() in json.dumps(facets).lower(),
        "testimony page": page.status_code == 200 and word.lower() in _fold(page.text),
        "API record": record.status_code == 200 and word.lower() in _fold(json.dumps(record.json(), ensure_ascii=False)),
        "citation": cite.status_code == 200 and cite_word in cite.text,
        "API citation": api_cite.status_code == 200 and cite_word in api_cite.text,
        "OAI-PMH": _oai_live(base, accession, oai_word or accession),
        "collection page": f'href="{link}"' in get(f"{base}/collections/alpha").text,
    }


def every(value: bool, **but: bool) -> dict[str, bool]:
    return {s: but.get(s.replace(" ", "_").replace("-", "_"), value) for s in SURFACES}


def sign_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/signin").text).group(1)
    response = session.post(f"{base}/signin", data={"username": username, "password": PASSWORD,
                                                    "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302, f"sign-in as {username} failed"
    return session


def submit(session: requests.Session, base: str, page: str, action: str, changes: dict) -> requests.Response:
    """Fill the form whose action is `action` on `page` as a browser would (its current values, its CSRF
    token), change some fields and send it."""
    doc = lxml.html.fromstring(session.get(base + page).text)
    form = next(f for f in doc.forms if ((f.get("action") or page).split("?")[0]) == action)
    values = dict(form.form_values())
    values.update(changes)
    return session.post(base + action, data=values, allow_redirects=False)


def _errors(response: requests.Response) -> list[str]:
    doc = lxml.html.fromstring(response.text)
    return [" ".join(e.text_content().split()) for e in doc.xpath('//*[contains(@class, "error")]')]


def _words(accession: str) -> dict:
    word, place = OWN[accession]
    return {"query": word, "word": word, "prefix": word[:5], "place": place}


def _redaction(accession: str, text: str) -> dict:
    transcript = next(t for t in _seed_document()["testimonies"] if t["id"] == accession)["transcripts"][0]["text"]
    start = transcript.index(text)
    return {"transcript": "en", "start": str(start), "end": str(start + len(text)), "text": text, "field": "",
            "category": "person", "replacement": "[name withheld]", "visible_to": "archivist"}


# (what, testimony, (page, form action, changes), what a reader's surfaces say: before, after; the words)
CHANGES = [
    ("withdrawal", "T-WITHDRAW", ("/staff/testimonies/T-WITHDRAW/withdraw", "/staff/testimonies/T-WITHDRAW/withdraw",
                                  {"reason": "the narrator asked"}), every(True), every(False), {}),
    ("redaction of a plain name", "T-REDACT",
     ("/staff/testimonies/T-REDACT", "/staff/testimonies/T-REDACT/redactions", _redaction("T-REDACT", CANARY)),
     every(True), every(False, facets=True, citation=True, API_citation=True, OAI_PMH=True, collection_page=True),
     {"query": CANARY, "word": CANARY, "prefix": CANARY[:5]}),
    ("redaction of a disguised name", "T-REDACT",
     ("/staff/testimonies/T-REDACT", "/staff/testimonies/T-REDACT/redactions", _redaction("T-REDACT", DISGUISED)),
     every(True), every(False, facets=True, citation=True, API_citation=True, OAI_PMH=True, collection_page=True),
     {"query": f'"{LATIN_TERM}"', "word": "quillan", "prefix": "quill"}),
    ("scope narrowed to researchers", "T-SCOPE",
     ("/staff/testimonies/T-SCOPE/consent", "/staff/testimonies/T-SCOPE/consent", {"scope": "researchers"}),
     every(True), every(False), {}),
    ("embargo set", "T-EMBARGO",
     ("/staff/testimonies/T-EMBARGO/consent", "/staff/testimonies/T-EMBARGO/consent", {"embargo_until": "2099-01-01"}),
     every(True), every(False), {}),
    ("publication", "T-PUBLISH",
     ("/staff/testimonies/T-PUBLISH", "/staff/testimonies/T-PUBLISH/state", {"state": "published"}),
     every(False), every(True), {}),
    ("edit of the title and date", "T-EDIT",
     ("/staff/testimonies/T-EDIT/edit", "/staff/testimonies/T-EDIT/edit",
      {"title": "The Yarrowmere crossing", "interview_date": "1897"}),
     every(False, collection_page=True), every(True),   # (the new date's decade: a facet value no other has)
     {"query": "yarrowmere", "word": "Yarrowmere", "prefix": "yarro", "place": "1890", "cite_word": "Yarrowmere",
      "oai_word": "Yarrowmere"}),
    # An authority's new label reaches every testimony naming it: their index rows and records (facets count
    # the authority's key; the label they show is checked below).
    ("place authority relabelled", "T-AUTH",
     ("/staff/records/authorities/place:varnholt", "/staff/records/authorities/place:varnholt",
      {"label": "Quennelby"}),
     every(False, facets=True, citation=True, API_citation=True, collection_page=True), every(True),
     {"query": "quennelby", "word": "quennelby", "prefix": "quenn", "oai_word": "Quennelby"}),
]


def a_change_through_one_server_shows_on_every_other_at_the_next_request(cluster):
    assert search_would_match(REDACT_TEXT, LATIN_TERM)     # the disguise is one the public index would find
    staff = sign_in(cluster.a, STAFF)
    researcher = sign_in(cluster.a, READER)   # signed in at A, read at B and C: one SECRET_KEY
    wrong = []
    for what, accession, (page, action, changes), before, after, words in CHANGES:
        words = {**_words(accession), **words}
        readers = [(name, None) for name in ("b", "c")]
        if what.startswith("scope"):
            readers.append(("c", researcher))
        for name, reader in readers:   # (also fills whatever each server holds between requests)
            seen = shows(getattr(cluster, name), accession, reader=reader, **words)
            if seen != (before if reader is None else every(True)):   # (a harvester is the public)
                wrong.append(f"before the {what}, server {name.upper()}{' (researcher)' if reader else ''}: {seen}")
        response = submit(staff, cluster.a, page, action, changes)
        assert response.status_code == 302, f"{what} through A: {response.status_code} {_errors(response)}"
        for name, reader in readers:   # the very next request: no sleep, no retry
            seen = shows(getattr(cluster, name), accession, reader=reader, **words)
            expected = after if reader is None else every(True, OAI_PMH=False)
            if seen != expected:
                wrong.append(f"after the {what}, server {name.upper()}{' (researcher)' if reader else ''} "
                             f"differs on {[s for s in SURFACES if seen[s] != expected[s]]}")
    for name in ("b", "c"):    # the facet list and the testimony page name the place by its new label only
        for page in ("/search?q=", "/testimonies/T-AUTH"):
            text = requests.get(getattr(cluster, name) + page).text
            if "Quennelby" not in text or "Varnholt" in text:
                wrong.append(f"server {name.upper()}'s {page} still names the place by its old label")
    assert wrong == [], "\n".join(wrong)


def a_server_killed_in_the_middle_of_a_withdrawal_leaves_the_others_answering_and_nothing_changed(cluster):
    """A's worker is killed (SIGKILL) after the withdrawal's index rows went into its transaction, before
    its commit: B and C go on answering, and the database holds none of the withdrawal."""
    words = _words("T-KILL")
    for base in (cluster.b, cluster.c):
        assert shows(base, "T-KILL", **words) == every(True)
    staff = sign_in(cluster.a, STAFF)
    with pytest.raises(requests.ConnectionError):
        submit(staff, cluster.a, "/staff/testimonies/T-KILL/withdraw", "/staff/testimonies/T-KILL/withdraw",
               {"reason": "killed mid-way"})
    for base in (cluster.b, cluster.c):
        assert shows(base, "T-KILL", **words) == every(True)
    archive = cluster.archive()
    try:
        assert archive.testimonies.get(SYSTEM, "T-KILL")["consent"]["status"] == "granted"
        assert all(found == {"missing": [], "unexpected": []} for found in archive.index.check(SYSTEM).values())
    finally:
        archive.close()
    cluster.servers["a"].wait_until_it_answers()    # gunicorn started A a new worker
    assert shows(cluster.a, "T-KILL", **words) == every(True)


def _exported(base: str, query: str) -> set[str]:
    response = requests.get(f"{base}/search/export.json", params={"q": query})
    assert response.status_code == 200
    return set(re.findall(r'"(MSK-\d{4})"', response.text))


def an_import_killed_at_a_random_moment_leaves_the_others_answering_and_whole_batches(cluster, tmp_path):
    """A process importing into the same database is killed (SIGKILL) at a random moment while B and C are
    read: every read answers, and what was imported is whole batches (ten testimonies per transaction), as
    the database holds them, on every server, with no repair."""
    data = killing.many(30, prefix="MSK")
    answers, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            for base in (cluster.b, cluster.c):
                answers.append(requests.get(f"{base}/api/v1/search", params={"q": "smuggling"}).status_code)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        killing.run_child(cluster.url, tmp_path, "import", data, delay=random.Random(13).uniform(0.5, 2.0),
                          engine="postgresql")
    finally:
        stop.set()
        reader.join()
    assert answers and set(answers) == {200}
    found = _exported(cluster.b, "smuggling")
    assert len(found) % 10 == 0 and found == {f"MSK-{i:04d}" for i in range(len(found))}
    assert _exported(cluster.c, "smuggling") == found
    archive = cluster.archive()
    try:
        assert all(found == {"missing": [], "unexpected": []} for found in archive.index.check(SYSTEM).values())
    finally:
        archive.close()


def a_server_started_later_answers_as_the_others_with_no_reindex(cluster):
    archive = cluster.archive()
    try:
        generations = {a: archive.indexes.version(a) for a in ("public", "researcher", "staff")}
        d = cluster.start("d")
        d.wait_until_it_answers()
        assert {a: archive.indexes.version(a) for a in generations} == generations   # nothing rebuilt
    finally:
        archive.close()
    paths = ["/api/v1/search?q=", "/api/v1/search?q=mill", "/api/v1/search?q=mill&sort=date",
             "/api/v1/suggest?q=gli", "/api/v1/testimonies?per_page=100", "/api/v1/collections",
             "/api/v1/testimonies/T-EDIT", "/api/v1/testimonies/T-EDIT/citation", "/search/export.json?q=mill"]
    for path in paths:
        theirs, ours = requests.get(cluster.b + path), requests.get(d.url + path)
        assert (theirs.status_code, theirs.json()) == (ours.status_code, ours.json()), path
    for path in ["/search?q=mill", "/testimonies/T-WITHDRAW", "/testimonies/T-REDACT", "/search/export.csv?q=mill"]:
        theirs, ours = requests.get(cluster.b + path), requests.get(d.url + path)
        assert (theirs.status_code, CSRF.sub("", theirs.text)) == (ours.status_code, CSRF.sub("", ours.text)), path


def test_several_servers_answer_as_one(cluster, subtests, tmp_path):
    with subtests.test("a change through one server shows on every other at the next request"):
        a_change_through_one_server_shows_on_every_other_at_the_next_request(cluster)
    with subtests.test("a server killed in the middle of a withdrawal leaves the others answering, nothing changed"):
        a_server_killed_in_the_middle_of_a_withdrawal_leaves_the_others_answering_and_nothing_changed(cluster)
    with subtests.test("an import killed at a random moment leaves the others answering and whole batches"):
        an_import_killed_at_a_random_moment_leaves_the_others_answering_and_whole_batches(cluster, tmp_path)
    with subtests.test("a server started later answers as the others, with no reindex"):
        a_server_started_later_answers_as_the_others_with_no_reindex(cluster)
