"""Search pages of a kept archive, in process: their CPU per query type, and the pages themselves to
compare two versions of the code hit for hit.

    python bench/search_pages.py DIR [--engine sqlite] [--rounds 3] [--dump FILE] [--compare FILE]
                                     [--render] [--profile FILE]

DIR is an archive `bench/run.py --keep DIR` built. Every query of run.py's pools (common, rare, AND,
phrase, field + facet, Arabic, misspelt) and a few more kinds (prefix, wildcard, NOT, fields, other
sorts and pages) is searched `--rounds` times as the public; a query type's CPU p50 / p95 is over all
its searches, each search's figure the least of its rounds (the machine is shared: the least is the
one the least disturbed by other processes). `--dump` writes every page (testimonies, scores, hits and
their snippets, facets, totals) as JSON; `--compare` reads an earlier dump and prints each page that
differs. `--render` also gets each page through the web app (GET /search, a test client) and shows
the request's CPU beyond the search (route, template, labels, languages). `--profile` writes cProfile's statistics of one round to FILE.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.identity import ANONYMOUS  # noqa: E402
from archive.services import Archive  # noqa: E402
from bench.run import PAGESIZE, percentile, query_pools  # noqa: E402


def queries(seed: int) -> dict[str, list[tuple[str, dict | None, dict]]]:
    """run.py's pools, each query once, and a few kinds it does not time."""
    pools = {kind: [(q, json.loads(f), {}) for q, f in dict.fromkeys((q, json.dumps(f)) for q, f in pool)]
             for kind, pool in query_pools(random.Random(seed)).items()}
    common = [q for q, _, _ in pools["common term"]][:6]
    pools["prefix"] = [(q[:4] + "*", None, {}) for q in common]
    pools["wildcard"] = [(q[:2] + "?" + q[3:5] + "*", None, {}) for q in common]
    pools["NOT"] = [(f"{a} NOT {b}", None, {}) for a, b in zip(common, common[1:])]
    pools["fields"] = [(f"title:{a} OR summary:{b}", None, {}) for a, b in zip(common, common[1:])]
    pools["other pages"] = [(q, None, {"page": 2}) for q in common[:3]] + \
        [(q, None, {"sort": "-date"}) for q in common[3:]]
    return pools


def page(result) -> dict:
    return {"total": result.total, "error": result.error, "suggestion": result.suggestion,
            "facets": {k: [list(v) for v in vs] for k, vs in result.facets.items()},
            "testimonies": [[t.accession_id, t.title, round(t.score, 6),
                             [[h.doc_id, h.kind, h.seq, h.transcript, h.start, h.end, h.title, h.snippet_html,
                               round(h.score, 6)] for h in t.hits]] for t in result.testimonies]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--render", action="store_true")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)

    archive = Archive(f"sqlite:///{args.dir / 'archive.db'}", args.dir / "indexes", args.dir / "media",
                      search_engine=args.engine)
    archive.init()
    pools = queries(args.seed)
    render = _renderer(archive) if args.render else None
    search = archive.search.search
    search(ANONYMOUS, "border", None, page=1, pagesize=PAGESIZE)  # opens the index files
    best: dict[tuple, list[float]] = {}
    pages: dict[str, dict] = {}
    profile = cProfile.Profile() if args.profile else None
    for round_ in range(args.rounds):
        if profile and round_ == args.rounds - 1:
            profile.enable()
        for kind, pool in pools.items():
            for query, filters, extra in pool:
                key = (kind, query, json.dumps(filters), json.dumps(extra))
                cpu = time.process_time()
                result = search(ANONYMOUS, query, filters, page=extra.get("page", 1), pagesize=PAGESIZE,
                                sort=extra.get("sort", "relevance"))
                searched = (time.process_time() - cpu) * 1000
                rendered = render(query, filters, extra, result, searched) if render else 0.0
                figures = best.setdefault(key, [float("inf"), float("inf")])
                figures[0] = min(figures[0], searched)
                figures[1] = min(figures[1], rendered)
                pages["%s | %s | %s" % key[1:]] = page(result)
        if profile and round_ == args.rounds - 1:
            profile.disable()
    archive.close()

    print("%-22s %8s %8s %8s %8s" % ("query type", "cpu p50", "cpu p95", "render50", "render95"))
    for kind in pools:
        cpus = [v[0] for k, v in best.items() if k[0] == kind]
        renders = [v[1] for k, v in best.items() if k[0] == kind]
        print("%-22s %8.1f %8.1f %8.1f %8.1f" % (kind, statistics.median(cpus), percentile(cpus, 0.95),
                                                statistics.median(renders), percentile(renders, 0.95)))
    print("slowest:", "; ".join("%s %r %.1f ms" % (k[0], k[1], v[0])
                                for k, v in sorted(best.items(), key=lambda kv: -kv[1][0])[:5]))
    everything = [v[0] for v in best.values()]
    print("all %d searches: mean %.1f ms CPU" % (len(everything), statistics.mean(everything)))
    if profile:
        with args.profile.open("w") as out:
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(40)
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
    if args.dump:
        args.dump.write_text(json.dumps(pages, ensure_ascii=False, indent=0))
    if args.compare:
        before = json.loads(args.compare.read_text())
        differ = [k for k in pages if before.get(k) != pages[k]]
        for k in differ[:10]:
            print("DIFFERS:", k)
            _first_difference(before.get(k), pages[k])
        print("%d of %d pages differ from %s" % (len(differ), len(pages), args.compare))


def _first_difference(a, b, path="") -> None:
    if type(a) is not type(b) or not isinstance(a, (dict, list)):
        if a != b:
            print("  at %s:\n    before %r\n    after  %r" % (path, a, b))
        return
    if isinstance(a, dict):
        for k in a.keys() | b.keys():
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), path + "/" + str(k))
    else:
        if len(a) != len(b):
            print("  at %s: %d items before, %d after" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, "%s[%d]" % (path, i))


def _renderer(archive):
    """The results page as a browser gets it: GET /search through the web app (a test client over
    `archive`), so the route, its template and whatever it asks of the archive are timed as served. The
    search itself runs again in the request; the figure shown is the request's CPU less the search's."""
    import tempfile
    from urllib.parse import urlencode

    from app import create_app

    instance = tempfile.mkdtemp(prefix="search-pages-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": instance,
                      "DATABASE_URL": archive.db.url, "INDEX_DIR": str(archive.indexes.root),
                      "MEDIA_DIR": instance + "/media", "SEARCH_ENGINE": archive.indexes.engine})
    app.extensions["archive"].close()
    app.extensions["archive"] = archive
    client = app.test_client()

    def render(query, filters, extra, result, searched_ms):
        arguments = [("q", query)] + [(k, v) for k, vs in (filters or {}).items() for v in vs] + \
            [(k, str(v)) for k, v in extra.items()]
        cpu = time.process_time()
        answer = client.get("/search?" + urlencode(arguments))
        spent = (time.process_time() - cpu) * 1000
        if answer.status_code != 200:
            raise SystemExit("GET /search %s answered %d" % (arguments, answer.status_code))
        return spent - searched_ms
    return render


if __name__ == "__main__":
    main()
