"""Files put into the new site by a process of its own: the dossiers' attachments, and the pages the last site
already has as this build would write them.

Each is hard-linked from the last site when that copy is still the same file (for an attachment: same size and
modification time, the quick check rsync makes) and copied otherwise, keeping its time for the next build's
check. At 10,000 orders a merge puts 38,165 attachments and 20,412 kept pages into its new site, three system
calls each: 3.5–4.6 s of the build's only busy thread when MkDocs' pass made them one by one. A thread would not
take them off it: each call gives the interpreter's lock up and waits for it again behind the thread checking
the archive.

The process reads its work in batches (``marshal``: paths only) from an unnamed file the build writes them into,
told of each through its pipe, and imports nothing of the program but this module, ``core.printable``,
``core.processes`` and ``site.spare`` (with ``core.paths``), run with ``-P`` from the root folder so that a
``generator/`` folder committed to the archive cannot stand in for them.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import queue
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from typing import BinaryIO

from generator.core.printable import printable
from generator.site.spare import parent

Job = tuple[str, str, "str | None"]
"""(the file to publish, where the new site has it, the last site's copy to link if it is still that file).
A copy that is the file itself (a kept page) is linked without a look."""

BATCH = 2_000
"""Jobs sent to the process at a time: one write to the pipe instead of one system call each."""


RECYCLED_NICENESS = 10
"""How much less of the CPU the process asks for than the build when it publishes into the site before last (a
merge, or nothing changed): there it mostly looks at files already in place (three system calls each, then the
attachments' folders swept), 0.65 s of CPU at 10,000 orders, which at the build's priority came out of the
history's prefetch and the check in a merge's first two seconds, both cores busy; the site is swapped in seconds
after it is done. Eight merges each taking turns, three times: 4.98 against 5.22 s, 5.11 against 5.25 s at 10,
5.04 against 5.12 s at 19, faster in 21 of 24; at 5, as the prefetch runs, no gain (5.21 against 5.22 s). From
nothing it copies every attachment at the build's priority: the page workers would starve it until the end."""


class PublishError(RuntimeError):
    pass


class Publishing:
    """One edition's files on their way into its site: ``add`` them, ``wait`` before the site is read or swapped
    in, ``stop`` when the build fails (its folder is removed after, so nothing is written into it once gone).
    The process starts with the first batch."""

    def __init__(self, recycled: bool = False, apart: str | None = None) -> None:
        self.process: subprocess.Popen | None = None
        self.waiting: list[Job] = []
        self.recycled = recycled  # into the site before last (``spare``): a file there is replaced unless it is the one linked
        self.targets: set[str] = set()  # every file added (normalised): what ``spare.sweep`` leaves in a recycled folder
        self.apart = apart
        """A folder of a recycled site that only this process writes into (the attachments'): swept by it of every file
        not added once all are in (``apart_done``), beside the check, not by the build before MkDocs writes (0.13 s of
        its 0.19 s at 10,000 orders: 38,165 attachments)."""
        self.swept = apart is None or not recycled
        self.spool: BinaryIO | None = None
        """An unnamed file the batches are written into, the process told where each is by a note of 16 bytes in its
        pipe: written into the pipe, a batch waited for the process to read it (0.2 s of the build's thread after a
        merge at 10,000 orders, the process still starting); written by a thread, the writes took the interpreter's
        lock back from the thread checking the archive each time the pipe drained (its models' cache read in
        0.96 s instead of 0.47)."""

    def add(self, source: str, target: str, copy: str | None = None) -> None:
        target = os.path.normpath(target)
        self.targets.add(target)
        self.waiting.append((source, target, copy))
        if len(self.waiting) >= BATCH:
            self.send()

    def send(self) -> None:
        """What was added so far, handed over now: say, the attachments, before the archive is checked."""
        if not self.waiting:
            return
        if self.process is None:
            self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``wait`` or ``stop``)
            spool = self.spool.fileno()
            recycled = ["recycled", *([self.apart] if self.apart else [])] if self.recycled else []
            command = [sys.executable, "-P", "-m", "generator.site.publishing", str(os.getpid()), str(spool), *recycled]
            # A process group of its own: Ctrl-C at the terminal is the build's to handle (``stop`` ends this one).
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, process_group=0, cwd="/", pass_fds=(spool,)
            )
        batch = marshal.dumps(self.waiting)
        self.waiting = []
        at = self.spool.tell()  # type: ignore[union-attr]
        self.spool.write(batch)  # type: ignore[union-attr]
        self.spool.flush()  # type: ignore[union-attr]
        self._note(at, len(batch))

    def _note(self, offset: int, length: int) -> None:
        """Where the process finds the next batch (a length of 0: every file of ``apart`` is in)."""
        with contextlib.suppress(BrokenPipeError):  # it stopped at a file it could not publish: ``wait`` says which
            self.process.stdin.write(offset.to_bytes(8, "little") + length.to_bytes(8, "little"))  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]

    def _close_spool(self) -> None:
        spool, self.spool = self.spool, None
        if spool is not None:
            spool.close()

    def apart_done(self) -> None:
        """Every file of ``apart`` is added: the process sweeps it now (an empty batch says so), or, where nothing was
        published at all, this one."""
        if self.swept:
            return
        self.send()
        self.swept = True
        if self.process is None:
            _sweep(self.apart, self.targets)  # type: ignore[arg-type]
            return
        self._note(0, 0)

    def wait(self) -> None:
        """Once every file added is in place; the first failure, named, when one could not be."""
        self.apart_done()
        self.send()
        process, self.process = self.process, None
        if process is None:
            return
        try:
            _, said = process.communicate()
        finally:
            self._close_spool()
        if process.returncode != 0:
            reason = said.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [f"the process ended with {process.returncode}"]
            raise PublishError(f"a file could not be put into the site: {printable(reason[0])}")

    def stop(self) -> None:
        self.waiting = []
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.communicate()
        self._close_spool()


