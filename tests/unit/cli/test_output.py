"""What the CLI prints from outside input is shown, never obeyed; ids are never cut."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
import typer.main
from rich.console import Console

from custos.cli import _common, _output, app
from custos.cli._common import safe

#: A window-title change, a colour, a cursor move, NUL, BEL, a C1 CSI and Rich markup.
HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x1b[2J\x00\x9b1m[bold]loud[/bold]"


@dataclass(frozen=True)
class Item:
    id: str
    name: str


def _capture(monkeypatch: pytest.MonkeyPatch, width: int) -> io.StringIO:
    out = io.StringIO()
    fake = Console(file=out, width=width, force_terminal=True, color_system="truecolor")
    monkeypatch.setattr(_output, "console", fake)
    monkeypatch.setattr(_common, "console", fake)
    return out


def test_control_characters_and_markup_are_made_visible() -> None:
    shown = safe(HOSTILE)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\\x1b" in shown
    assert "\\x9b" in shown
    assert "\\[bold]" in shown
    assert safe("two\nlines", multiline=True) == "two\nlines"
    assert safe("two\nlines") == "two\\x0alines"


def test_a_listing_shows_hostile_text_inert_and_ids_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = _capture(monkeypatch, width=40)
    long_id = "req_" + "0123456789abcdef" * 3
    _output.listing(
        [Item(id=long_id, name=HOSTILE)],
        [
            _output.Column("id", lambda i: i.id, is_id=True),
            _output.Column("name", lambda i: i.name),
        ],
        as_json=False,
    )
    text = out.getvalue()
    assert long_id in text
    # The only escape sequences are Rich's own styling (SGR: ESC [ ... m), never the input's.
    assert "\x1b]" not in text
    assert "\x07" not in text
    assert "\x00" not in text
    assert "\x9b" not in text
    assert "\x1b[2J" not in text
    assert "pwned" in text


def test_json_output_escapes_every_control_character(capsys: pytest.CaptureFixture[str]) -> None:
    _output.dump([Item(id="req_1", name=HOSTILE)])
    printed = capsys.readouterr().out
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F < ord(c) <= 0x9F for c in printed)
    assert json.loads(printed) == [{"id": "req_1", "name": HOSTILE}]


def test_every_list_and_show_command_takes_json() -> None:
    root = typer.main.get_command(app)
    missing = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", {})
        lists = {"list", "show", "find", "disclosures", "retention"}
        options = {o for p in getattr(cmd, "params", []) for o in p.opts}
        if not subs and path and path[-1] in lists and "--json" not in options:
            missing.append(" ".join(path))
        for name, sub in subs.items():
            walk(sub, (*path, name))

    walk(root, ())
    # `ledger show` prints the signed note itself, which is text by its format.
    assert [m for m in missing if m != "ledger show"] == []
