"""A real server (gunicorn, started by `python -m app serve`) and a real Chromium driving it.

The server runs over a temporary instance folder prepared with the same CLI an operator uses:
`init`, `import` of the example file, `import --fictional` of the demo collection, `user add`.
Chromium is Debian's /usr/bin/chromium driven by the `playwright` package (see
/work/shared/BROWSER-TESTS.md); these tests fail, never skip, when it is missing.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import EXAMPLE, PASSWORD
from tests.servers import ROOT, LiveServer

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

    server = servers.start(instance, env, workers=2, log=base / "server.log")
    try:
        server.wait_until_it_answers()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


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
