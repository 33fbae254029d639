"""HTTP load: serve an archive with the README's command and drive it with wrk, page type by page type.

    python bench/http_load.py [--n 1000] [--words 6000] [--engine sqlite|whoosh|postgresql] [--duration 15]
                         [--connections 50] [--threads 2] [--workers 2] [--pages home,search mix,...]
                         [--archive DIR] [--rebuild] [--backend sqlite|postgresql] [--servers K]
                         [--withdrawals] [--importers K]

Builds an archive of N generated testimonies (bench/generate.py; the corpus is cached in bench/out/)
into bench/out/http-<n>-w<words>-s<seed>-<engine>/, or reuses the one a previous run built there (a
finished build leaves `built.json`; a half-built one is thrown away). Serves it with
`python -m app serve --workers 2` (gunicorn) on a free local port, then runs wrk against each page type
for --duration seconds with --connections clients: home, a search mix (common word, AND, phrase,
Arabic, facet filter) and each of its kinds alone, a testimony page, the API's list and search. Each
page type cycles through its own list of URLs. Reports pages/s, latency p50/p95/p99 (wrk's), errors
(non-2xx answers and socket errors), the workers' CPU per page and their RSS (from /proc), and the load
average. Figures go to bench/out/http-<n>-<engine>.json.

Several servers (issue 13): `--backend postgresql --engine postgresql --servers 2` builds the archive in a
PostgreSQL database of its own (bench_http_<n>_<engine>, kept for later runs) and serves it from K servers,
each with its own instance folder and the shared secret key and media folder, as README's "Running on
several machines" says; wrk drives every server at once (connections split between them) and the
figures add up pages/s and take the worst server's percentiles. `--withdrawals` withdraws testimonies
(through the archive's service, as the CLI does) during the search mix's load and, as soon as each call
returns, asks every server's search API for a word of that testimony only: the count of servers that
still found it must be 0.

Needs `wrk` (Debian: `apt-get install wrk`). Not called http.py: running any script in bench/ puts bench/
first on sys.path, where an http.py would shadow the standard library's `http`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench import generate as gen  # noqa: E402
from bench.run import OUT, PG_DEFAULT, corpus_path, machine, query_pools  # noqa: E402

console = Console(stderr=True)
CLK_TCK = os.sysconf("SC_CLK_TCK")
SEARCH_KINDS = {"common": "common term", "AND": "two-term AND", "phrase": "phrase", "Arabic": "Arabic term",
                "facet": "field + facet filter"}
PAGE_TYPES = ["home", "search mix", *[f"search: {k}" for k in SEARCH_KINDS], "testimony", "api list",
              "api search"]

WRK_SCRIPT = """
local paths = {%(paths)s}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non2xx = 0
  counter = math.random(#paths)
end
function request()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter])
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "socket_errors": %%d, "timeouts": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


# -- the archive ---------------------------------------------------------------------------------
def archive_dir(args) -> Path:
    if args.archive:
        return Path(args.archive).resolve()
    tag = "-pg" if args.backend == "postgresql" else ""
    return OUT / f"http-{args.n}-w{args.words}-s{args.seed}-{args.engine}{tag}"


def database_url(args, work: Path) -> str:
    if args.backend == "sqlite":
        return f"sqlite:///{work / 'archive.db'}"
    base = os.environ.get("ARCHIVE_TEST_DATABASE_URL") or PG_DEFAULT
    return base.rsplit("/", 1)[0] + f"/bench_http_{args.n}_{args.engine}"


