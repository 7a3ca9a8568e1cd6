"""How every command prints: tables and lines for people, `--json` for machines, both safe.

- Whatever came from outside (a requester's purpose text, a concern, an agency's name, an
  error's message) is `safe()` before it reaches a terminal: C0 and C1 control characters
  (ESC, CSI, NUL, BEL...) become visible `\\xNN` escapes, and Rich markup is escaped, so text
  can neither move the cursor, retitle the window nor restyle the output (ECMA-48 section 5).
- Tables never cut an id: id columns do not wrap, and a table wider than the terminal is
  printed at its full width rather than cropped.
- `--json` prints the service's own views as JSON (`dump_json`): the same fields the API
  answers with, every id whole, C1 controls escaped as `\\u00NN` like JSON escapes C0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

import typer
from pydantic import TypeAdapter
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from custos.cli._common import console, safe

_C1: Final = re.compile(r"[\x80-\x9f]")
#: The narrowest a text column folds to in a table wider than the terminal.
_FOLD: Final = 20

#: The `--json` option of every list and show command.
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (the API's fields, ids in full).")]


def dump(value: Any) -> None:
    """Print a view (a pydantic model, dataclass, list of them...) as JSON."""
    text = TypeAdapter(type(value)).dump_json(value, indent=2).decode()
    typer.echo(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def show(table: Table) -> None:
    """Print a table whole: wider than the terminal rather than with an id cut."""
    measured = Measurement.get(console, console.options, table).minimum
    # Each column: its narrowest width, a space each side and a border; one border more.
    columns = sum((c.min_width or 0) + 3 for c in table.columns) + 1
    width = max(console.width, measured, columns)
    if width == console.width:
        console.print(table)
        return
    wide = Console(
        file=console.file,
        width=width,
        color_system=console.color_system,  # type: ignore[arg-type]  # the same names
        force_terminal=console.is_terminal,
    )
    wide.print(table, crop=False)


@dataclass(frozen=True)
class Column:
    """One column of a list: its heading, how to read it from an item, and whether it holds
    an id (never wrapped or cut)."""

    heading: str
    read: Callable[[Any], object]
    is_id: bool = False


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    return safe(getattr(value, "value", value))


def listing(
    items: Sequence[Any] | Iterable[Any],
    columns: Sequence[Column],
    *,
    as_json: bool,
    title: str | None = None,
) -> None:
    """The one way a command prints a list: a table of `columns`, or with `--json` the items."""
    rows = list(items)
    if as_json:
        dump(rows)
        return
    cells = [[_cell(c.read(item)) for c in columns] for item in rows]
    table = Table(title=title)
    for i, column in enumerate(columns):
        widest = max((len(row[i]) for row in cells), default=0)
        table.add_column(
            column.heading,
            no_wrap=column.is_id,
            min_width=max(widest, len(column.heading)) if column.is_id else min(widest, _FOLD),
            overflow="fold",
        )
    for row in cells:
        table.add_row(*row)
    show(table)


def line(text: str) -> None:
    """Print a line the command composed (its own words, with `safe()` values inside)."""
    console.print(text, highlight=False)
