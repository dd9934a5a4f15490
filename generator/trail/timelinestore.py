"""Every record file's timeline kept between builds: after a merge, only the timelines it changed are packed.

A file's timeline (``timeline.pack``) changes only when a commit gives the file
a new version, as long as every commit's judgement stays what it was. Those
judgements are kept by ``pipeline._judge`` under the records they read (the
``read`` digest, which keys this store too); the acknowledgements, applied
afresh each time from the final policy, are part of the key as well. So the
store says for which head it was made, and a later build packs again only the
files with a version after it: at 10,000 orders a merge packs a few timelines
where packing all 44,000 took 0.85 s, and hands the build a digest of each
(a few megabytes) where it sent 112 MB of packed rows through a pipe.

The packed timelines are kept in a base file (``timelines-<id>.data``), never
changed once written, and the index (``timelines.index``, a ``cachefile``)
says where each file's is: (offset, length) in the base, or the packed bytes
themselves when packed since. Once those and the base's dead bytes outweigh
``REBASE``, a new base is written and the old one removed: a process that
opened the old base keeps reading it (``Timelines`` opens it as it gets it).
Every timeline read from a base is checked against its digest
(``TimelineLost``). A shallow clone's commits miss part of their branches and
are judged afresh each time: nothing is kept for it, nor where the system reads no file at an offset
(``os.pread``: Windows).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from generator.core import cachefile
from generator.core.files import remove_stale, write_whole
from generator.trail.approvals import Approvals
from generator.trail.commits import History
from generator.trail.timeline import STORE_INDEX, Timelines, approvals_by_commit, pack

INDEX = STORE_INDEX
_VERSION = 1

REBASE = (4 << 20, 8)
"""A new base is written when the timelines kept apart from it, with the base's bytes no file reads any longer,
are more than the first of these (bytes) and more than one in the second of the base."""

Kept = tuple
"""A file's timeline as the index keeps it: (digest, offset, length) in the base, or (digest, packed bytes)."""


def kept_timelines(history: History, approvals: Approvals, folder: Path, read: str, later: list[Callable[[], object]] | None = None) -> Timelines:
    """Every file's timeline, those of the files with no version since the store's head taken from the store,
    the others packed; the store brought up to this history (``read``: ``pipeline._read_by_trail``), now or, given
    ``later``, by a step added to it: the history's prefetch writes the index once it has answered (4 MB at 10,000
    orders, 0.1 s of its core while the build waited for the answer)."""
    if history.shallow or not hasattr(os, "pread"):  # a page worker reads its timelines at their offsets (POSIX)
        return Timelines.of(history, approvals)
    key = _key(read, approvals)
    name, size, index, count = _read(folder, key, history)
    approval_of = approvals_by_commit(approvals)
    digests: dict[str, bytes] = {}
    places: dict[str, tuple[int, int]] = {}
    apart: dict[str, bytes] = {}
    packed_now = 0
    for path, versions in history.versions.items():
        kept = index.get(path) if versions[-1].commit < count else None
        if kept is not None:
            digests[path] = kept[0]
            if len(kept) == 3:
                places[path] = (kept[1], kept[2])
            else:
                apart[path] = kept[1]
            continue
        data = apart[path] = pack(history, approval_of, path)
        digests[path] = hashlib.sha1(data).digest()
        packed_now += 1
    dead = size - sum(length for _, length in places.values())
    rebase = sum(map(len, apart.values())) + dead > max(REBASE[0], size // REBASE[1])
    if rebase:
        old = _base_bytes(folder / _base_file(name)) if name and places else b""

        def packed(path: str) -> bytes:  # what the old base holds, when it still does
            found = apart.get(path)
            if found is None:
                start, length = places[path]
                found = old[start : start + length]
                if hashlib.sha1(found).digest() != digests[path]:
                    found = pack(history, approval_of, path)
                    digests[path] = hashlib.sha1(found).digest()
            return found

        rebased = _rebase(folder, digests, packed)
        if rebased is not None:
            (name, size, places), apart = rebased, {}
    found = Timelines.holding(history, digests, apart, places, str(folder / _base_file(name)) if name else "")
    if not rebase and count == len(history.commits) and not packed_now:  # the store as it is: nothing to write
        return found
    head, made_after = (history.commits[-1].sha if history.commits else ""), len(history.commits)

    def store() -> None:
        stored = {path: (digest, *places[path]) if path in places else (digest, apart[path]) for path, digest in digests.items()}
        cachefile.write(folder / INDEX, _VERSION, key, (name, size, head, made_after, stored))
        remove_stale(folder, _base_file("*"), _base_file(name))  # bases the index does not name

    if later is None:
        store()
    else:
        later.append(store)
    return found


def _key(read: str, approvals: Approvals) -> str:
    """``read`` and what the acknowledgements made of the approvals: applied afresh each run from the final
    policy (itself in ``read``), a new commit can still change them (an acknowledged hash prefix it shares)."""
    digest = hashlib.sha1(read.encode())
    for approval in approvals.with_problems():  # an acknowledged one among them
        if approval.acknowledged is not None or any(rule == "history.acknowledgement-refused" for rule, *_ in approval.problems):
            digest.update(cachefile.value_bytes((approval.commit.sha, approval.acknowledged, [tuple(p) for p in approval.problems])))
    return digest.hexdigest()


def _read(folder: Path, key: str, history: History) -> tuple[str, int, dict[str, Kept], int]:
    """The base's name and size, the index and how many of the history's commits it was made after; nothing
    where the index is missing, stale or damaged, the base is not the size it names, or the history is not the
    one the index was made from with commits added (rewritten, or read afresh otherwise)."""
    stored = cachefile.read(folder / INDEX, _VERSION, key)
    nothing: tuple[str, int, dict[str, Kept], int] = ("", 0, {}, 0)
    if not (isinstance(stored, tuple) and len(stored) == 5):
        return nothing
    name, size, head, count, index = stored
    if not (isinstance(name, str) and type(size) is int and isinstance(index, dict) and type(count) is int):
        return nothing
    commits = history.commits
    if not (0 < count <= len(commits) and commits[count - 1].sha == head):
        return nothing
    if name and _size(folder / _base_file(name)) != size:
        return nothing
    if not all(_well_formed(kept, size) for kept in index.values()):
        return nothing
    return name, size, index, count


def _well_formed(kept: object, size: int) -> bool:
    if type(kept) is not tuple or not kept or type(kept[0]) is not bytes:
        return False
    if len(kept) == 2:
        return type(kept[1]) is bytes
    return len(kept) == 3 and type(kept[1]) is int and type(kept[2]) is int and 0 <= kept[1] <= kept[1] + kept[2] <= size


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _rebase(folder: Path, digests: dict[str, bytes], packed: Callable[[str], bytes]) -> tuple[str, int, dict[str, tuple[int, int]]] | None:
    """Every timeline (``packed(path)``) written into a new base named by their digests: its name, its size and
    where each is; None where it cannot be written."""
    paths = list(digests)
    new: dict[str, tuple[int, int]] = {}

    def parts() -> Iterator[bytes]:
        offset = 0
        for path in paths:
            data = packed(path)
            new[path] = (offset, len(data))
            offset += len(data)
            yield data

    made = hashlib.sha1(b"".join(digests[path] for path in paths)).hexdigest()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_whole(folder / _base_file(made), parts())
    except OSError:
        return None
    return made, sum(length for _, length in new.values()), new


def _base_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _base_file(name: str) -> str:
    return f"timelines-{name}.data"
