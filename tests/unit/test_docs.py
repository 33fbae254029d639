"""The README documents every setting and every command, and starts with the two commands."""
from __future__ import annotations

import click

from app.cli import cli
from app.config import DEFAULTS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:12])
    assert "make run" in first_screen and "make test" in first_screen


def test_every_setting_is_documented():
    missing = [name for name in DEFAULTS if f"`{name}`" not in README]
    assert not missing, f"settings missing from README: {missing}"


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_command_is_documented():
    commands = list(_commands(cli))
    assert "consent withdraw" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"commands missing from README: {missing}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
