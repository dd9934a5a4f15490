"""Two versions of the program taking turns on the same merges: ``python3 bench/turns.py BEFORE AFTER``.

A change to a merge's build is worth a few tenths of a second in six, and this machine's speed moves by more than
that from one hour to the next (``README.md``): run against run, the hour decides. Here each revision's program
(exported with ``git archive`` into ``bench/out/program-<commit>``) builds a clone of the demo repository of its
own — a build's caches are its program's alone —, cold, then once after a merge untimed, and then both clones are
given the same merged pull requests (``run._merge_one_edit``), each built by its program right after, which of
the two goes first alternating from one merge to the next. It prints every pair, both medians and in how many
pairs AFTER was the faster.
"""

from __future__ import annotations

import argparse
import compileall
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

try:
    from bench import run
except ImportError:  # run as a script: this folder is on the path, not the one above it
    import run  # type: ignore[no-redef]


def program(revision: str) -> Path:
    """The program as committed at ``revision``, exported once into ``bench/out/`` and compiled."""
    named = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=run.ROOT, capture_output=True, text=True, check=True)
    commit = named.stdout.strip()
    target = run.OUT / f"program-{commit[:12]}"
    if not (target / "generator").is_dir():
        exported = subprocess.run(["git", "archive", "--format=tar", commit], cwd=run.ROOT, capture_output=True, check=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(exported.stdout)) as archive:
            archive.extractall(partial, filter="data")
        for package in ("generator", "schemas"):
            compileall.compile_dir(partial / package, quiet=1)
        shutil.rmtree(target, ignore_errors=True)  # what an export stopped halfway left
        partial.rename(target)
    return target


def turns(before: str, after: str, orders: int, merges: int) -> list[tuple[float, float]]:
    """Each merge's build time by BEFORE's program and by AFTER's, in that order, one pair a merge."""
    programs = [program(before), program(after)]
    clones = [run._clone(f"turns-{side}-{folder.name}", orders) for side, folder in enumerate(programs)]

    def built(side: int) -> float:
        """Seconds of a build of that side's clone by its own program."""
        return run.fresh(run.BUILD, str(clones[side]), cores=2, sample=False, program=programs[side])["seconds"]

    for side, name in enumerate((before, after)):
        cold = built(side)
        run._merge_one_edit(clones[side], 0)
        print(f"  {name}: cold {cold:.1f} s, the first merge {built(side):.1f} s (not counted)", flush=True)
    pairs = []
    for n in range(1, merges + 1):
        seconds = [0.0, 0.0]
        for side in (0, 1) if n % 2 else (1, 0):
            run._merge_one_edit(clones[side], n)
            seconds[side] = built(side)
        pairs.append((seconds[0], seconds[1]))
        print(f"  merge {n}: {seconds[0]:.2f} against {seconds[1]:.2f} s", flush=True)
    return pairs


def verdict(before: str, after: str, pairs: list[tuple[float, float]]) -> str:
    """Both medians, their ratio, and in how many pairs AFTER was the faster."""
    then, now = statistics.median(pair[0] for pair in pairs), statistics.median(pair[1] for pair in pairs)
    faster = sum(pair[1] < pair[0] for pair in pairs)
    medians = f"{before} {then:.2f} s, {after} {now:.2f} s ({now / then - 1:+.0%}, medians of {len(pairs)} merges each)"
    return f"{medians}; {after} the faster in {faster} of {len(pairs)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="a revision of this repository: the program before")
    parser.add_argument("after", help="a revision of this repository: the program after")
    parser.add_argument("--orders", type=int, default=10_000, help="orders in the demo repository (default 10,000)")
    parser.add_argument("--merges", type=int, default=8, help="merges each program builds after (default 8)")
    args = parser.parse_args()
    run.OUT.mkdir(exist_ok=True)
    print(f"python {sys.version.split()[0]}; {args.orders:,} orders; {args.before} against {args.after}, taking turns", flush=True)
    pairs = turns(args.before, args.after, args.orders, args.merges)
    print(f"turns: {args.orders:,} orders, both editions: {verdict(args.before, args.after, pairs)}", flush=True)


if __name__ == "__main__":
    main()
