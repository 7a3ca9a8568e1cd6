"""Text that people type: what may be in it.

Free text from outside (a purpose, a name, a reason, a username) ends up on reviewers'
terminals, in letters and in web pages. Control characters have no place in any of it:
ESC and CSI start terminal escape sequences (ECMA-48 section 5), NUL truncates in C-based
tools, and the rest are invisible. So every text field refuses C0 controls, DEL and C1
controls, except line breaks (and tabs) in fields meant to hold several lines.
"""

from __future__ import annotations

import re
from typing import Final

_SINGLE_LINE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character `text` may not hold, as `U+XXXX`, or None when it is clean.

    With `multiline`, line feeds, carriage returns and tabs are allowed.
    """
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def check(text: str, *, multiline: bool = False) -> str:
    """`text` unchanged, or ValueError naming the control character it holds (for validators)."""
    bad = control_character(text, multiline=multiline)
    if bad is not None:
        kind = "text" if multiline else "a single line of text"
        raise ValueError(f"must be {kind} without control characters (found {bad})")
    return text
