"""The README stays in sync with the registry and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from crawlers.registry import load_sources
from mediawatch.cli.app import _register_commands, app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_outlet_table_lists_every_registered_source() -> None:
    table = _section("Outlets")
    listed = set(re.findall(r"^\| `([a-z0-9_-]+)` \|", table, flags=re.M))
    registered = {s.id for s in load_sources().sources}
    assert registered - listed == set(), f"add these outlets to the README table: {sorted(registered - listed)}"
    assert listed - registered == set(), f"the README lists outlets not in config/sources.yaml: {sorted(listed - registered)}"


def test_commands_table_names_every_command() -> None:
    _register_commands()
    command = typer.main.get_command(app)
    names = set(command.commands)  # type: ignore[attr-defined]
    table = _section("Commands")
    missing = {n for n in names if f"`mediawatch {n}" not in table and f"/ `{n} " not in table}
    assert not missing, f"document these commands in the README: {sorted(missing)}"
