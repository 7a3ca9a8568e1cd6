"""The one way documents people read (letters, reports) are rendered from Jinja templates.

Autoescaped, so data never becomes markup; strict, so a misspelt variable fails the render
instead of printing nothing in a letter.
"""

from __future__ import annotations

from pathlib import Path

import jinja2


def environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
