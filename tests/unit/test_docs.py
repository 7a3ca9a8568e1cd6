"""The docs are part of the product: every setting, event tag and README command is real."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from custos.cli import app
from custos.config import Settings
from custos.domain.events import EventTag

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    for name in Settings.model_fields:
        assert f"CUSTOS_{name.upper()}" in README, name


def test_every_documented_setting_exists() -> None:
    documented = set(re.findall(r"`CUSTOS_([A-Z_]+)`", README)) - {"TEST_POSTGRES_URL"}
    assert documented == {n.upper() for n in Settings.model_fields}


def test_every_event_tag_is_documented() -> None:
    doc = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+:[a-z_]+:[a-z_]+)` \|", doc, re.MULTILINE))
    assert documented == {t.value for t in EventTag}


def _command_paths() -> set[tuple[str, ...]]:
    root = typer.main.get_command(app)
    paths: set[tuple[str, ...]] = set()

    def walk(cmd: Any, prefix: tuple[str, ...]) -> None:
        paths.add(prefix)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, (*prefix, name))

    walk(root, ())
    return paths


def test_commands_in_the_readme_exist() -> None:
    known = _command_paths()
    used = re.findall(r"custos((?: [a-z][a-z-]*)+)", README)
    assert used
    for words in used:
        parts = tuple(words.split())
        # the longest known prefix must be a real command (what follows are its arguments)
        assert any(parts[:n] in known and n > 0 for n in range(len(parts), 0, -1)), words


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)

    def walk(cmd: Any, name: str) -> None:
        assert (cmd.help or "").strip(), f"{name} has no help"
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{name} {sub_name}")

    walk(root, "custos")
