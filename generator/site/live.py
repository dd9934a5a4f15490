"""The archive under ``orders serve``: a saved dossier made again alone, without building the site.

A build of the site takes minutes at 10,000 orders; a writer who saves a record wants to see its dossier
now. So the server keeps in memory what a build knows — every record file read and validated (per file),
the archive checked with its history, each language's renderer and each edition's MkDocs state
(``plugin.Edition``) — and after a save makes the saved dossier's page again, alone:

1. the saved files are read and validated again, by the functions a check uses;
2. the archive-wide rules run over a catalog of that dossier and the records every dossier reads
   (organisation, policy, loans, disposals), and the history's findings are placed in its files as they
   are now; ``git status`` says again which of its files are not committed;
3. its page is rendered, converted and written in each language.

The rest of the site (lists, reports, the home page, search) is the background build's (``serve``),
which is also the last word: a rule that looks across dossiers sees the whole archive there. Anything a
dossier alone cannot answer — a record every page reads, a new page, a template, a commit, an attachment —
raises ``NeedsBuild``, and the server builds the site and loads this again.
"""

from __future__ import annotations

import copy
import os
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from generator.core.problems import Problem
from generator.pipeline import Checked, broken_records, check_entries
from generator.records.catalog import build_catalog
from generator.records.layout import RECORDS_DIR, dossier_folder, is_attachment, is_attachments_folder, place_of
from generator.records.load import read_archive, read_bounded
from generator.records.validate import Entry, validate_file
from generator.records.validated import validated_entries
from generator.rules import run_rules
from generator.site.render import Renderer
from generator.site.render.pages import Page, compile_all, dossier_page
from generator.trail.approvals import locate
from generator.trail.gitlog import uncommitted_records
from generator.trail.repo import open_repository

SHARED_KINDS = frozenset({"organization", "policy", "loan", "disposal"})
"""Records that pages other than their own read: a save of one needs a build."""


class NeedsBuild(Exception):
    """What was saved changes more than one dossier's page: the site is built and the archive loaded again."""


@dataclass
class Saved:
    """What a set of saved paths asks for: dossiers to make again, or a build."""

    dossiers: dict[str, set[str]] = field(default_factory=dict)
    """Order id → its saved record files."""
    build: str | None = None
    """Why a build is needed, or None."""
    others: bool = False
    """Files that are not records (a stray file, an editor's temporary one): only the background build reports them."""


class LiveArchive:
    """The checked archive and its built site, kept to make one dossier again after a save."""

    def __init__(self, root: Path, today: date, editions: list):
        self.root, self.today, self.editions = root, today, editions
        snapshot = read_archive(root)
        problems: list[Problem] = []
        entries = validated_entries(root, snapshot, problems)
        self.entries: dict[str, Entry] = {e.path: e for e in entries}
        self.found: dict[str, list[Problem]] = defaultdict(list)  # path → what reading and validating it found
        for problem in problems:
            self.found[problem.path].append(problem)
        self.checked = check_entries(root, entries, problems, today, snapshot.attachments)
        self.timelines = self.checked.timelines  # read now: the first save must not wait for it
        self.renderers = {}
        for edition in editions:
            renderer = self.renderers[edition.language] = Renderer(self.checked, edition.language, edition.attachments_root)
            compile_all(renderer.env)
        self.repo = open_repository(root)

    # ------------------------------------------------------------------

    def classify(self, paths: set[str]) -> Saved:
        """Which dossiers the saved ``paths`` (relative to the archive, with ``/``) change, or why a build is needed."""
        saved = Saved()
        for path in sorted(paths):
            if not path.startswith(RECORDS_DIR + "/"):
                saved.build = f"{path} changed"
                continue
            rel = path.removeprefix(RECORDS_DIR + "/")
            if rel.startswith(".site/") or is_attachment(rel) or is_attachments_folder(rel):
                saved.build = f"{path} changed"
                continue
            place = place_of(rel)
            if place is None:
                saved.others = True
            elif place.kind in SHARED_KINDS or place.order_id is None:
                saved.build = f"{path} is read by other pages"
            elif not all(e.has(dossier_page(place.order_id)) for e in self.editions):
                saved.build = f"{place.order_id} has no page yet"
            else:
                saved.dossiers.setdefault(place.order_id, set()).add(path)
        return saved

    def refresh(self, order_id: str, paths: set[str]) -> list[Path]:
        """Read the saved files of one dossier again and write its page in every language: the files written."""
        for path in paths:
            self._read(path)
        checked, dossier = self._dossier(order_id)
        page_path = dossier_page(order_id)
        by_path = defaultdict(list)
        for problem in checked.problems:
            by_path[problem.path].append(problem)
        written = []
        for edition in self.editions:
            renderer = copy.copy(self.renderers[edition.language])
            renderer.checked, renderer.catalog, renderer.problems_by_path = checked, checked.catalog, by_path
            page = Page(page_path, edition.language)
            if dossier is not None and dossier.order_model is not None:
                markdown = renderer.dossier(page, dossier, dossier.order_model)
            elif order_id in checked.catalog.broken_dossiers:
                markdown = renderer.invalid_dossier(page, order_id)
            else:
                raise NeedsBuild(f"{order_id} has no order.yaml any more")
            written.append(edition.write(page_path, markdown))
        return written

    # ------------------------------------------------------------------

    def _read(self, path: str) -> None:
        """One record file as a check reads it: parsed (bounded), validated against its place's model."""
        self.entries.pop(path, None)
        self.found.pop(path, None)
        try:
            info = os.lstat(self.root / path)
        except FileNotFoundError:
            return  # deleted: its dossier is made without it
        if not stat.S_ISREG(info.st_mode):
            raise NeedsBuild(f"{path} is not a regular file")
        raw = read_bounded(self.root / path)
        place = place_of(path.removeprefix(RECORDS_DIR + "/"))
        entry, found = validate_file(path, place, raw)
        if entry is not None:
            self.entries[path] = entry
        if found:
            self.found[path] = found

    def _dossier(self, order_id: str):
        """The dossier checked as the whole archive would check it, as far as one dossier can tell."""
        folder = dossier_folder(order_id) + "/"
        whole = self.checked.catalog
        shared = [e for e in (whole.organization_entry, whole.policy_entry) if e is not None] + whole.loans + whole.disposals
        mine = [e for path, e in self.entries.items() if path.startswith(folder)]
        found = [p for path, problems in self.found.items() for p in problems]
        broken, broken_dossiers = broken_records(found)
        catalog = build_catalog(self.root, sorted(shared + mine, key=lambda e: e.path), self.today, whole.attachments, broken, broken_dossiers)
        problems = [p for p in found if p.path.startswith(folder)]
        problems += [p for p in run_rules(catalog) if p.path.startswith(folder)]
        problems += locate([f for f in self.checked.findings if f[0].startswith(folder)], catalog)
        problems.sort(key=lambda p: p.sort_key)
        timelines = self.timelines
        if timelines is not None and self.repo is not None:
            now = uncommitted_records(self.repo, folder)
            timelines.uncommitted = {p: s for p, s in timelines.uncommitted.items() if not p.startswith(folder)} | now
        checked = Checked(catalog, problems, self.checked.approval_count)
        checked._timelines = timelines  # the history is the one loaded: no commit since
        return checked, catalog.dossiers.get(order_id)
