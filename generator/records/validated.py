"""The archive's records validated, each file's model kept between runs.

Between two builds almost every record file is the same, and parsing and
validating them was most of a check: at 10,000 orders 0.6 s taking the
parsed documents from a cache and 1.3 s validating them, after every merged
pull request. A file whose bytes (by SHA-1) validated at the same path last
time is now its model again, taken from the archive's cache folder
(``cachefile``: keyed by this program, so another version's models are never
taken); every other file is parsed and validated, and only a file that
validated without a problem is kept, so a refused file is reported afresh
every time.

The models are kept pickled in parts of ``BASE_PART`` in one file (the base,
``records-<id>.pickle``: 0.5 s to unpickle at 10,000 orders, against 1.1 s
for one pickle a record), never changed once written; the index
(``records.index``) names the base and says where each file's model is: at
its number in the base, or, validated since, in a pickle of its own. Once
those and the base's models no file has any longer outnumber ``REBASE``, a
new base is written (1.1 s at 10,000 orders: at a first build, and after
hundreds of changed records, not after each merge). A base replaced under a
reader that had its index makes that reader find no cache, never another
file's model.

A pickle can name any function for the reader to call: this one is read by
an unpickler that finds nothing but the record models' own classes and enums
(``schemas``), ``datetime.date`` and ``decimal.Decimal``, and any other name
makes the whole file no cache. The cache is trusted as far as the others in
that folder (the history's verdict, the pages): whoever can write there can
write the repository's git configuration too.
"""

from __future__ import annotations

import enum
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from generator.core import cachefile
from generator.core.files import remove, remove_stale, write_whole
from generator.core.memory import collector_paused
from generator.core.problems import Problem
from generator.core.unpickling import Restricted, in_schemas
from generator.records.load import Snapshot, read_again, read_files
from generator.records.validate import Entry, share_field_sets, validate_file
from schemas import MODELS

INDEX = "records.index"
_VERSION = 1
_RETIRED = "records.marshal"
"""The parsed documents' cache of earlier versions (47 MB at 10,000 orders): removed."""

REBASE = (256, 16)
"""The base is written again when the models kept apart from it, with the base's models no file has any longer,
are more than the first of these and more than one in the second of the records."""

Kept = tuple[bytes, int | bytes]
"""A file's SHA-1 and where its model is: its place in the base, or a pickle of its own."""


def validated_entries(root: Path, snapshot: Snapshot | None, problems: list[Problem]) -> list[Entry]:
    """Every record file of the archive at ``root`` (or of a snapshot read from it) that passed the schema, as
    an ``Entry``, in the files' order; what was found wrong on the way is added to ``problems``. A snapshot's
    files are handed over: each file's bytes go once it is dealt with (the snapshot's list is emptied)."""
    files, found = (snapshot.files, snapshot.problems) if snapshot else read_files(root)
    problems.extend(found)
    folder = cachefile.folder(root)
    entries: list[Entry] = []
    now: dict[str, Kept | None] = {}  # path → where its model is kept; None: validated now
    # The models live as long as the process; moved out of the collector's reach, they are not walked again by
    # every later collection (the attachments' scan on 42,000 records: 2.7 → 0.3 s).
    with collector_paused(keep=True):
        name, index, base = _read(folder)
        files.reverse()  # taken from the end, each in turn
        while files:
            path, place, data, digest = files.pop()
            kept = index.get(path)
            model = _model(kept[1], base, MODELS[place.kind]) if kept is not None and kept[0] == digest else None
            if model is not None:
                entries.append(Entry(path, place.kind, digest, model))
                now[path] = kept
                continue
            entry, found = validate_file(path, place, data if data is not None else read_again(root, path, digest), digest)
            problems.extend(found)
            if entry is not None:
                entries.append(entry)
                now[path] = None
        if now != index:
            _write(folder, name, len(base), entries, now)
    return entries


def _model(where: object, base: list[Any], cls: type) -> Any | None:
    """The kept model, if it is one of the class the file's place calls for."""
    if type(where) is int:
        model = base[where] if 0 <= where < len(base) else None
    else:
        model = _unpickled(where)
        if type(model) is cls:
            share_field_sets(model)
    return model if type(model) is cls else None


def _read(folder: Path) -> tuple[str, dict[str, Kept], list[Any]]:
    """The base's name, the index (path → ``Kept``) and the base's models; nothing where either file is
    missing, stale, damaged or not this writer's."""
    stored = cachefile.read(folder / INDEX, _VERSION, "")
    if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], str) and isinstance(stored[1], dict)):
        return "", {}, []
    name, index = stored
    if not name:
        return name, index, []
    base = _read_base(folder / _base_file(name))
    return (name, index, base) if type(base) is list else ("", {}, [])


def _read_base(path: Path) -> list[Any] | None:
    """The base's models, unpickled a part at a time as the file is read (``_write_base``)."""
    try:
        with open(path, "rb") as handle:
            header = handle.readline().split()
            if header[:3] != _BASE_HEADER or len(header) != 4:
                return None
            models: list[Any] = []
            while len(models) < int(header[3]):
                part = _Reader(handle).load()
                if type(part) is not list or not part:
                    return None
                models += part
            return models if len(models) == int(header[3]) and not handle.read(1) else None
    except Exception:  # missing, damaged or forged: no cache (nothing it names beyond the models is ever found)
        return None


def _write(folder: Path, name: str, based: int, entries: list[Entry], now: dict[str, Kept | None]) -> None:
    """The index of ``now`` (the base named ``name`` has ``based`` models), or a new base when too many of the
    models are kept apart from it (``REBASE``)."""
    in_base = sum(type(kept[1]) is int for kept in now.values() if kept is not None)
    apart = len(now) - in_base + (based - in_base)  # kept apart, or in the base for no file
    if apart > max(REBASE[0], len(entries) // REBASE[1]):
        name = _write_base(folder, [entry.model for entry in entries])
        index = {entry.path: (entry.digest, number) for number, entry in enumerate(entries)}
    else:
        index = {}
        for entry in entries:
            kept = now[entry.path]
            index[entry.path] = kept if kept is not None else (entry.digest, _pickled(entry.model))
    cachefile.write(folder / INDEX, _VERSION, "", (name, index))
    remove_stale(folder, _base_file("*"), _base_file(name))  # bases no index names (a reader between the two finds no cache)
    remove(folder / _RETIRED)


BASE_PART = 1024
"""Models pickled together in the base: a pickle keeps every object it wrote (its memo) until it ends, and all
the models at once were a few hundred megabytes more at a first build's peak; a part shares its dates and field
sets within itself only."""

_BASE_HEADER = [b"order-archive-records", str(_VERSION).encode(), cachefile.CODE.encode()]


def _write_base(folder: Path, models: list[Any]) -> str:
    """A new base, named by its content; "" where it cannot be written. Its first line says this writer, this
    program (``cachefile.CODE``) and how many models follow, in parts of ``BASE_PART``."""
    body = io.BytesIO()
    body.write(b" ".join([*_BASE_HEADER, str(len(models)).encode()]) + b"\n")
    for start in range(0, len(models), BASE_PART):
        pickle.Pickler(body, protocol=5).dump(models[start : start + BASE_PART])
    data = body.getbuffer()
    name = hashlib.sha1(data).hexdigest()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_whole(folder / _base_file(name), data)
    except OSError:
        return ""
    finally:
        data.release()
    return name


def _base_file(name: str) -> str:
    return f"records-{name}.pickle"


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=5)


def _unpickled(packed: object) -> Any | None:
    if type(packed) is not bytes:
        return None
    try:
        return _Reader(io.BytesIO(packed)).load()
    except Exception:  # a damaged or forged pickle: no cache (nothing it names beyond the models is ever found)
        return None


class _Reader(Restricted):
    """Finds the record models' classes and enums (``schemas``), dates and decimals, and nothing else."""

    what = "a record"

    def allows(self, module: str, name: str, value: type) -> bool:
        return in_schemas(module) and issubclass(value, (BaseModel, enum.Enum))
