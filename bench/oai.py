"""Time and SQL statements of OAI-PMH requests (/oai) at a given archive size, through the Flask test
client: a page's cost must not grow with the archive (same statement count at every size).

    python bench/oai.py [--n 1000] [--words 600] [--repeats 20] [--keep DIR | --reuse DIR]

Imports a synthetic corpus (bench/generate.py, cached in bench/out/) as bench/pages.py does, then asks
Identify, ListSets, the first and a resumed page of ListIdentifiers and ListRecords (50 each), a
ListRecords page selected by `from`, and GetRecord. Figures go to bench/out/oai-<n>.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event  # noqa: E402

from archive.oai import OAI  # noqa: E402
from archive.services import Archive  # noqa: E402
from bench.pages import build, measure  # noqa: E402
from bench.run import OUT, machine, workdir  # noqa: E402

console = Console(stderr=True)


def _token(client, url: str) -> str:
    root = etree.fromstring(client.get(url).get_data())
    token = root.find(f".//{{{OAI}}}resumptionToken")
    if token is None or not token.text:
        raise SystemExit(f"{url}: one page only; use a larger --n")
    return token.text


def run(args) -> dict:
    from app import create_app

    figures: dict = {"n": args.n, "words_per_testimony": args.words, "repeats": args.repeats,
                     "date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine()}
    with workdir(args) as work:
        url = f"sqlite:///{work / 'archive.db'}"
        archive = Archive(url, work / "indexes", work / "media", search_engine="sqlite")
        try:
            archive.init()
            if args.reuse is None:
                build(archive, args, work, figures)
        finally:
            archive.close()
        app = create_app({"INSTANCE_PATH": str(work / "instance"), "DATABASE_URL": url,
                          "INDEX_DIR": str(work / "indexes"), "MEDIA_DIR": str(work / "media"),
                          "SEARCH_ENGINE": "sqlite", "TESTING": True, "SECRET_KEY": "bench-only-key"})
        try:
            statements = [0]

            def count(*_):
                statements[0] += 1
            event.listen(app.extensions["archive"].db.engine, "before_cursor_execute", count)
            client = app.test_client()
            first = etree.fromstring(client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").get_data())
            some = first.findtext(f".//{{{OAI}}}identifier")
            since = first.findtext(f".//{{{OAI}}}datestamp")[:10]
            requests = {
                "Identify": "/oai?verb=Identify",
                "ListSets": "/oai?verb=ListSets",
                "ListIdentifiers": "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
                "ListIdentifiers, resumed": "/oai?verb=ListIdentifiers&resumptionToken="
                + _token(client, "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc"),
                "ListRecords": "/oai?verb=ListRecords&metadataPrefix=oai_dc",
                "ListRecords, resumed": "/oai?verb=ListRecords&resumptionToken="
                + _token(client, "/oai?verb=ListRecords&metadataPrefix=oai_dc"),
                "ListRecords, from": f"/oai?verb=ListRecords&metadataPrefix=oai_dc&from={since}",
                "GetRecord": f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={some}",
            }
            figures["requests"] = {}
            for name, path in requests.items():
                console.log(name)
                figures["requests"][name] = measure(client, path, args.repeats, statements)
        finally:
            app.extensions["archive"].close()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"oai-{args.n}.json"
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    console.log(f"figures -> {path}")
    return figures


def show(figures: dict) -> Table:
    table = Table(title=f"OAI-PMH at n = {figures['n']} ({figures['repeats']} requests each)")
    for column in ("request", "wall p50 ms", "wall p95 ms", "CPU p50 ms", "SQL statements", "KB"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for name, f in figures["requests"].items():
        table.add_row(name, f"{f['wall_p50_ms']:.1f}", f"{f['wall_p95_ms']:.1f}", f"{f['cpu_p50_ms']:.1f}",
                      str(f["statements"]), f"{f['bytes'] / 1000:.0f}")
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="testimonies in the corpus")
    parser.add_argument("--words", type=int, default=600, help="average words per transcript")
    parser.add_argument("--repeats", type=int, default=20, help="timed requests per request type")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="build the archive in DIR and leave it there")
    parser.add_argument("--reuse", metavar="DIR", help="measure the archive --keep left in DIR")
    args = parser.parse_args(argv)
    figures = run(args)
    Console(width=160).print(show(figures))


if __name__ == "__main__":
    main()
