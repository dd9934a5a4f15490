"""Field-level diffs between consecutive versions of each record ("intake.budget 120000 → 150000").

Blobs are read through ``git cat-file --batch`` and parsed with the safe
reader; with many blobs, groups of records are diffed on both cores and
only the small diffs cross processes. A version usually changes one or two
of a record's top-level entries, so only those are read again (``Versions``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import re
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from generator.core.memory import give_back
from generator.core.processes import die_with_parent, start_helper
from generator.records.safeyaml import MAX_BYTES, parse
from generator.trail.commits import FieldChange, UnreadableHistory
from generator.trail.gitlog import ObjectReader

_MAX_SHOWN = 80
PARALLEL_FROM = 4000  # blobs; below this a second process costs more than it saves

Step = tuple[int, str, str | None, str | None]
"""One change of one record file: (commit index, A/M/D, blob of the version before — only when this run must read it, new blob)."""


def read_versions(cwd: str, steps: dict[str, list[Step]]) -> Iterator[tuple[str, tuple[list, list]]]:
    """Each path's statuses and field diffs, version by version.

    Paths are independent, so they are split into groups that each read their
    own blobs (one ``git cat-file`` each), parse them and diff them; with
    enough blobs the groups run on both cores, and only the small diffs come
    back, never the parsed versions.
    """
    blobs = sum(bool(before) + bool(after) for path_steps in steps.values() for _, _, before, after in path_steps)
    workers = None
    if blobs >= PARALLEL_FROM and len(os.sched_getaffinity(0)) >= 2:
        paths = sorted(steps, key=lambda path: -len(steps[path]))
        # Each group as bytes: a forked worker that took its steps from this process's objects would write to
        # their reference counts, and so copy every page they sit on (measured at 10,000 orders: 164 → 71 MB of
        # its own a worker, the history read 1,253 → 1,166 MB in all processes)
        groups = [pickle.dumps([(path, steps[path]) for path in paths[i::_GROUPS]], pickle.HIGHEST_PROTOCOL) for i in range(_GROUPS)]
        give_back()  # what the walk freed, returned first: kept by the allocator, it was 40 MB more in this process and both workers at 10,000 orders
        with contextlib.suppress(OSError):  # no process to be had (a limit on processes, or memory): read here
            workers = _Workers(cwd, groups)
    if workers is None:
        yield from _diff_group(cwd, list(steps.items()))
        return
    try:
        yield from workers.answers()
    finally:
        workers.stop()


_GROUPS = 16  # enough for both processes to finish together


class _Workers:
    """Two forked processes that diff the groups they are sent, one group at a time, each over a pipe of its own.

    They share nothing else: no lock a stopped worker could die holding. (``multiprocessing.Pool`` has them:
    stopped with work left, in about one stop of three with large answers, its killed worker held the result
    queue's lock and the pool's own thread then waited for it for good.) A worker ends when told, when stopped,
    and when its pipe closes, so none outlives the process that started it.
    """

    def __init__(self, cwd: str, groups: list[bytes]):
        self.groups = groups
        self.given = 0  # groups sent so far
        self.pipes: dict[Connection, multiprocessing.process.BaseProcess] = {}
        self.busy: set[Connection] = set()
        context = multiprocessing.get_context("fork")
        try:
            for _ in range(2):
                mine, theirs = context.Pipe()
                process = start_helper(context, _serve, (cwd, groups, theirs, [mine, *self.pipes], os.getpid()), name="history-diffs", daemon=True)
                theirs.close()
                self.pipes[mine] = process
        except BaseException:
            self.stop()
            raise

    def _give(self, pipe: Connection) -> None:
        """The next group to this worker, or the word to end."""
        if self.given < len(self.groups):
            pipe.send(self.given)
            self.given += 1
            self.busy.add(pipe)
        else:
            pipe.send(None)
            self.busy.discard(pipe)

    def answers(self) -> Iterator[tuple[str, tuple[list, list]]]:
        for pipe in self.pipes:
            self._give(pipe)
        while self.busy:
            for pipe in wait(list(self.busy)):
                try:
                    ok, answer, last = _received(pipe)
                except (EOFError, OSError) as exc:
                    process = self.pipes[pipe]
                    process.join(1)
                    raise UnreadableHistory(f"a process diffing the records' versions ended without an answer (exit code {process.exitcode})") from exc
                if not ok:
                    raise answer
                if last:  # the group's last part: the worker takes the next
                    self._give(pipe)
                yield from answer

    def stop(self) -> None:
        """Told to end, a worker ends on its own; one still working is stopped (SIGTERM ends it at once)."""
        for pipe, process in self.pipes.items():
            if pipe in self.busy or self.given < len(self.groups):
                process.terminate()
            process.join()
            pipe.close()
        self.busy.clear()


def _serve(cwd: str, groups: list[bytes], pipe: Connection, others: list[Connection], parent: int) -> None:
    """In a worker: diff each group asked for until told to end, or the asker is gone."""
    die_with_parent(parent)
    for other in others:  # the parent's ends, inherited: held here, they would never close
        other.close()
    with contextlib.ExitStack() as held:  # the worker's git, started with its first group and ended with it
        _answer_groups(cwd, groups, pipe, lambda: held.enter_context(_FedReader(cwd)))


def _answer_groups(cwd: str, groups: list[bytes], pipe: Connection, start_reader: Callable[[], _FedReader]) -> None:
    blobs: _FedReader | None = None
    while True:
        try:
            index = pipe.recv()
        except (EOFError, OSError):
            return
        if index is None:
            return
        part: list[tuple[str, tuple[list, list]]] = []
        held = 0  # versions in ``part``
        try:
            blobs = blobs or start_reader()  # git that cannot be started is reported as any failure of a group
            for found in _diff_group(cwd, pickle.loads(groups[index]), blobs):
                part.append(found)
                held += len(found[1][0])
                if held >= ANSWER_VERSIONS:
                    if not _send(pipe, (True, part, False)):
                        return
                    part, held = [], 0
            answer: tuple = (True, part, True)
        except Exception as exc:  # reported where the reading was asked for, as its own exception when it pickles
            answer = (False, exc, True)
        if not _send(pipe, answer) or not answer[0]:
            return


ANSWER_VERSIONS = 1000
"""Versions a worker diffs before it sends what it found: its memory holds one such part, not its whole group's
diffs (16 groups at 10,000 orders: 9,700 versions a group, 34 MB of a worker's own at a cold build's peak, and
five times as much at 50,000 orders)."""


def _send(pipe: Connection, answer: tuple) -> bool:
    """``answer`` (ok, found or the exception, whether the group is done) to the reader; False when it is gone."""
    try:
        message = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        message = pickle.dumps((False, UnreadableHistory(f"{answer[1].__class__.__name__}: {answer[1]} ({exc})"), True))
    try:
        pipe.send_bytes(message)
    except OSError:
        return False
    return True


def _received(pipe: Connection) -> tuple[bool, Any, bool]:
    """A worker's next message (``_send``)."""
    return pipe.recv()