def publish(jobs: list[Job], made: set[str], recycled: bool = False) -> None:
    """Each file linked from the last site's copy where that is the same file, copied otherwise. ``made``: the
    folders made so far (a dossier's attachments share one: asking the file system again for each cost a third
    of the time). ``recycled``: into the site before last, where a file already at the target is left only when it
    is the very file that would be linked (most are: the pages and attachments no merge since has changed)."""
    for source, target, copy in jobs:
        folder = parent(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        if recycled and _in_place(source, target, copy):
            continue
        if copy is not None:
            try:
                if copy == source or _same(source, copy):
                    os.link(copy, target)
                    continue
            except OSError:
                pass  # no copy, or none to link: copied below
        shutil.copy2(source, target)  # keeps the time, for the next build's check


def _in_place(source: str, target: str, copy: str | None) -> bool:
    """Whether ``target`` is already the file a job would link (the same device and inode as ``copy``, which is the
    same file as ``source``); anything else there (another file, a link, a folder) is removed first."""
    try:
        there = os.lstat(target)
    except FileNotFoundError:
        return False
    if stat.S_ISREG(there.st_mode) and copy is not None:
        try:  # the copy looked at once, and the source only when the copy is the file there (38,165 attachments at 10,000 orders)
            linked = os.lstat(copy)
            if _identity(linked) == _identity(there) and (copy == source or _same_status(os.stat(source), linked)):
                return True
        except OSError:
            pass
    if stat.S_ISDIR(there.st_mode):
        shutil.rmtree(target)
    else:
        os.unlink(target)
    return False


def _sweep(folder: str, targets: set[str]) -> None:
    from generator.site.spare import sweep

    inside = folder + os.sep
    sweep(folder, {target for target in targets if target.startswith(inside)}, set())
    with contextlib.suppress(OSError):  # left empty: a build from nothing has no such folder
        os.rmdir(folder)


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


def _same(source: str, copy: str) -> bool:
    return _same_status(os.stat(source), os.stat(copy))


def _same_status(now: os.stat_result, then: os.stat_result) -> bool:
    return (now.st_size, now.st_mtime_ns) == (then.st_size, then.st_mtime_ns)


def main() -> None:
    from generator.core.processes import die_with_parent

    die_with_parent(int(sys.argv[1]))
    recycled, apart = sys.argv[3:4] == ["recycled"], sys.argv[4] if len(sys.argv) > 4 else None
    if recycled:
        with contextlib.suppress(OSError):  # a system that refuses it: the build's own priority, as before
            os.nice(RECYCLED_NICENESS)
    batches: queue.SimpleQueue[bytes | OSError | None] = queue.SimpleQueue()
    threading.Thread(target=_read, args=(sys.stdin.buffer, int(sys.argv[2]), batches), daemon=True).start()
    made: set[str] = set()
    targets: set[str] = set()
    try:
        while (batch := batches.get()) is not None:
            if isinstance(batch, OSError):
                raise batch
            if not batch:  # every file of ``apart`` is in: what else the spare held there goes
                if recycled and apart:
                    _sweep(apart, targets)
                continue
            jobs = marshal.loads(batch)
            if apart:
                targets.update(target for _, target, _ in jobs)
            publish(jobs, made, recycled)
    except OSError as exc:
        sys.stderr.write(f"{exc.filename}: {exc.strerror}\n" if exc.filename else f"{exc}\n")
        sys.stderr.flush()
        os._exit(1)  # now: an interpreter's shutdown would wait on the reading thread's hold on the pipe, and fail


def _read(pipe, spool: int, batches: queue.SimpleQueue) -> None:
    """Every batch as its note comes, read from the spool file where the note says, whatever publishing has reached
    (taken in only as the links were made, the batches held the build's writes up: 1.5–7.4 s of its thread for
    38,165 attachments, by the disk)."""
    try:
        while len(note := pipe.read(16)) == 16:
            at, length = int.from_bytes(note[:8], "little"), int.from_bytes(note[8:], "little")
            batch = os.pread(spool, length, at)  # a file's bytes: all of them, unless it ends before
            if len(batch) != length:
                raise OSError(f"the batch at {at} ends {length - len(batch)} bytes early")
            batches.put(batch)
    except OSError as exc:  # the publishing stops, and says why
        batches.put(exc)
    finally:
        batches.put(None)


if __name__ == "__main__":
    main()
