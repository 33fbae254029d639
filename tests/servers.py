"""Real archive servers for tests: `python -m app serve` (gunicorn) on a free loopback port, as README
says an operator starts one. Used by the browser tests (tests/browser/conftest.py) and the multi-server
tests (tests/integration/test_multi_server.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent          # the repository root (holds app/ and archive/)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """In the server's child process (Linux): receive SIGTERM when pytest dies, even if it is killed
    before the fixture's teardown, so no orphaned server keeps the port and the instance folder."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)    # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class LiveServer:
    url: str
    instance: Path
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_it_answers(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.url + "/"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the archive server did not start (exit {self.process.returncode}):\n"
                                   f"{self.log_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start(instance: Path, env: dict[str, str], *, workers: int = 1, log: Path | None = None,
          command: list[str] | None = None) -> LiveServer:
    """`python -m app serve` on a free port (not waited for: see LiveServer.wait_until_it_answers, so that
    several start at once). `command` replaces `-m app` (e.g. a script that wraps the app's CLI)."""
    port = free_port()
    log = log or instance.parent / f"{instance.name}-server.log"
    args = [*(command or ["-m", "app"]), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]
    with open(log, "wb") as sink:
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True,   # (discard_all)
                                   preexec_fn=die_with_parent if sys.platform == "linux" else None)
    return LiveServer(f"http://127.0.0.1:{port}", instance, log, process)



def discard_all(running) -> None:
    """Stop at once servers whose data is thrown away: SIGKILL to each one's process group (gunicorn's
    quick shutdown still waits seconds for its workers to exit)."""
    running = list(running)
    for server in running:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
    for server in running:
        server.process.wait(timeout=30)