class _FedReader(ObjectReader):
    """One ``git cat-file --batch`` for a worker's life, given each group's blobs as the group comes: git keeps its
    delta bases from group to group (a ``git cat-file`` a group, each beginning again, read the history without a
    cache 1.2 s slower at 10,000 orders than one a worker), and a group stays small for the worker's memory."""

    def __init__(self, cwd: str):
        self.fed: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        super().__init__(cwd, [])

    def add(self, shas: list[str]) -> None:
        """The next group's blobs, read by ``next`` once the group before is read whole."""
        self.shas, self.position = shas, 0
        self.fed.put(shas)

    def _feed(self) -> None:
        try:
            while (shas := self.fed.get()) is not None:
                self._write(shas)
                self.process.stdin.flush()
            self.process.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def __exit__(self, *exc: object) -> None:
        self.fed.put(None)
        super().__exit__(*exc)


def _diff_group(cwd: str, group: list[tuple[str, list[Step]]], blobs: _FedReader | None = None) -> Iterator[tuple[str, tuple[list, list]]]:
    """Each path's statuses and diffs, one path at a time, as its versions are read: from ``blobs`` (a worker's), or
    from a ``git cat-file`` of the group's own."""
    wanted = [sha for _, path_steps in group for _, _, before, after in path_steps for sha in (before, after) if sha is not None]
    if blobs is None:
        with ObjectReader(cwd, wanted) as own:
            yield from _diffs(group, own)
    else:
        blobs.add(wanted)
        yield from _diffs(group, blobs)


