"""Untrusted text made safe to print on one line of a terminal or a CI log.

File names, commit subjects, names, e-mails and trailers are written by
whoever made the commit. Printed raw, a newline in a file name starts a
forged ``path:line:col: error[…]`` line, an escape sequence repaints the
terminal, and a bidi override (U+202E) shows text in another order than it
is read. ``printable`` shows each such character as a visible escape
(``\\n``, ``\\x1b``, ``\\u202e``) and leaves every other character, Chinese
included, as it is. JSON output needs none of this: it is exact already.
"""

from __future__ import annotations

import re

INVISIBLE = (
    "\x00-\x09\x0b-\x1f\x7f-\x9f"  # C0 and C1 controls but the newline, DEL (tab, escape, NEL …)
    "\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides and isolates; zero-width
    "\u2028\u2029\ufeff"  # line and paragraph separators, byte-order mark
)
"""A regex character class of what hides or disguises text (``safeyaml.dump`` writes these as escapes too)."""

_UNSAFE = re.compile(f"[\n{INVISIBLE}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    return _UNSAFE.sub(_escape, text)
