"""Replacing files and folders so that a kill at any instant leaves either the old one or the new one.

Every temporary name this program makes carries its process id
(``name.PID.tmp``, ``.site.building-PID``); whatever a killed run left
behind is found by that id, once the process is gone, and removed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import signal
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_PID = re.compile(r"(?:\.|-)([0-9]{1,10})(?:\.tmp)?$")


def fault_point(name: str) -> None:
    """Tests kill the process here (``ORDERS_FAULT=name``), to show that no instant loses data."""
    if os.environ.get("ORDERS_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def write_whole(path: Path, data: bytes, overwrite: bool = True, fault: str = "") -> None:
    """``path`` holds its old bytes (or nothing) or all of ``data``, never a part: written and synced beside it,
    then renamed over it — or, with ``overwrite=False``, linked into place, which raises ``FileExistsError``
    rather than replace a file that appeared meanwhile. ``fault`` names the kill point between the two steps."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if fault:
            fault_point(fault)
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def exchange(new: Path, current: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``): False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(current), _RENAME_EXCHANGE)
    return result == 0


def replace_folder(new: Path, current: Path, old: Path) -> None:
    """Put ``new`` where ``current`` is; the replaced folder ends at ``old``. At no instant is there no ``current``:
    one atomic exchange where the system has it, else ``current`` is renamed to ``old`` only just before."""
    if current.exists() and exchange(new, current):
        new.rename(old)
        return
    if current.exists():
        current.rename(old)
    new.rename(current)


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(folder: Path, pattern: str) -> list[Path]:
    """Files or folders matching ``pattern`` in ``folder`` whose making process is gone (not this one)."""
    found = []
    for path in folder.glob(pattern):
        match = _PID.search(path.name)
        if match and int(match.group(1)) != os.getpid() and not is_running(int(match.group(1))):
            found.append(path)
    return found


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