def _diffs(group: list[tuple[str, list[Step]]], blobs: ObjectReader) -> Iterator[tuple[str, tuple[list, list]]]:
    for path, path_steps in group:
        statuses, diffs = [], []
        latest: dict[str, str] = {}
        versions = Versions()
        for _, change, before, after in path_steps:
            old = versions.flat(blobs.next()) if before is not None else latest
            latest = versions.flat(blobs.next()) if after is not None else {}
            statuses.append(latest.get("status"))
            diffs.append(diff_fields(old, latest) if change == "M" else ())
        yield path, (statuses, diffs)


def _flat(raw: bytes) -> dict[str, str]:
    data, _ = parse(raw, "")
    return flatten(data) if data is not None else {}


_KEY_LINE = re.compile(rb"([a-z_][a-z0-9_]*):(?: |$)")
# Line breaks other than "\n" (CR, NEL, LS, PS): libyaml counts lines by them and the safe reader by "\n", so
# where a file's checks look depends on what comes before: such a file is parsed whole.
_OTHER_BREAKS = re.compile(b"\r|\xc2\x85|\xe2\x80[\xa8\xa9]")


class Versions:
    """The flattened versions of one record, one after another. A YAML block mapping's entries are read
    independently of each other (the safe reader refuses anchors and aliases, the only way one entry could
    refer to another), so the top-level entries whose bytes are those of an entry of the version read before
    keep its values, and the others are parsed together, as if the file held only them. A file that is not
    plainly one ``key:`` line at the first column per entry (with indented, blank and comment lines under it,
    and a line end at its end), or whose entries do not come back as the keys they start with, is parsed
    whole."""

    def __init__(self) -> None:
        self.known: dict[bytes, dict[str, str]] = {}  # the last version's entries: their bytes → their fields

    def flat(self, raw: bytes) -> dict[str, str]:
        entries = _entries(raw)
        if entries and len({key for key, _ in entries}) == len(entries):
            changed = [(key, lines) for key, lines in entries if lines not in self.known]
            data: Any = {}
            if changed:
                data, _ = parse(b"".join(lines for _, lines in changed), "")
            if type(data) is dict and list(data) == [key for key, _ in changed]:
                known = {}
                for key, lines in entries:
                    values = self.known.get(lines)
                    known[lines] = flatten({key: data[key]}) if values is None else values
                self.known = known
                return {field: value for values in known.values() for field, value in values.items()}
        self.known = {}
        return _flat(raw)


def _entries(raw: bytes) -> list[tuple[str, bytes]] | None:
    """A record's top-level entries, each its key and its bytes (comment and blank lines go with the entry
    above them, or the first); None when a line at the first column is neither a plain key nor a comment."""
    if len(raw) > MAX_BYTES or not raw.endswith(b"\n") or _OTHER_BREAKS.search(raw):
        return None
    keys: list[str] = []
    starts: list[int] = []
    at = 0
    for line in raw[:-1].split(b"\n"):
        if line[:1] not in (b" ", b"#") and line.strip():
            key = _KEY_LINE.match(line)
            if key is None:
                return None
            keys.append(key.group(1).decode("ascii"))
            starts.append(at)
        at += len(line) + 1
    if not starts:
        return []
    starts[0] = 0  # the lines above the first key go with it
    return [(key, raw[start:end]) for key, start, end in zip(keys, starts, [*starts[1:], len(raw)], strict=True)]


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"intake.budget": "1200000", "work_plan.tasks[0].status": "done", …}``."""
    out: dict[str, str] = {}
    _flatten_into(out, value, prefix)
    return out


def _flatten_into(out: dict[str, str], value: Any, prefix: str) -> None:
    if type(value) is dict:
        for key, item in value.items():
            _flatten_into(out, item, f"{prefix}.{key}" if prefix else str(key))
    elif type(value) is list:
        for i, item in enumerate(value):
            _flatten_into(out, item, f"{prefix}[{i}]")
        if not value:
            out[prefix] = "[]"
    elif type(value) is str:
        out[prefix] = value
    else:
        out[prefix] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _shown(text: str) -> str:
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def diff_fields(before: dict[str, str], after: dict[str, str]) -> tuple[FieldChange, ...]:
    """What changed between two flattened versions, field by field, in the order of the new version."""
    changes: list[FieldChange] = [(k, _shown(before[k]) if k in before else None, _shown(v)) for k, v in after.items() if before.get(k) != v]
    changes += [(k, _shown(v), None) for k, v in before.items() if k not in after]
    return tuple(changes)
