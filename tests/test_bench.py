"""The benchmarks' own snippets run on a small archive: an API they call that is renamed or removed fails here,
not in the next bench run (``--only site`` stopped on the reports' facts moved beside the plan)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sitebuild import with_site

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import run as bench


@pytest.mark.parametrize("snippet", ["REPORTS", "BUILD", "BUILD_COMMAND"])
def test_a_snippet_runs_and_says_its_figures(archive, snippet):
    root = with_site(archive)
    said = bench.fresh(getattr(bench, snippet), str(root))
    assert said["seconds"] > 0
    if snippet == "REPORTS":
        assert said["pages"] > 10 and said["facts"] > 0
    elif snippet == "BUILD_COMMAND":
        assert (root / "site" / "index.html").is_file()
    else:
        assert said["pages"] > 10 and said["made"] == said["pages"]
        if sys.platform == "linux":  # the kernel's count of the build's own thread: on a core, and waiting for one
            assert 0 < said["on_core"] <= said["seconds"] + 0.05 and said["for_core"] >= 0


def test_the_build_threads_share_is_the_median_of_the_runs_and_blocked_is_what_is_left():
    runs = [
        {"seconds": 6.0, "on_core": 4.9, "for_core": 0.7},
        {"seconds": 6.4, "on_core": 5.1, "for_core": 0.8},
        {"seconds": 5.8, "on_core": 4.7, "for_core": 0.5},
    ]
    assert bench.thread_share(runs) == "the build's thread on a core 4.90 s, waiting for one 0.70 s, blocked 0.50 s (medians); "
    assert bench.thread_share([{"seconds": 6.0}]) == "", "not counted (elsewhere than Linux): nothing said"


def test_the_program_is_compiled_before_anything_is_measured(tmp_path, monkeypatch):
    """Where ``PYTHONDONTWRITEBYTECODE`` is set, every measured process would compile the program again."""
    for package in ("generator", "schemas"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "module.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bench.compiled()
    assert all(list((tmp_path / package / "__pycache__").glob("module.*.pyc")) for package in ("generator", "schemas"))


def test_a_run_timed_unsampled_gives_its_figures_and_no_memory_of_all(monkeypatch):
    """Reading the processes' memory twice a second slows a timed merge: an unsampled run never reads it."""
    waits = 'time.sleep(1.2)\nprint(json.dumps({"seconds": 1.2}))'
    samples: list[int] = []
    monkeypatch.setattr(bench, "tree_mb", lambda pid: samples.append(pid) or 1.0)
    assert bench.fresh(waits)["all_mb"] == 1.0 and samples  # long enough to be sampled
    monkeypatch.setattr(bench, "tree_mb", lambda pid: pytest.fail("sampled"))
    assert bench.fresh(waits, sample=False) == {"seconds": 1.2, "all_mb": 0.0}


def test_two_versions_of_the_program_take_turns_on_the_same_merges(tmp_path, monkeypatch, capsys):
    """``bench/turns.py``: each revision's program exported and built on a clone of its own, the same merge made
    in both and built by each, the first of the two alternating; a pair a merge, and the verdict from the pairs."""
    from bench import turns as bench_turns

    monkeypatch.setattr(bench, "OUT", tmp_path)
    pairs = bench_turns.turns("HEAD", "HEAD", 12, 2)
    assert len(pairs) == 2 and all(seconds > 0 for pair in pairs for seconds in pair)
    exported = list(tmp_path.glob("program-*"))
    assert len(exported) == 1 and (exported[0] / "generator" / "site" / "plugin.py").is_file(), "one program for one revision"
    for side in (0, 1):
        clone = tmp_path / f"turns-{side}-{exported[0].name}-12"
        subjects = subprocess.run(["git", "log", "--format=%s", "-3"], cwd=clone, capture_output=True, text=True, check=True).stdout
        assert "revision 2" in subjects and (clone / "site" / "index.html").is_file(), "each clone merged and built"
    said = capsys.readouterr().out
    assert said.count("merge 1:") == 1 and said.count("merge 2:") == 1
    assert bench_turns.verdict("a", "b", [(6.0, 5.0), (6.2, 6.4), (5.8, 5.5)]) == "a 6.00 s, b 5.50 s (-8%, medians of 3 merges each); b the faster in 2 of 3"
