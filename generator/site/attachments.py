"""The dossiers' attachments put into a new site by a process of its own, while this one checks the archive.

Each attachment is hard-linked from the last site when that copy is still the same file (same size and
modification time, the quick check rsync makes) and copied otherwise, keeping its time for the next build's
check. At 10,000 orders that is 38,165 files, three system calls each: 2.2–3.3 s of a merged pull request's
build while MkDocs made them one by one in the build's only busy thread. A thread would not take them off it:
each call gives the interpreter's lock up and waits for it again behind the thread checking the archive.

The process reads its list from a file (``marshal``: paths only) and imports nothing of the program but this
module, run with ``-P`` so that a ``generator/`` folder committed to the archive cannot stand in for it.
"""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import tempfile

from generator.core.printable import printable

Job = tuple[str, str, "str | None"]
"""(the attachment in the archive, where the new site has it, the last site's copy or None)."""


class PublishError(RuntimeError):
    pass


class Publishing:
    """The attachments of one edition on their way into its site: ``wait`` before the site is used, ``stop`` when
    the build fails (the site folder is removed after, so nothing is written into it once it is gone)."""

    def __init__(self, jobs: list[Job]) -> None:
        with tempfile.TemporaryFile() as listed:
            marshal.dump(jobs, listed)
            listed.seek(0)
            command = [sys.executable, "-P", "-m", "generator.site.attachments", str(os.getpid())]
            # A process group of its own: Ctrl-C at the terminal is the build's to handle (``stop`` ends this one).
            self.process: subprocess.Popen | None = subprocess.Popen(
                command, stdin=listed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, process_group=0, cwd="/"
            )

    def wait(self) -> None:
        """Once every attachment is in place; the first failure, named, when one could not be."""
        process = self.process
        if process is None:
            return
        _, said = process.communicate()
        self.process = None
        if process.returncode != 0:
            reason = said.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [f"the process ended with {process.returncode}"]
            raise PublishError(f"the attachments could not be published: {printable(reason[0])}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.communicate()
            self.process = None


def publish(jobs: list[Job]) -> None:
    """Each attachment linked from the last site's copy where that is the same file, copied otherwise."""
    made: set[str] = set()  # a dossier's attachments share a folder: asking the file system again for each cost a third of the time
    for source, target, copy in jobs:
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        if copy is not None:
            try:
                now, then = os.stat(source), os.stat(copy)
                if (now.st_size, now.st_mtime_ns) == (then.st_size, then.st_mtime_ns):
                    os.link(copy, target)
                    continue
            except OSError:
                pass  # no copy, or none to link: copied below
        shutil.copy2(source, target)  # keeps the time, for the next build's check


def main() -> None:
    from generator.core.processes import die_with_parent

    die_with_parent(int(sys.argv[1]))
    jobs = marshal.load(sys.stdin.buffer)
    try:
        publish(jobs)
    except OSError as exc:
        sys.stderr.write(f"{exc.filename}: {exc.strerror}\n" if exc.filename else f"{exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
