"""The rules judge a dossier alone as they judge it among all the others, but for the ones named ``ACROSS``;
and a check that keeps the dossiers' findings between runs finds what a check from nothing finds."""

from __future__ import annotations

import random
import shutil
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
import yaml

from generator.core import cachefile
from generator.demo.archive import write_demo
from generator.pipeline import check_archive
from generator.records import safeyaml
from generator.rules import REGISTRY, _located
from generator.rules.grouped import ACROSS, CACHE, SHARED, _groups, _part

TODAY = date(2026, 11, 20)
RULES = [r for r in REGISTRY.values() if r.check is not None]


def _leaves(value, path=()):
    """(path without list indices, the value) for every scalar of a parsed record."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    else:
        yield path, value


def _swapped(value, pool, rng, path=()):
    """The record with some of its scalars swapped for another record's at the same place: statuses, dates, people,
    amounts and ids that no longer agree, within a dossier and between dossiers."""
    if isinstance(value, dict):
        return {key: _swapped(item, pool, rng, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_swapped(item, pool, rng, path) for item in value]
    if path and path[-1] not in ("kind", "order") and rng.random() < 0.03:
        return rng.choice(pool[path])
    return value


def _scrambled(root: Path, seed: int) -> None:
    """A demo archive whose records break as many rules as swapped values can: three in a hundred values swapped
    break about 30 of the rules in three archives of 60 orders (and some files fail their own checks)."""
    rng = random.Random(seed)
    files = sorted((root / "records").rglob("*.yaml"))
    parsed = {path: safeyaml.parse(path.read_bytes(), path.name)[0] for path in files}  # YAML 1.2: ``on`` is a key
    pool: dict[tuple, list] = defaultdict(list)
    for document in parsed.values():
        for path, value in _leaves(document):
            pool[(document.get("kind"), *path)].append(value)
    for path, document in parsed.items():
        if path.name in ("organization.yaml", "policy.yaml"):
            continue
        kind = document.get("kind")
        shared = {key[1:]: values for key, values in pool.items() if key[0] == kind}
        path.write_text(yaml.safe_dump(_swapped(document, shared, rng), allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def scrambled(tmp_path_factory) -> list[Path]:
    roots = []
    for seed in (3, 11, 19):
        root = tmp_path_factory.mktemp(f"scrambled-{seed}")
        write_demo(root, 60, seed=seed)
        _scrambled(root, seed)
        roots.append(root)
    return roots


def test_each_dossier_judged_alone_finds_what_the_whole_archive_finds(scrambled):
    fired: Counter = Counter()
    for root in scrambled:
        catalog = check_archive(root, TODAY, history=False, rules=False).catalog
        within = [r for r in RULES if r.id not in ACROSS]
        whole = sorted(_located(catalog, within), key=lambda p: p.sort_key)
        groups = _groups(catalog)
        alone = []
        for group, entries in groups.items():
            paths = {e.path for e in entries}
            part = _part(catalog, groups, [group] if group != SHARED else [])
            alone += [p for p in _located(part, within) if p.path in paths]
        assert sorted(alone, key=lambda p: p.sort_key) == whole
        fired.update(p.rule for p in whole)
    assert len(fired) >= 25, sorted(fired)  # the comparison means something only where the rules find something


def test_the_rules_named_across_do_read_other_dossiers(scrambled):
    """Judged a dossier at a time, each of them would find otherwise: naming one ``ACROSS`` is never a guess."""
    differ = set()
    for root in scrambled:
        catalog = check_archive(root, TODAY, history=False, rules=False).catalog
        groups = _groups(catalog)
        for rule in [r for r in RULES if r.id in ACROSS]:
            whole = sorted(_located(catalog, [rule]), key=lambda p: p.sort_key)
            alone = []
            for group, entries in groups.items():
                paths = {e.path for e in entries}
                alone += [p for p in _located(_part(catalog, groups, [group] if group != SHARED else []), [rule]) if p.path in paths]
            if sorted(alone, key=lambda p: p.sort_key) != whole:
                differ.add(rule.id)
    assert "settlement.duplicate-invoice" in differ


def _problems(root: Path) -> list:
    return check_archive(root, TODAY, history=False).problems


def test_a_check_that_keeps_findings_finds_what_a_check_from_nothing_finds(scrambled, tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(scrambled[0], root)
    kept = cachefile.folder(root) / CACHE
    first = _problems(root)
    assert kept.is_file()
    orders = sorted((root / "records" / "orders").glob("*/ORD-*/order.yaml"))
    edits = [
        lambda: orders[3].write_text(orders[3].read_text(encoding="utf-8").replace("status:", "status: ", 1), encoding="utf-8"),
        lambda: orders[5].parent.joinpath("settlement.yaml").unlink(missing_ok=True),
        lambda: shutil.rmtree(orders[7].parent),
        lambda: (root / "records" / "policy.yaml").write_text(
            (root / "records" / "policy.yaml").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
        ),
    ]
    for change in edits:
        change()
        again = _problems(root)
        kept.unlink()
        assert again == _problems(root)  # from nothing
    assert first != again


def test_a_damaged_or_foreign_cache_costs_time_only(scrambled, tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(scrambled[1], root)
    truth = _problems(root)
    kept = cachefile.folder(root) / CACHE
    for damage in (b"", b"\0" * 40, kept.read_bytes()[:-9]):
        kept.write_bytes(damage)
        assert _problems(root) == truth
