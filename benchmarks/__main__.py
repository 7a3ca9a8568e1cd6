"""Run every benchmark script in this folder: `python -m benchmarks --size smoke|full`.

Smoke runs (CI) check that each benchmark still works at a small size and do not touch
BENCHMARKS.md; full runs write their figures there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=["smoke", "full"], default="smoke")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if args.names:
        scripts = [p for p in scripts if p.stem in args.names]
    failed = []
    for script in scripts:
        # The disk quiet before each one: the accounting benchmark drops a ledger of
        # gigabytes, and what is still being written back could slow the next one's commits.
        os.sync()
        print(f"== {script.stem} ({args.size})", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{script.stem}", "--size", args.size],
            check=False,
            cwd=HERE.parent,
        )
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
