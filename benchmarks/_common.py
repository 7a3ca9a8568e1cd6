"""What every benchmark shares: the machine description and writing its section of
BENCHMARKS.md. Figures are always written with the command that produced them."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import platform
import re
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "BENCHMARKS.md"

_HEADER = """# Benchmarks

Every figure below was written by the benchmark script named in its section, on the machine
described there, with the command shown; each compares against a baseline measured in the same
run. `make bench` runs all of them at full size (`python -m benchmarks --size full`); CI runs
`make bench-smoke` (small sizes, figures not kept). Single runs on a 2-core machine: treat
differences under about 20 % as noise.
"""


def machine() -> str:
    """One line describing the machine: CPU model, cores, memory, OS, Python."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown memory"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values)


def write_section(name: str, body: str, *, command: str) -> None:
    """Replace (or add) the section `name` of BENCHMARKS.md with `body`."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- section: {name} -->\n## {name}\n\n"
        f"Command: `{command}`  \nRun: {stamp}  \nMachine: {machine()}\n\n{body.strip()}\n"
        f"<!-- end: {name} -->\n"
    )
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else _HEADER
    pattern = re.compile(
        rf"<!-- section: {re.escape(name)} -->.*?<!-- end: {re.escape(name)} -->\n", re.DOTALL
    )
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    REPORT.write_text(text, encoding="utf-8")


def command_line() -> str:
    """The command that ran this benchmark, as a reader would type it."""
    return " ".join(["uv run python -m", f"benchmarks.{Path(sys.argv[0]).stem}", *sys.argv[1:]])


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO) -> None:
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self._streams:
            stream.flush()


@contextlib.contextmanager
def captured() -> Iterator[io.StringIO]:
    """Print as usual and also keep what was printed (to write it into BENCHMARKS.md)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, buffer)):
        yield buffer
