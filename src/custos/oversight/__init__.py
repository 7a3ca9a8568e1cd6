"""Oversight: transparency reports, small-cell suppression, differential privacy, alerts.

Pure computation over ledger entries: no database, no HTTP, no files except the package's own
templates. `custos.workflow.oversight` reads the log, calls these and stores the results.

- `count_file` / `count_chunks` → `decode`: ledger entries into Polars frames (`EventFrames`).
- `build`: exact figures → optional OpenDP noise → suppression (`protect_all`) → `Report`.
- `differences`: recompute a published report from entries, list every mismatch.
- `protect_history` / `at_risk`: suppression checked against every published report
  (integer programming); `Budget`: the privacy-loss budget of noisy reports.
- `render_html` (inline SVG charts), `render_csv`, `render_pdf`: renderings of the JSON data.
- `evaluate`: the alert rules (`AlertKind`, thresholds in `AlertRules`).
"""

from custos.oversight._aggregate import OUTCOMES, ExactFigures, compute
from custos.oversight._alerts import Alert, AlertKind, AlertRules, WitnessAlarmFact, evaluate
from custos.oversight._budget import (
    Budget,
    BudgetExceededError,
    ExactBesideNoisyError,
    check_exclusive,
)
from custos.oversight._events import EventFrames, count_chunks, count_file, decode
from custos.oversight._history import AtRisk, at_risk, protect_history
from custos.oversight._noise import NoiseMethod, add_noise
from custos.oversight._periods import Period
from custos.oversight._publication import Protection, Publication, PublishedTable, quarter_atoms
from custos.oversight._render import render_csv, render_html, render_pdf, svg_chart
from custos.oversight._report import (
    FORMAT,
    NOTE_HEADER,
    CheckpointRef,
    Report,
    build,
    signed_text,
)
from custos.oversight._suppress import (
    SMALL_MAX,
    SMALL_MIN,
    CountTable,
    ProtectedTable,
    determined,
    protect,
    protect_all,
)
from custos.oversight._verify import differences

__all__ = [
    "FORMAT",
    "NOTE_HEADER",
    "OUTCOMES",
    "SMALL_MAX",
    "SMALL_MIN",
    "Alert",
    "AlertKind",
    "AlertRules",
    "AtRisk",
    "Budget",
    "BudgetExceededError",
    "CheckpointRef",
    "CountTable",
    "EventFrames",
    "ExactBesideNoisyError",
    "ExactFigures",
    "NoiseMethod",
    "Period",
    "ProtectedTable",
    "Protection",
    "Publication",
    "PublishedTable",
    "Report",
    "WitnessAlarmFact",
    "add_noise",
    "at_risk",
    "build",
    "check_exclusive",
    "compute",
    "count_chunks",
    "count_file",
    "decode",
    "determined",
    "differences",
    "evaluate",
    "protect",
    "protect_all",
    "protect_history",
    "quarter_atoms",
    "render_csv",
    "render_html",
    "render_pdf",
    "signed_text",
    "svg_chart",
]
