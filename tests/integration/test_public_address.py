"""PUBLIC_URL unset on a server reached from other machines (issue 16): `serve` says so in one line at
start, and the citation page says which host its addresses came from."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from gunicorn.app.base import BaseApplication

from app.cli import cli
from app.public_address import is_loopback, warning


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost", "app.localhost"])
def test_loopback_addresses_need_no_warning(host):
    assert is_loopback(host) and warning("", host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "archive.example.org"])
def test_any_other_address_warns_unless_public_url_is_set(host):
    assert not is_loopback(host)
    assert "PUBLIC_URL is not set" in warning("", host) and host in warning(None, host)
    assert warning("https://archive.example.org", host) is None


@pytest.fixture
def serve(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("ARCHIVE_PUBLIC_URL", raising=False)
    monkeypatch.setattr(BaseApplication, "run", lambda self: None)      # gunicorn is not started

    def start(host: str, **env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli, ["serve", "--host", host, "--port", "5999"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stderr
    return start


def test_serve_warns_in_one_line_when_bound_beyond_loopback_without_public_url(serve):
    warned = [line for line in serve("0.0.0.0").splitlines() if "PUBLIC_URL" in line]
    assert len(warned) == 1 and warned[0].startswith("Warning: PUBLIC_URL is not set") and "0.0.0.0" in warned[0]
    assert "PUBLIC_URL" not in serve("127.0.0.1")
    assert "PUBLIC_URL" not in serve("0.0.0.0", ARCHIVE_PUBLIC_URL="https://archive.example.org")


def test_the_citation_page_says_which_host_it_used(app, client):
    page = client.get("/testimonies/OH-2015-0001/cite", base_url="http://archive.lan:8000").get_data(as_text=True)
    assert "the address this page was asked for, archive.lan:8000" in page
    assert "http://archive.lan:8000/testimonies/OH-2015-0001" in page
    app.config["PUBLIC_URL"] = "https://archive.example.org"
    page = client.get("/testimonies/OH-2015-0001/cite", base_url="http://archive.lan:8000").get_data(as_text=True)
    assert 'id="cite-host"' not in page and "https://archive.example.org/testimonies/OH-2015-0001" in page
