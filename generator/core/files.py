"""Replacing files and folders so that a kill at any instant leaves either the old one or the new one.

Every temporary name this program makes carries its process id
(``name.PID.tmp``, ``.site.building-PID``); whatever a killed run left
behind is found by that id, once the process is gone, and removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import re
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_CLOCK_MARGIN = 300.0  # seconds: see made_by_live_process
_PID = re.compile(r"(?:\.|-)([0-9]{1,10})(?:\.tmp)?$")


def fault_point(name: str) -> None:
    """Tests kill the process here (``ORDERS_FAULT=name``), to show that no instant loses data."""
    if os.environ.get("ORDERS_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def write_whole(path: Path, data: bytes | Iterable[bytes], overwrite: bool = True, fault: str = "", sync: bool = True) -> None:
    """``path`` holds its old bytes (or nothing) or all of ``data`` (bytes, or parts of them in turn), never a
    part: written and synced beside it, then renamed over it — or, with ``overwrite=False``, linked into place,
    which raises ``FileExistsError`` rather than replace a file that appeared meanwhile. ``fault`` names the kill
    point between the two steps. Without ``sync``, a crash of the machine may leave the file empty: a cache's
    reader finds no value in it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            for part in [data] if isinstance(data, (bytes, bytearray, memoryview)) else data:
                handle.write(part)
            handle.flush()
            if sync:
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


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def made_by_live_process(pid: int, made: float) -> bool:
    """Whether process ``pid`` is running and is the one that made a file last changed at ``made`` (epoch s).

    ``kill(pid, 0)`` alone is not enough on Linux: a killed helper whose parent died too stays a zombie until
    the system's first process reaps it (CI met this), and ids are given out again, so a later process may
    carry the id. ``/proc`` tells both apart: a zombie's state is Z, and a process started well after the
    file's last change did not make it. "Well": the start is reckoned from the wall clock, which may be set
    forward while a process runs; a margin of minutes keeps a live maker's file, and a leftover whose id was
    given out again within them is removed once that process ends. Without ``/proc``, ``kill`` decides."""
    clock = _proc_clock()
    if clock is None:
        return _is_running(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return _is_running(pid)
    fields = stat.rsplit(b")", 1)[1].split()  # the name before ")" may hold spaces
    if fields[0] in (b"Z", b"X"):
        return False
    started = clock[0] + int(fields[19]) / clock[1]  # field 22: its start, in clock ticks after boot
    return started <= made + _CLOCK_MARGIN


@functools.cache
def _proc_clock() -> tuple[float, int] | None:
    """(boot time in epoch seconds, clock ticks a second) from Linux's ``/proc``; None without it."""
    try:
        for line in Path("/proc/stat").read_text(encoding="ascii").splitlines():
            if line.startswith("btime "):
                return float(line.split()[1]), os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        pass
    return None


def leftovers(folder: Path, pattern: str) -> list[Path]:
    """Files or folders matching ``pattern`` in ``folder`` whose making process is gone (not this one)."""
    found = []
    for path in folder.glob(pattern):
        match = _PID.search(path.name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            made = path.lstat().st_mtime
        except FileNotFoundError:  # removed meanwhile
            continue
        if not made_by_live_process(int(match.group(1)), made):
            found.append(path)
    return found


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale(folder: Path, pattern: str, kept: str) -> None:
    """The files of ``folder`` named by ``pattern`` but ``kept``, removed where the system lets them be: a cache's
    files of another generation (a process that opened one keeps reading it, on POSIX)."""
    for stale in folder.glob(pattern):
        if stale.name != kept:
            with contextlib.suppress(OSError):  # held open elsewhere, where the system will not remove it
                remove(stale)