def settings(work: Path, args, server: int = 0) -> dict[str, str]:
    """The archive's settings as ARCHIVE_* environment variables (how an operator configures `serve`).
    Server k > 0 gets an instance folder of its own and shares the rest, as several machines would."""
    instance = work / ("instance" if server == 0 else f"instance-{server}")
    out = {"ARCHIVE_INSTANCE_PATH": str(instance), "ARCHIVE_DATABASE_URL": database_url(args, work),
           "ARCHIVE_INDEX_DIR": str(instance / "indexes" if server else work / "indexes"),
           "ARCHIVE_MEDIA_DIR": str(work / "media"),
           "ARCHIVE_SEARCH_ENGINE": args.engine, "ARCHIVE_SESSION_COOKIE_SECURE": "false"}
    if args.servers > 1:
        out["ARCHIVE_SECRET_KEY"] = "bench-shared-secret-key-of-several-servers"
    return out


def _create_database(url: str) -> None:
    import psycopg
    raw = url.replace("postgresql+psycopg", "postgresql")
    admin, name = raw.rsplit("/", 1)[0] + "/postgres", raw.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(args, work: Path) -> dict:
    """Import the corpus into a fresh archive in `work` (built beside it, then renamed: a build killed
    half-way is never reused)."""
    from archive.identity import SYSTEM
    from archive.services import Archive

    corpus = corpus_path(args.n, args.words, args.seed)
    if not corpus.exists():
        console.log(f"generating {args.n} testimonies -> {corpus}")
        OUT.mkdir(parents=True, exist_ok=True)
        gen.write_corpus(args.n, corpus, args.words, args.seed)
    if work.exists():
        shutil.rmtree(work)
    work.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=work.name + ".building-", dir=work.parent))
    console.log(f"importing {corpus.name} into {work} (once; later runs reuse it)")
    url = database_url(args, partial)
    if args.backend == "postgresql":
        _create_database(url)
    archive = Archive(url, partial / "indexes", partial / "media", search_engine=args.engine)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        archive.init()
        if args.importers > 1:
            import_in_parts(archive, args, corpus, url, partial)
        else:
            archive.transfer.import_file(SYSTEM, corpus)
    finally:
        archive.close()
    built = {"n": args.n, "words": args.words, "seed": args.seed, "engine": args.engine, "backend": args.backend,
             "importers": args.importers, "import_s": round(time.perf_counter() - started, 1),
             "import_cpu_s": round(time.process_time() - cpu, 1),
             "date": dt.datetime.now().isoformat(timespec="seconds")}
    (partial / "built.json").write_text(json.dumps(built, indent=1) + "\n", encoding="utf-8")
    partial.rename(work)
    return built


def import_in_parts(archive, args, corpus: Path, url: str, work: Path) -> None:
    """The corpus's collections and authorities first, then its testimonies in `--importers` processes
    at once, each importing every K-th testimony through the archive's own import (as K operators
    running `python -m app import` on parts of one file would). Only the PostgreSQL engine can take
    writers in several processes: its index rows go into each importer's own transactions."""
    import multiprocessing

    from archive.identity import SYSTEM

    document = json.loads(corpus.read_text(encoding="utf-8"))
    testimonies = document.pop("testimonies")
    head = work / "head.json"
    head.write_text(json.dumps({**document, "testimonies": []}), encoding="utf-8")
    archive.transfer.import_file(SYSTEM, head)
    parts = [head]
    for k in range(args.importers):
        part = work / f"part-{k}.json"
        part.write_text(json.dumps({"format": document["format"], "testimonies": testimonies[k::args.importers]}),
                        encoding="utf-8")
        parts.append(part)
    del testimonies, document
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_import_part, args=(url, str(work), args.engine, str(part), k))
                 for k, part in enumerate(parts[1:])]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    for part in parts:
        part.unlink()
    failed = [k for k, process in enumerate(processes) if process.exitcode != 0]
    if failed:
        raise SystemExit(f"importer(s) {failed} failed: the archive is left half-built in {work}")


def _import_part(url: str, work: str, engine: str, part: str, k: int) -> None:
    from archive.identity import SYSTEM
    from archive.services import Archive

    archive = Archive(url, Path(work) / "indexes", Path(work) / "media", search_engine=engine)
    started = time.perf_counter()

    def progress(done: int, total: int, _: str) -> None:
        if done % 200 == 0 or done == total:
            console.log(f"importer {k}: {done}/{total} in {time.perf_counter() - started:.0f} s")
    try:
        archive.transfer.import_file(SYSTEM, part, progress=progress)
    finally:
        archive.close()


# -- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    """`python -m app serve --workers W` on a free port, its access log in a file."""

    def __init__(self, work: Path, args, workers: int, number: int = 0):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(work / (f"serve-{number}.log" if number else "serve.log"), "w", encoding="utf-8")
        env = {**os.environ, **settings(work, args, number)}
        command = [sys.executable, "-m", "app", "serve", "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"`{' '.join(command)}` stopped (exit {self.process.returncode}); "
                                 f"see {work / 'serve.log'}")
            try:
                if get(self.base + "/")[0] == 200 and len(self.workers()) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"the server did not answer within 300 s; see {work / 'serve.log'}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def usage(self) -> dict:
        """Per worker: CPU seconds so far, RSS and peak RSS in MB."""
        out = {}
        for pid in self.workers():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                              if ":" in line)
            except OSError:
                continue
            out[pid] = {"cpu_s": (int(stat[11]) + int(stat[12])) / CLK_TCK,
                        "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
                        "peak_rss_mb": int(status["VmHWM"].split()[0]) / 1024}
        return out

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# -- the page types ------------------------------------------------------------------------------
def urls(base: str, rng: random.Random) -> dict[str, list[str]]:
    """Page type -> the paths it cycles through."""
    pools = query_pools(rng)
    searches: dict[str, list[str]] = {}
    for short, kind in SEARCH_KINDS.items():
        searches[short] = []
        for query, filters in pools[kind]:
            searches[short].append(urlencode({"q": query, **(filters or {})}, doseq=True, quote_via=quote))
    mix = [q for group in zip(*searches.values()) for q in group]
    listed = json.loads(get(base + "/api/v1/testimonies?per_page=100")[1])
    ids = [t["id"] for t in listed["testimonies"]]
    pages = list(range(1, min(listed["total"] // 20, 50) + 1)) or [1]
    out = {"home": ["/"], "search mix": [f"/search?{q}" for q in mix]}
    for short, queries in searches.items():
        out[f"search: {short}"] = [f"/search?{q}" for q in queries]
    out["testimony"] = [f"/testimonies/{quote(i)}" for i in ids]
    out["api list"] = [f"/api/v1/testimonies?page={p}" for p in pages]
    out["api search"] = [f"/api/v1/search?{q}" for q in mix]
    return out


def check(base: str, paths: list[str]) -> None:
    """Each URL answers 200 once before the load (and warms the workers' caches)."""
    for path in paths:
        status, _ = get(base + path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status} before the load; nothing measured")


def drive(servers: list[Server], paths: list[str], args, script_dir: Path, during=None) -> dict:
    """wrk on every server at once, the clients split between them; `during` runs beside the load."""
    script = script_dir / "pages.lua"
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths)}, encoding="utf-8")
    before, load = [s.usage() for s in servers], os.getloadavg()[0]
    spies = [spy for s in servers for spy in profile_start(s, args, script_dir)] if args.profile else []
    clients = max(1, args.connections // len(servers))
    runs = [subprocess.Popen(["wrk", "-t", str(args.threads), "-c", str(clients), "-d", f"{args.duration}s",
                              "--timeout", "60s", "-s", str(script), s.base],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in servers]
    side = during() if during else None
    outputs = [r.communicate() + (r.returncode,) for r in runs]
    after = [s.usage() for s in servers]
    profile = profile_finish(spies, args.profile_name) if spies else None
    results = []
    for stdout, stderr, code in outputs:
        line = next((l for l in stdout.splitlines() if l.startswith("RESULT ")), None)
        if code != 0 or line is None:
            raise SystemExit(f"wrk failed (exit {code}): {stderr.strip() or stdout.strip()}")
        results.append(json.loads(line[len("RESULT "):]))
    figures = {k: sum(r[k] for r in results) for k in ("requests", "non2xx", "socket_errors", "timeouts")}
    figures.update({k: max(r[k] for r in results) for k in ("duration_us", "p50_us", "p95_us", "p99_us", "max_us")})
    seconds = figures["duration_us"] / 1e6
    cpu = sum(a[p]["cpu_s"] - b.get(p, {"cpu_s": 0})["cpu_s"] for a, b in zip(after, before) for p in a)
    every = [u for a in after for u in a.values()]
    figures.update({
        "pages_per_s": figures["requests"] / seconds,
        "errors": figures["non2xx"] + figures["socket_errors"] + figures["timeouts"],
        "worker_cpu_ms_per_page": 1000 * cpu / max(1, figures["requests"]),
        "worker_rss_mb": max((u["rss_mb"] for u in every), default=0),
        "worker_peak_rss_mb": max((u["peak_rss_mb"] for u in every), default=0),
        "load_before": load, "load_after": os.getloadavg()[0], "urls": len(paths), "servers": len(servers)})
    if len(servers) > 1:
        figures["per_server"] = results
    if side is not None:
        figures["withdrawals"] = side.result()
    if profile:
        figures["profile"] = profile
    return figures


# -- withdrawals during the load ------------------------------------------------------------------
class Withdrawals:
    """Withdraws testimonies one after another while the load runs (through the archive's service, in
    this process, as `python -m app withdraw` would), and right after each call returns asks every
    server's search API for a word only that testimony holds. `found_after` must stay 0."""

    def __init__(self, work: Path, args, servers: list[Server], count: int):
        import threading

        from archive.services import Archive
        self.archive = Archive(database_url(args, work), work / "indexes", work / "media", search_engine=args.engine)
        self.servers, self.rng, self.count = servers, random.Random(args.seed + 13), count
        self.done: dict = {"withdrawn": 0, "servers_asked": 0, "found_after": 0, "call_s": [], "skipped": 0}
        self.words = self._pick()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _pick(self) -> list[tuple[str, str]]:
        from archive.identity import ANONYMOUS
        from bench.run import unique_word
        listed = json.loads(get(self.servers[0].base + "/api/v1/testimonies?per_page=100")[1])["testimonies"]
        self.rng.shuffle(listed)
        out = []
        for item in listed:
            found = unique_word(self.archive, item["id"], self.rng, ANONYMOUS)
            if found:
                out.append((item["id"], found[0]))
            if len(out) == self.count:
                break
        return out

    def __call__(self):
        self.thread.start()
        return self

    def _run(self) -> None:
        from archive.identity import SYSTEM
        time.sleep(1)
        for accession, word in self.words:
            started = time.perf_counter()
            self.archive.consent.withdraw(SYSTEM, accession, "benchmark: withdrawn during the load")
            self.done["call_s"].append(round(time.perf_counter() - started, 3))
            self.done["withdrawn"] += 1
            for server in self.servers:
                status, body = get(server.base + "/api/v1/search?" + urlencode({"q": word}))
                self.done["servers_asked"] += 1
                if status != 200 or accession in {t["accession_id"] for t in json.loads(body)["testimonies"]}:
                    self.done["found_after"] += 1
            time.sleep(1.0)

    def result(self) -> dict:
        self.thread.join()
        self.archive.close()
        return self.done


# -- profiles ------------------------------------------------------------------------------------
def profile_start(server: Server, args, script_dir: Path) -> list[tuple[subprocess.Popen, Path]]:
    """py-spy sampling each worker for the length of the load (collapsed stacks, idle time left out)."""
    spies = []
    for pid in server.workers():
        out = script_dir / f"spy-{pid}.txt"
        spies.append((subprocess.Popen(
            [args.py_spy, "record", "--pid", str(pid), "--duration", str(max(1, args.duration - 1)),
             "--rate", "200", "--format", "raw", "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out))
    return spies


def profile_finish(spies: list[tuple[subprocess.Popen, Path]], name: str) -> dict:
    """Merge the workers' stacks; each function's share of the samples, inclusive and self."""
    stacks: dict[str, int] = {}
    for spy, out in spies:
        spy.wait()
        if not out.exists():
            raise SystemExit(f"py-spy wrote no profile: {spy.stderr.read().decode().strip()}")
        for line in out.read_text(encoding="utf-8").splitlines():
            stack, _, n = line.rpartition(" ")
            stacks[stack] = stacks.get(stack, 0) + int(n)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"profile-http-{name}.txt"
    path.write_text("".join(f"{s} {n}\n" for s, n in sorted(stacks.items())), encoding="utf-8")
    total = sum(stacks.values()) or 1
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    for stack, n in stacks.items():
        frames = [_frame(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    top = sorted(inclusive, key=inclusive.get, reverse=True)
    return {"samples": total, "stacks": str(path),
            "functions": [{"function": f, "inclusive_pct": round(100 * inclusive[f] / total, 1),
                           "self_pct": round(100 * own.get(f, 0) / total, 1)} for f in top[:60]],
            "self": [{"function": f, "self_pct": round(100 * n / total, 1)}
                     for f, n in sorted(own.items(), key=lambda kv: -kv[1])[:25]]}


def _frame(frame: str) -> str:
    """`function (path/to/file.py:123)` -> `function (file.py)`: lines of one function merged."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(where).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else where
    return f"{name} ({short})"


def run(args) -> dict:
    work = archive_dir(args)
    if args.rebuild or not (work / "built.json").exists():
        built = build(args, work)
    else:
        built = json.loads((work / "built.json").read_text(encoding="utf-8"))
        console.log(f"reusing the archive in {work} (built {built['date']}; --rebuild to build it again)")
    figures = {"n": args.n, "words": args.words, "engine": args.engine, "workers": args.workers,
               "connections": args.connections, "threads": args.threads, "duration_s": args.duration,
               "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
               "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
               "build": built, "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
               "pages": {}}
    console.log(f"serving with `python -m app serve --workers {args.workers}` x {args.servers}")
    servers: list[Server] = []
    try:
        servers.append(Server(work, args, args.workers))
        servers += [Server(work, args, args.workers, k) for k in range(1, args.servers)]
        every = urls(servers[0].base, random.Random(args.seed))
        chosen = args.pages.split(",") if args.pages else PAGE_TYPES
        unknown = [p for p in chosen if p not in every]
        if unknown:
            raise SystemExit(f"--pages: unknown page type {', '.join(unknown)}; known: {', '.join(PAGE_TYPES)}")
        with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
            for name in chosen:
                console.log(f"{name}: {len(every[name])} URLs, {args.connections} clients, {args.duration} s")
                for server in servers:
                    check(server.base, every[name])
                args.profile_name = f"{args.n}-{args.engine}-{name.replace(' ', '').replace(':', '-')}"
                during = None
                if args.withdrawals and name == "search mix":
                    during = Withdrawals(work, args, servers, max(1, args.duration // 3))
                figures["pages"][name] = drive(servers, every[name], args, Path(tmp), during)
                if during is not None:      # the withdrawn testimonies leave the later page types' lists
                    every = urls(servers[0].base, random.Random(args.seed))
        figures["workers_after"] = [s.usage() for s in servers]
    finally:
        for server in servers:
            server.stop()
    figures["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    OUT.mkdir(parents=True, exist_ok=True)
    tag = f"-{args.backend}-x{args.servers}" if args.backend != "sqlite" or args.servers > 1 else ""
    path = OUT / f"http-{args.n}-{args.engine}{tag}{'-profile' if args.profile else ''}.json"
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    console.log(f"figures -> {path}")
    return figures


def show(figures: dict) -> Table:
    table = Table(title=f"HTTP, n = {figures['n']} ({figures['engine']} engine), {figures['workers']} workers, "
                        f"{figures['connections']} clients, {figures['duration_s']} s a page type")
    for column in ("page type", "pages/s", "p50 ms", "p95 ms", "p99 ms", "errors", "CPU ms a page",
                   "worker RSS MB (peak)", "load"):
        table.add_column(column, justify="left" if column == "page type" else "right")
    for name, f in figures["pages"].items():
        table.add_row(name, f"{f['pages_per_s']:.1f}", f"{f['p50_us'] / 1000:.0f}", f"{f['p95_us'] / 1000:.0f}",
                      f"{f['p99_us'] / 1000:.0f}", str(f["errors"]), f"{f['worker_cpu_ms_per_page']:.1f}",
                      f"{f['worker_rss_mb']:.0f} ({f['worker_peak_rss_mb']:.0f})",
                      f"{f['load_before']:.1f}-{f['load_after']:.1f}")
    return table


def profile_table(name: str, profile: dict, rows: int = 30) -> Table:
    table = Table(title=f"{name}: where the workers' time goes ({profile['samples']} py-spy samples; "
                        f"stacks in {profile['stacks']})")
    table.add_column("function")
    table.add_column("inclusive %", justify="right")
    table.add_column("self %", justify="right")
    for f in profile["functions"][:rows]:
        table.add_row(f["function"], f"{f['inclusive_pct']:.1f}", f"{f['self_pct']:.1f}")
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="testimonies (1000)")
    parser.add_argument("--words", type=int, default=6000, help="average words per transcript (6000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=["sqlite", "whoosh", "postgresql"], default="sqlite")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite",
                        help="the database: SQLite in the archive's folder, or a PostgreSQL database of its own")
    parser.add_argument("--servers", type=int, default=1, help="servers on one database (several need PostgreSQL)")
    parser.add_argument("--withdrawals", action="store_true",
                        help="withdraw testimonies during the search mix and check every server at once")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per page type (15)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--pages", help=f"comma-separated page types (all): {', '.join(PAGE_TYPES)}")
    parser.add_argument("--archive", help="where the archive is built and reused "
                                          "(bench/out/http-<n>-w<words>-s<seed>-<engine>)")
    parser.add_argument("--profile", action="store_true",
                        help="sample the workers with py-spy during each page type's load "
                             "(bench/out/profile-http-<n>-<engine>-<page>.txt, top functions in the JSON)")
    parser.add_argument("--rebuild", action="store_true", help="build the archive again even if one is there")
    parser.add_argument("--importers", type=int, default=1,
                        help="import the corpus in K processes at once (the postgresql engine only)")
    args = parser.parse_args(argv)
    if args.importers > 1 and args.engine != "postgresql":
        raise SystemExit("--importers above 1 needs --engine postgresql (a local index has one writer)")
    if args.servers > 1 and args.backend != "postgresql":
        raise SystemExit("--servers above 1 needs --backend postgresql (one SQLite file is one server's)")
    if shutil.which("wrk") is None:
        raise SystemExit("bench/http_load.py needs wrk, the HTTP load tool: `apt-get install wrk` on Debian or Ubuntu "
                         "(`sudo apt-get install wrk`), `brew install wrk` on macOS; then run this again")
    args.py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if args.profile and not Path(args.py_spy).exists():
        raise SystemExit("--profile needs py-spy: `.venv/bin/pip install -r requirements-test.txt`")
    figures = run(args)
    console = Console(width=160)
    console.print(show(figures))
    for name, f in figures["pages"].items():
        if "withdrawals" in f:
            w = f["withdrawals"]
            console.print(f"{name}: {w['withdrawn']} withdrawals during the load (calls {w['call_s']} s); "
                          f"{w['servers_asked']} searches of the servers right after a call returned, "
                          f"{w['found_after']} still found the withdrawn testimony")
        if "profile" in f:
            console.print(profile_table(name, f["profile"]))


if __name__ == "__main__":
    main()
