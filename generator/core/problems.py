"""Problems found in the archive, and how they are printed.

Every stage *collects* problems instead of raising at the first one, so a
user sees all that is wrong in one run. A problem points at
``path:line:col`` the way compilers do, names the rule it broke and, where
one applies, the regulation clause.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum

from generator.core.printable import printable


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


_SEVERITY_ZH = {Severity.ERROR: "錯誤", Severity.WARNING: "警告"}


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    col: int
    rule: str
    message: str
    clause: str | None = None
    severity: Severity = Severity.ERROR
    attention: bool = False
    """A deadline passed: the site's attention list shows it."""
    message_zh: str | None = None
    """The message in 繁體中文, where the check wrote one (every archive-wide rule does)."""

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.rule)

    def format(self, language: str = "en", words: str | None = None) -> str:
        """``path:line:col: error[rule] message (§clause)``; in Chinese ``錯誤[rule] 訊息``, the message in
        Chinese where the check wrote one, else the rule's own ``words`` before the English details."""
        clause = f" ({self.clause})" if self.clause else ""
        severity = _SEVERITY_ZH[self.severity] if language == "zh-Hant" else str(self.severity)
        message = self.message
        if language == "zh-Hant":
            message = self.message_zh or (f"{words}：{self.message}" if words else self.message)
        return printable(f"{self.path}:{self.line}:{self.col}: {severity}[{self.rule}] {message}{clause}")

    def to_json(self) -> dict:
        data = asdict(self)
        data["column"] = data.pop("col")
        data["severity"] = str(self.severity)
        return data

    def to_github(self) -> str:
        """A GitHub Actions workflow command, so CI shows the problem on the PR's diff."""
        level = "error" if self.severity is Severity.ERROR else "warning"
        title = f"{self.rule} ({self.clause})" if self.clause else self.rule
        return f"::{level} file={_gh_property(self.path)},line={self.line},col={self.col},title={_gh_property(title)}::{_gh_data(self.message)}"


def _gh_data(text: str) -> str:
    """GitHub's own escapes for its workflow commands, then ``printable`` for the controls they leave."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


class UserError(Exception):
    """Bad input or a bad command line: shown as a clean message, never a traceback."""


def render(problems: Iterable[Problem], fmt: str, language: str = "en", words: Callable[[str], str | None] = lambda _: None) -> str:
    """All problems in one of the output formats (``text``, ``json``, ``github``). ``language``: of the text
    format's words around each message; ``words``: a rule's own words in that language, by its id."""
    problems = list(problems)
    if fmt == "json":
        return json.dumps([p.to_json() for p in problems], ensure_ascii=False, indent=2)
    if fmt == "github":
        return "\n".join(p.to_github() for p in problems)
    chinese = language == "zh-Hant"
    return "\n".join(p.format(language, words(p.rule) if chinese and not p.message_zh else None) for p in problems)


def count(problems: Iterable[Problem]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = warnings = 0
    for p in problems:
        if p.severity is Severity.ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings
