"""The whole check of an archive: load → validate → index → archive-wide rules.

One function the commands call, so ``orders validate``, ``orders check`` and
the site build see exactly the same problems.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, partial
from pathlib import Path
from typing import Any, NamedTuple

from generator.core import cachefile
from generator.core.memory import give_back
from generator.core.problems import Problem, Severity, UserError
from generator.core.processes import Beside
from generator.records.calendar import archive_today
from generator.records.catalog import Catalog, build_catalog
from generator.records.layout import RECORDS_DIR, dossier_folder, place_of
from generator.records.load import Snapshot, read_again, scan_attachments
from generator.records.validate import Entry, validate_file
from generator.records.validated import validated_entries
from generator.rules import run_rules
from generator.rules.grouped import CACHE as RULES_CACHE
from generator.trail.approvals import CATALOG_KINDS, Approval, Approvals, evaluate, history_findings, locate
from generator.trail.commits import History, UnreadableHistory
from generator.trail.history import read_history
from generator.trail.prefetch import Prefetch, prefetch
from generator.trail.published import is_rewritten, published_head
from generator.trail.repo import head_of, is_shallow, open_repository
from generator.trail.timeline import Timelines, approvals_by_commit, versions_of
from generator.trail.timelinestore import kept_timelines


@dataclass
class Checked:
    """The result of a check: the indexed archive, every problem, and the history behind them.

    The history and the approvals are loaded only when a caller asks for them
    (the site, ``orders history``): an unchanged archive's history problems
    come from a small cache.
    """

    catalog: Catalog
    problems: list[Problem]
    approval_count: int = 0
    findings: list = field(default_factory=list)
    """The history's findings unplaced (``approvals.locate`` places them): ``orders serve`` places them again after an edit."""
    _load: Callable[[], tuple[History | None, Sequence[Approval]]] | None = field(default=None, repr=False)
    derived: dict = field(default_factory=dict, repr=False, compare=False)
    """What the pages work out from this check that no language changes (the reports' facts): both editions of a
    build share one check, so they share these too instead of each working them out again."""
    _timelines: Timelines | None = field(default=None, repr=False)

    @cached_property
    def _trail(self) -> tuple[History | None, Sequence[Approval]]:
        """Read on first use; a history git cannot read is reported once among the problems, never shown in part."""
        if self._load is None:
            return None, []
        try:
            return self._load()
        except UnreadableHistory as exc:
            if not any(p.rule == "history.unreadable" for p in self.problems):
                self.problems.append(_unreadable(exc))
            return None, []

    @property
    def history(self) -> History | None:
        return self._trail[0]

    @property
    def approvals(self) -> Sequence[Approval]:
        return self._trail[1]

    @property
    def has_history(self) -> bool:
        return self._load is not None

    @property
    def timelines(self) -> Timelines | None:
        """Every record's versions as the pages show them (None without a history): from the process that judged
        the history when the check asked for them (``check_archive(timelines=True)``), else from the history here."""
        if self._timelines is None and self._load is not None:
            history = self.history
            if history is not None:
                self._timelines = Timelines.of(history, self.approvals)
        return self._timelines


def check_archive(
    root: Path,
    today: date | None = None,
    rules: bool = True,
    history: bool = True,
    snapshot: Snapshot | None = None,
    reading: Prefetch | None = None,
    timelines: bool = False,
    meanwhile: Callable[[Checked], object] | None = None,
) -> Checked:
    """Every problem of the archive at ``root``, sorted by place, and the indexed archive with its history.

    The site build passes the ``snapshot`` it read for its cache key, the
    history ``prefetch`` it started before reading it, and ``timelines``: it
    needs the records' timelines, not the history (``_add_history``). And
    ``meanwhile``: work of its own, done while the check waits for the history
    to be judged beside it, given the check as it is then: its catalog is
    whole, its history's findings and timelines are not in yet.
    """
    own = history and reading is None
    if own:
        reading = prefetch(root, prepare_judging if timelines else None)  # asked to judge only then (``early``)
    today = today or archive_today(root)
    asked = _ask_early(root, snapshot, reading, today) if history and timelines and reading is not None and snapshot is not None else None
    problems: list[Problem] = []
    entries = validated_entries(root, snapshot, problems)  # most of them the models of the last run
    attachments = snapshot.attachments if snapshot else scan_attachments(root)
    checked = check_entries(root, entries, problems, today, attachments, rules, history, reading, timelines, asked, meanwhile)
    if own and reading is not None:
        reading.wait()  # a prefetch that judged the history writes its cache after: nothing is left writing it
    return checked


def check_entries(
    root: Path,
    entries: list[Entry],
    problems: list[Problem],
    today: date,
    attachments: dict[str, dict[str, bool]],
    rules: bool = True,
    history: bool = True,
    reading: Prefetch | None = None,
    timelines: bool = False,
    asked: Asked | None = None,
    meanwhile: Callable[[Checked], object] | None = None,
) -> Checked:
    """The archive-wide half of ``check_archive``, from records already read and validated (with the problems
    found on the way): ``orders serve`` keeps those per file and checks again from memory. ``asked``: the
    prefetch's judging of the history, asked for already (``_ask_early``); ``meanwhile``: ``check_archive``'s."""
    broken, broken_dossiers = broken_records(problems)
    catalog = build_catalog(root, entries, today, attachments, broken, broken_dossiers)
    # With the history read into its cache already (a merge: the prefetch is done), judging it here (loading the
    # cache, the new commits' approvals, the findings) and the rules take seconds each: the rules go to a process
    # beside (at 10,000 orders 2.9 and 2.4 s). While the history is still being read, this process would only
    # wait for it: the rules are done here, and no third process holds memory beside the reading. The site's
    # history is judged away from this process in any case (``_add_history``), asked for before the rules: by the
    # prefetch, which holds it, or by a process forked before the rules (with no prefetch, the history is in its
    # cache already).
    ready = not timelines and reading is not None and reading.ready(PREFETCH_WAIT)
    kept = cachefile.folder(root) / RULES_CACHE  # the findings of the dossiers judged last time (``rules.grouped``)
    judging = Beside(partial(run_rules, catalog, kept)) if rules and history and ready else None
    checked = Checked(catalog, problems)
    early = history and timelines
    finish = _add_history(root, checked, reading, timelines, asked) if early else None
    if rules and judging is None:
        problems.extend(run_rules(catalog, kept))
    if history and not early:
        finish = _add_history(root, checked, reading, timelines)
    if meanwhile is not None:
        meanwhile(checked)  # before the history's verdict is waited for (after a merge at 10,000 orders, 0.13–0.31 s)
    if finish is not None:
        finish()
    if judging is not None:
        problems.extend(judging.result())
    problems.sort(key=lambda p: p.sort_key)  # stable: the rules' problems and the history's never tie (rule ids differ)
    return checked


PREFETCH_WAIT = 1.0
"""How long a check that judges the history itself (``orders validate``) waits for the history's prefetch before
it decides how to go on. After a merge the prefetch holds the history about when the records are checked: missed
by a moment, the rules ran here before the judging instead of beside it. A cold history takes half a minute more
to read: it costs the check this second once. The site waits for nothing: it asks the prefetch (``_ask_early``)."""


def broken_records(problems: list[Problem]) -> tuple[frozenset[str], frozenset[str]]:
    """The ids of records whose files failed their checks, and the orders holding one: rules do not pile errors on them."""
    places = [place_of(p.path.removeprefix("records/")) for p in problems if p.severity is Severity.ERROR]
    return frozenset(p.expected_id for p in places if p and p.expected_id), frozenset(p.order_id for p in places if p and p.order_id)


TRAIL_CACHE = "trail.marshal"
_TRAIL_VERSION = 3


def _add_history(
    root: Path, checked: Checked, reading: Prefetch | None = None, timelines: bool = False, asked: Asked | None = None
) -> Callable[[], None] | None:
    """The history layer, when the archive is a git repository with commits.

    Its problems depend only on the head, the published head and the few kinds
    of record the history's verdict reads (``CATALOG_KINDS``: disposals, loans,
    the policy, the organisation), so they are cached under a key made of those,
    unplaced, and placed in the files as they are now (``locate``): with one
    order edited, or nothing changed, no history is read at all.

    With ``timelines`` (the site) the history is judged away from this process,
    which is handed back the findings and the records' timelines (``Timelines``),
    never the history: this process then forks the page workers without it (at
    10,000 orders its history and approvals were about 200 MB, and what a worker
    read of them was copied into the worker). The prefetch judges it where it
    brought the history up to a new head (``Prefetch.judge``, asked by
    ``_ask_early`` or here); else a process forked here reads it from its cache.

    What is left to do, if anything, is returned: with ``timelines``, taking in
    what the process beside found, which this process may do other work before.
    """
    repo = open_repository(root)
    if repo is None:
        return
    try:
        head = head_of(repo)
    except UnreadableHistory as exc:
        checked.problems.append(_unreadable(exc))
        return
    if head is None:  # a repository without commits
        return
    catalog = checked.catalog
    shared = [e for e in catalog.entries if e.kind in CATALOG_KINDS]
    read = _read_of(shared)  # both caches' keys (``_read_by_trail``)

    def load() -> tuple[History | None, Sequence[Approval]]:
        trail = read_history(root, reading=reading)
        return trail, _judge(root, trail, catalog, read) if trail else []

    checked._load = load
    key = _trail_key(root, head, read, is_shallow(repo))
    if asked is not None and asked.key != key:  # asked about other records: not about these at all
        asked = None
    cached = asked.cached if asked is not None else _cached_findings(root, key)
    work = partial(_judged_trail, root, checked, key, read, findings=cached is None, pack=timelines)
    judging: Callable[[], tuple] | None = None
    if timelines and reading is not None:  # the prefetch holds the history: judged there, never loaded again
        if asked is None:
            asked = Asked.of(reading, root, shared, catalog.today, key, read, cached)
        judging = partial(_answer, asked.answer, work) if asked.answer is not None else None
    if timelines and judging is None:
        give_back()  # what the check let go of (the files' bytes, the rules' walks): not mapped in the judge too
        judging = Beside(work).result

    def finish() -> None:
        findings = cached
        if findings is None or judging is not None:
            try:
                found, count, checked._timelines = judging() if judging is not None else work()
            except UnreadableHistory as exc:  # never a smaller set of findings: an unreadable trail is reported unjudged
                checked.__dict__["_trail"] = (None, [])
                if not any(p.rule == "history.unreadable" for p in checked.problems):
                    checked.problems.append(_unreadable(exc))
                return
            if findings is None:
                if found is None:  # no history to judge after all
                    return
                findings = (found, count)
        checked.findings, checked.approval_count = findings
        checked.problems.extend(locate(checked.findings, catalog))

    return finish


def _judged_trail(root: Path, checked: Checked, key: str, read: str, findings: bool, pack: bool) -> tuple[list | None, int, Timelines | None]:
    """The history read and judged: its findings (when ``findings``; cached for ``key``), the number of its
    approvals, and (when ``pack``) the records' timelines, kept between builds (``timelinestore``) — all a build
    needs of it, as plain values, so that it may be worked out in a process beside, which lets the history go
    before its answer is sent (``pack``). A history git cannot read raises ``UnreadableHistory``."""
    trail, approvals = checked._load()  # type: ignore[misc]
    if not pack:
        checked.__dict__["_trail"] = (trail, approvals)
    if trail is None:
        return None, 0, None
    return _verdict(root, trail, checked.catalog, approvals, key, read, findings, pack)


def _judged_history(
    root: Path, shared: list[Entry], today: date, key: str, read: str, findings: bool, trail: History, later: list[Callable[[], object]]
) -> tuple:
    """``_judged_trail`` in the prefetch, which holds the history (``Prefetch.judge``): of the records it is
    given only those the history's verdict reads (``CATALOG_KINDS``: the key of its cached findings says so).
    Its caches are written once the answer is sent (``later``)."""
    catalog = build_catalog(root, shared, today)
    return _verdict(root, trail, catalog, _judge(root, trail, catalog, read, later), key, read, findings, pack=True, later=later)


def _verdict(
    root: Path,
    trail: History,
    catalog: Catalog,
    approvals: Approvals,
    key: str,
    read: str,
    findings: bool,
    pack: bool,
    later: list[Callable[[], object]] | None = None,
) -> tuple:
    found = None
    if findings:
        files = cachefile.folder(root) / FILES_CACHE  # each file's findings, for the records ``read``
        kept, fresh = cachefile.read(files, _FILES_VERSION, f"{read} {trail.shallow}"), {}
        found = history_findings(trail, catalog, approvals, is_rewritten(root, trail.head), kept if type(kept) is dict else None, fresh)
        _write(later, cachefile.write, cachefile.folder(root) / TRAIL_CACHE, _TRAIL_VERSION, key, (found, len(approvals)))
        _write(later, cachefile.write, files, _FILES_VERSION, f"{read} {trail.shallow}", fresh)
    return found, len(approvals), kept_timelines(trail, approvals, cachefile.folder(root), read, later) if pack else None


def _write(later: list[Callable[[], object]] | None, write: Callable[..., object], *args: object) -> None:
    """``write(*args)`` now, or added to ``later``."""
    if later is None:
        write(*args)
    else:
        later.append(partial(write, *args))


def _answer(asked: Callable[[], tuple], work: Callable[[], tuple]) -> tuple:
    """What the prefetch answered; where it gave no answer (it failed, or could not read the history), the history
    read and judged in a process beside now, as without a prefetch."""
    give_back()  # what the check let go of, given back while this process waits (a cold build waits half a minute)
    try:
        return asked()
    except Exception:  # no answer, or part of one (a prefetch that read most of the history from git gives none)
        return Beside(work).result()


def _unreadable(exc: UnreadableHistory) -> Problem:
    return Problem(RECORDS_DIR, 1, 1, "history.unreadable", f"the history cannot be read, so no approval is judged: {exc}", "§8.1")


def _trail_key(root: Path, head: str, read: str, shallow: bool) -> str:
    """Everything the history's findings depend on besides the program (``cachefile`` adds that): the head, the
    published head, whether the clone is shallow, and every record of the kinds they read (``read``, from
    ``_read_by_trail``). Any other record may change without the history being judged again."""
    digest = hashlib.sha1(f"{head} {shallow}".encode())
    digest.update((published_head(root) or "").encode())
    digest.update(read.encode())
    return digest.hexdigest()


def _read_by_trail(catalog: Catalog) -> str:
    """A digest of every record of the kinds the history's verdict reads (``CATALOG_KINDS``)."""
    return _read_of(e for e in catalog.entries if e.kind in CATALOG_KINDS)


def _read_of(entries: Iterable[Entry]) -> str:
    digest = hashlib.sha1()
    for entry in entries:
        digest.update(entry.path.encode())
        digest.update(entry.digest)
    return digest.hexdigest()


def _cached_findings(root: Path, key: str) -> Any | None:
    """The history's findings and number of approvals kept for ``key`` (``_trail_key``), or None."""
    return cachefile.read(cachefile.folder(root) / TRAIL_CACHE, _TRAIL_VERSION, key)


@dataclass
class Asked:
    """The prefetch asked to judge the history for the findings' cache ``key``, with what that cache held then
    (``cached``: None, findings wanted too): ``answer`` gives what it found (None: it could not be asked)."""

    key: str
    cached: Any | None
    answer: Callable[[], tuple] | None

    @classmethod
    def of(cls, reading: Prefetch, root: Path, shared: list[Entry], today: date, key: str, read: str, cached: Any | None) -> Asked:
        work = partial(_judged_history, root, shared, today, key, read, cached is None)
        return cls(key, cached, reading.judge(work))


def _ask_early(root: Path, snapshot: Snapshot, reading: Prefetch, today: date) -> Asked | None:
    """The prefetch asked to judge the history it holds once the few records its verdict reads (``CATALOG_KINDS``:
    the organisation, the policy, the loans, the disposals) are validated, before the archive's other records
    are: it may judge while this process validates them (1.0 s at 10,000 orders, which it spent waiting). The
    check asks again about the records it validated, should they not be these (``Asked.key``)."""
    try:
        shared = []
        for path, place, data, digest in snapshot.files:
            if place.kind in CATALOG_KINDS:
                entry, _ = validate_file(path, place, data if data is not None else read_again(root, path, digest), digest)
                if entry is not None:
                    shared.append(entry)
        repo = open_repository(root)
        head = head_of(repo) if repo is not None else None
        if head is None:
            return None
        read = _read_of(shared)
        key = _trail_key(root, head, read, is_shallow(repo))
        return Asked.of(reading, root, shared, today, key, read, _cached_findings(root, key))
    except Exception:  # a file changed meanwhile, a history git cannot read: the check meets it, and reports it
        return None


