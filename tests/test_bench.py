"""The benchmarks' own snippets run on a small archive: an API they call that is renamed or removed fails here,
not in the next bench run (``--only site`` stopped on the reports' facts moved beside the plan)."""

from __future__ import annotations

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
