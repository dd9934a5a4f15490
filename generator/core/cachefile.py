"""Small cache files in the archive's git directory: marshal-encoded, versioned, keyed, written atomically.

A cache is only ever an optimisation: a missing, stale or unreadable file
reads as None, and a folder that cannot be written to is simply not used.
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

from generator.core.files import leftovers, remove, write_whole
from generator.core.memory import collector_paused
from generator.core.paths import PROGRAM, local_folder
from generator.core.problems import Problem, Severity


def _code_fingerprint() -> str:
    """A hash of the program's own source (``generator/`` and ``schemas/``): another program never reads this cache.

    A cache format version alone misses a fix that changes a verdict but not the format; this costs about 2 ms.
    """
    digest = hashlib.sha1()
    for package in ("generator", "schemas"):
        for source in sorted((PROGRAM / package).rglob("*.py")):
            digest.update(source.relative_to(PROGRAM).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


CODE = _code_fingerprint()


def value_bytes(value: Any) -> bytes:
    """Plain values (str, bytes, int, None, and tuples, lists and dicts of them) as bytes that depend on the values
    alone, for a digest. Marshal's format 2: from format 3 on, an object met twice is written as a reference to
    the first, so equal values held as one object or as two gave different bytes (a page was rendered again for
    nothing whenever its strings happened to be shared differently, as after another build in the same process)."""
    return marshal.dumps(value, 2)


def folder(root: Path) -> Path:
    """The archive's cache folder (``paths.local_folder``): never in the work tree of a git archive."""
    return local_folder(root, "order-archive")


def read(path: Path, version: int, key: str) -> Any | None:
    """The payload stored under ``key`` by this ``version`` of the writer and this program, or None."""
    found = read_keyed(path, version)
    return found[1] if found is not None and found[0] == key else None


def read_keyed(path: Path, version: int) -> tuple[str, Any] | None:
    """(key, payload) as this ``version`` of the writer and this program stored them, whatever the key, or None:
    for a cache whose entries each say whether they still hold (the site's pages). What the read made is moved out
    of the collector's reach: marshal makes no cycles, and the first young collection after a read walked all of
    it, freeing nothing (0.4 s of the prefetch's judging at 10,000 orders, for three caches)."""
    try:
        ahead = _AHEAD.pop(path, None)
        if ahead is not None and ahead[0] == _signature(path):
            stored_version, stored_code, stored_key, payload = ahead[1]
        else:
            data = path.read_bytes()
            with collector_paused(keep=True):  # hundreds of thousands of tuples, no cycles (see memory): 0.93 → 0.36 s (judged)
                stored_version, stored_code, stored_key, payload = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return (stored_key, payload) if stored_version == version and stored_code == CODE and isinstance(stored_key, str) else None


_AHEAD: dict[Path, tuple[tuple[int, int, int], Any]] = {}
"""Cache files read before they are asked for (``read_ahead``), with the file each was read from."""


def read_ahead(paths: list[Path]) -> None:
    """Read these cache files now, for this process's ``read`` of them later: a process that waits for its work
    reads what that work will read (the history's prefetch, waiting to be asked to judge: the judgements kept,
    0.25 s at 10,000 orders). A file replaced meanwhile is read again when asked for."""
    for path in paths:
        try:
            signature = _signature(path)
            data = path.read_bytes()
            with collector_paused(keep=True):
                _AHEAD[path] = (signature, marshal.loads(data))
        except (OSError, EOFError, ValueError, TypeError):
            _AHEAD.pop(path, None)


def _signature(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def write(path: Path, version: int, key: str, payload: Any, sync: bool = True) -> None:
    """Store ``payload`` (builtin types only) atomically; silently skipped where the folder is read-only. Without
    ``sync``, the file may be lost with the machine (never found half-written): for what costs only time to lose."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, marshal.dumps((version, CODE, key, payload)), fault="cache.before-rename", sync=sync)
        for stale in leftovers(path.parent, "*.tmp"):  # what killed runs left behind
            remove(stale)
    except (OSError, ValueError):
        pass


def problem_rows(problems: list[Problem]) -> list[tuple]:
    return [(p.path, p.line, p.col, p.rule, p.message, p.clause, str(p.severity), p.attention, p.message_zh) for p in problems]


def problems_from(rows: list[tuple]) -> list[Problem]:
    return [Problem(*row[:6], Severity(row[6]), *row[7:]) for row in rows]