FILES_CACHE = "judged-files.marshal"
_FILES_VERSION = 1

JUDGED_CACHE = "judged.marshal"
_JUDGED_VERSION = 1


class _Prepared(NamedTuple):
    """``prepare_judging``'s work: the judgements kept, under ``key``, for ``history``."""

    key: str
    judged: dict
    history: History


_PREPARED: dict[Path, _Prepared] = {}
"""``prepare_judging``'s work, by the cache it read."""


def prepare_judging(root: Path, history: History) -> None:
    """What the history's prefetch does while it waits to be asked to judge (about 0.9 s after a merge at 10,000
    orders): it reads the files' findings and the judgements kept, which ``_judge`` takes where the records they
    were kept for are the ones read now."""
    folder = cachefile.folder(root)
    cachefile.read_ahead([folder / FILES_CACHE])
    found = cachefile.read_keyed(folder / JUDGED_CACHE, _JUDGED_VERSION)
    if found is not None and type(found[1]) is dict:
        _PREPARED[folder / JUDGED_CACHE] = _Prepared(found[0], found[1], history)


def _judge(root: Path, trail: History, catalog: Catalog, read: str, later: list[Callable[[], object]] | None = None) -> Approvals:
    """Every approval of the trail, judging only the commits the last run had not judged (``approvals.evaluate``):
    after a merge, the merge. Kept under the records the judgements read (written now, or added to ``later``); a
    shallow clone's commits miss part of their branches, so it judges them all and keeps nothing. ``read``:
    ``_read_by_trail(catalog)``."""
    if trail.shallow:
        return evaluate(trail, catalog)
    path = cachefile.folder(root) / JUDGED_CACHE
    prepared = _PREPARED.pop(path, None)
    if prepared is not None and prepared.history is trail:  # the cache read already: kept for these records, or none
        judged = prepared.judged if prepared.key == read else {}
    else:
        judged = cachefile.read(path, _JUDGED_VERSION, read) or {}
    count = len(judged)
    approvals = evaluate(trail, catalog, judged)
    if len(judged) > count:
        _write(later, lambda: cachefile.write(path, _JUDGED_VERSION, read, {c.sha: judged[c.sha] for c in trail.commits}))
    return approvals


def paths_of(checked: Checked, record_id: str) -> list[str]:
    """The files a record id stands for: an order number stands for its whole dossier."""
    history = checked.history
    known = set(history.versions) if history else set()
    known |= {e.path for e in checked.catalog.entries}
    if record_id.startswith("ORD-"):
        folder = dossier_folder(record_id) + "/"
        return sorted(p for p in known if p.startswith(folder))
    return sorted(p for p in known if (place := place_of(p.removeprefix(RECORDS_DIR + "/"))) and place.expected_id == record_id)


def record_timeline(root: Path, record_id: str, today: date | None = None) -> dict[str, Any]:
    """``orders history``: every version of a record (an order number: its whole dossier), as plain data."""
    checked = check_archive(root, today, rules=False)
    paths = paths_of(checked, record_id)
    if not paths:
        raise UserError(f"no record {record_id} in {root / RECORDS_DIR}, nor in its history")
    uncommitted = checked.history.uncommitted if checked.history else {}
    approval_of = approvals_by_commit(checked.approvals)
    return {
        "id": record_id,
        "git": checked.history is not None,
        "shallow": bool(checked.history and checked.history.shallow),
        "records": [
            {
                "path": path,
                "uncommitted": uncommitted.get(path) or ("not in git" if checked.history is None else None),
                "versions": versions_of(checked.history, approval_of, path),
            }
            for path in paths
        ],
    }
