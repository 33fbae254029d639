"""A real server (gunicorn, started by `python -m app serve`) and a real Chromium driving it.

The server runs over a temporary instance folder prepared with the same CLI an operator uses:
`init`, `import` of the example file, `import --fictional` of the demo collection, `user add`.
Chromium is Debian's /usr/bin/chromium driven by the `playwright` package (see
/work/shared/BROWSER-TESTS.md); these tests fail, never skip, when it is missing.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, PASSWORD

ROOT = Path(__file__).resolve().parents[2]          # the repository root (holds app/ and archive/)
DEMO_RELATIVE = "archive/demo/demo-collection.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"                      # screenshots; gitignored
ARCHIVIST = "archivist"

# Reports every Content-Security-Policy violation to the test, whatever page is loaded.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', e => {
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} on ${document.location.pathname}`);
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    instance: Path
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _environment(instance: Path) -> dict[str, str]:
    # Keep nothing from the caller's ARCHIVE_* settings (a DATABASE_URL there would redirect the server).
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_") or k == "ARCHIVE_SEARCH_ENGINE"}
    env.update(ARCHIVE_INSTANCE_PATH=str(instance), ARCHIVE_SESSION_COOKIE_SECURE="false",
               ARCHIVE_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1",
               # Recordings are encoded by the request that queues them, so the pages play them at once
               # (a real worker process is tested in tests/integration/test_jobs.py).
               ARCHIVE_JOB_QUEUE="immediate")
    return env


def _cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"`python -m app {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _die_with_parent() -> None:
    """In the server's child process (Linux): receive SIGTERM when pytest dies, even if it is killed
    before the fixture's teardown, so no orphaned server keeps the port and the instance folder."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)    # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> LiveServer:
    """gunicorn serving a freshly initialised instance (example + demo + an archivist) on 127.0.0.1."""
    base = tmp_path_factory.mktemp("live")
    instance = base / "instance"
    env = _environment(instance)
    _cli(env, "init")
    _cli(env, "import", str(EXAMPLE))
    _cli(env, "import", "--fictional", DEMO_RELATIVE)
    _cli(env, "user", "add", ARCHIVIST, "--role", "archivist")

    port = _free_port()
    log = base / "server.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    server = LiveServer(f"http://127.0.0.1:{port}", instance, log, process)
    deadline = time.monotonic() + 60
    while not _answers(server.url + "/"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            pytest.fail(f"the archive server did not start (exit {process.returncode}):\n{server.log_text()}")
        time.sleep(0.2)
    yield server
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(live) -> str:
    """The server's base URL, e.g. http://127.0.0.1:54321."""
    return live.url


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}. Install Debian's package (`apt-get install -y chromium`, "
                    "as .ci/run does); `playwright install` cannot work on these machines.")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page that records console errors, page errors and CSP
    violations in `page.problems`; tests assert it stays empty."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    problems: list[str] = []
    context.expose_function("__reportCsp", lambda text: problems.append(f"CSP violation: {text}"))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.problems = problems
    yield page
    context.close()
