"""`custos demo-data` and `custos import`: filling the records store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from custos.cli._common import console, context
from custos.records import DEFAULT_MAX_BYTES
from custos.workflow import records as records_workflow

_PHASES = {"generate": "generating", "validate": "validating rows", "load": "loading rows"}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("demo-data")(demo_data)
    app.command("import")(import_records)


@contextmanager
def _progress(totals: dict[str, int | None]) -> Iterator[records_workflow.Progress]:
    """A Rich progress display with one bar per phase, shown as each phase starts."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(phase: str, rows: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(_PHASES.get(phase, phase), total=totals.get(phase))
            bars.advance(tasks[phase], rows)

        yield advance


def demo_data(
    people: Annotated[
        int, typer.Option(min=1, help="How many people to generate (the demo people included).")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Same seed, same records.")] = 7,
) -> None:
    """Fill an empty store with synthetic benefits records (households, people, enrolments)."""
    ctx = context()
    with _progress({"generate": people, "load": None}) as progress:
        counts = records_workflow.generate_demo(ctx, people=people, seed=seed, progress=progress)
    console.print(
        f"generated {counts.people:,} people in {counts.households:,} households "
        f"with {counts.enrolments:,} enrolments"
    )


def import_records(
    file: Annotated[
        Path,
        typer.Argument(help="A .csv or .parquet file in the schema of docs/records-schema.md."),
    ],
    max_bytes: Annotated[
        int, typer.Option(min=1, help="Refuse files larger than this many bytes.")
    ] = DEFAULT_MAX_BYTES,
) -> None:
    """Import benefits records from CSV or Parquet: every row is checked first; all or nothing."""
    ctx = context()
    with _progress({}) as progress:
        summary = records_workflow.import_file(ctx, file, max_bytes=max_bytes, progress=progress)
    counts = summary.counts
    console.print(
        f"imported {counts.people:,} people in {counts.households:,} households "
        f"with {counts.enrolments:,} enrolments (file SHA-256 {summary.sha256})"
    )
