"""Time of each page type (home, collections, a collection, the API's lists, the dashboard, the audit
log) at a given archive size, through the Flask test client: no server, no network.

    python bench/pages.py [--n 1000] [--words 600] [--engine whoosh|sqlite] [--repeats 20]
                          [--keep DIR | --reuse DIR]

Imports a synthetic corpus (bench/generate.py, cached in bench/out/) into a fresh archive, or reuses
one left by `--keep` here or by `bench/run.py --keep`, signs in an archivist, requests each page
`--repeats` times after one warm-up request, and prints wall and CPU time per request (p50, p95),
the SQL statements each request ran and the size of the page. Figures go to
bench/out/pages-<n>[-<engine>].json. A page whose cost does not grow with the archive shows the same
statement count, and about the same time, at 1,000 and 10,000 testimonies.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event  # noqa: E402

from archive.identity import SYSTEM  # noqa: E402
from archive.search import ENGINES  # noqa: E402
from archive.services import Archive  # noqa: E402
from bench import generate as gen  # noqa: E402
from bench.run import OUT, corpus_path, machine, percentile, workdir  # noqa: E402

STAFF, PASSWORD = "bench-pages-archivist", "bench pages password, not a secret"
console = Console(stderr=True)


def pages(collection: str, last_page: int) -> dict[str, tuple[str, str]]:
    """Page type -> (who asks, URL)."""
    return {
        "home": ("public", "/"),
        "collections": ("public", "/collections"),
        "collection": ("public", f"/collections/{collection}"),
        "collection, last page": ("public", f"/collections/{collection}?page={last_page}"),
        "api testimonies": ("public", "/api/v1/testimonies"),
        "api testimonies, last page": ("public", f"/api/v1/testimonies?page={last_page}"),
        "api collections": ("public", "/api/v1/collections"),
        "staff home": ("archivist", "/"),
        "dashboard": ("archivist", "/staff/"),
        "audit log": ("archivist", "/staff/audit"),
    }


def build(archive: Archive, args, work: Path, figures: dict) -> None:
    corpus = corpus_path(args.n, args.words, args.seed)
    if not corpus.exists():
        console.log(f"generating {args.n} testimonies -> {corpus}")
        OUT.mkdir(parents=True, exist_ok=True)
        gen.write_corpus(args.n, corpus, args.words, args.seed)
    console.log("importing")
    started = time.perf_counter()
    archive.transfer.import_file(SYSTEM, corpus)
    figures["import_s"] = time.perf_counter() - started


def measure(client, url: str, repeats: int, statements: list[int]) -> dict:
    response = client.get(url)  # warms what is kept between requests (an index snapshot, a searcher)
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    wall, cpu, counts = [], [], []
    for _ in range(repeats):
        statements[0] = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        counts.append(statements[0])
    return {"url": url, "wall_p50_ms": percentile(wall, 0.5), "wall_p95_ms": percentile(wall, 0.95),
            "cpu_p50_ms": percentile(cpu, 0.5), "cpu_p95_ms": percentile(cpu, 0.95),
            "statements": max(counts), "bytes": len(response.data)}


def run(args) -> dict:
    from app import create_app

    figures: dict = {"n": args.n, "words_per_testimony": args.words, "engine": args.engine,
                     "repeats": args.repeats, "date": dt.datetime.now().isoformat(timespec="seconds"),
                     "machine": machine()}
    with workdir(args) as work:
        url = f"sqlite:///{work / 'archive.db'}"
        archive = Archive(url, work / "indexes", work / "media", search_engine=args.engine)
        try:
            archive.init()
            if args.reuse is None:
                build(archive, args, work, figures)
            if not any(u["username"] == STAFF for u in archive.users.list(SYSTEM)):
                archive.users.add(SYSTEM, STAFF, "archivist", PASSWORD)
        finally:
            archive.close()
        app = create_app({"INSTANCE_PATH": str(work / "instance"), "DATABASE_URL": url,
                          "INDEX_DIR": str(work / "indexes"), "MEDIA_DIR": str(work / "media"),
                          "SEARCH_ENGINE": args.engine, "TESTING": True, "SESSION_COOKIE_SECURE": False,
                          "SECRET_KEY": "bench-only-key", "SIGNIN_PENALTY": "1000 per minute"})
        try:
            statements = [0]

            def count(*_):
                statements[0] += 1
            event.listen(app.extensions["archive"].db.engine, "before_cursor_execute", count)
            public, staff = app.test_client(), app.test_client()
            page = staff.get("/signin").get_data(as_text=True)
            token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
            signed = staff.post("/signin", data={"username": STAFF, "password": PASSWORD, "csrf_token": token})
            if signed.status_code != 302:
                raise SystemExit("could not sign in the benchmark's archivist")
            collections = public.get("/api/v1/collections").get_json()["collections"]
            biggest = max(collections, key=lambda c: c["count"])
            # (20: before the setting existed, to measure an older version the same way)
            last = max(1, -(-biggest["count"] // int(app.config.get("LIST_PAGE_SIZE", 20))))
            figures["indexed_public"] = public.get("/api/v1/testimonies").get_json()["total"]
            figures["pages"] = {}
            for name, (who, path) in pages(biggest["id"], last).items():
                console.log(name)
                figures["pages"][name] = measure(public if who == "public" else staff, path, args.repeats, statements)
        finally:
            app.extensions["archive"].close()
    suffix = "" if args.engine == "whoosh" else f"-{args.engine}"
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"pages-{args.n}{suffix}.json"
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    console.log(f"figures -> {path}")
    return figures


def show(figures: dict) -> Table:
    table = Table(title=f"Pages at n = {figures['n']} ({figures['engine']} engine, "
                        f"{figures['repeats']} requests each)")
    for column in ("page", "wall p50 ms", "wall p95 ms", "CPU p50 ms", "CPU p95 ms", "SQL statements", "KB"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for name, f in figures["pages"].items():
        table.add_row(name, f"{f['wall_p50_ms']:.1f}", f"{f['wall_p95_ms']:.1f}", f"{f['cpu_p50_ms']:.1f}",
                      f"{f['cpu_p95_ms']:.1f}", str(f["statements"]), f"{f['bytes'] / 1000:.0f}")
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="testimonies in the corpus")
    # Transcript length changes no list page's cost, and short ones import quickly.
    parser.add_argument("--words", type=int, default=600, help="average words per transcript")
    parser.add_argument("--engine", choices=ENGINES, default="sqlite")
    parser.add_argument("--repeats", type=int, default=20, help="timed requests per page type")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="build the archive in DIR and leave it there")
    parser.add_argument("--reuse", metavar="DIR", help="measure the archive --keep (here or in run.py) left in DIR")
    args = parser.parse_args(argv)
    figures = run(args)
    Console(width=160).print(show(figures))


if __name__ == "__main__":
    main()
