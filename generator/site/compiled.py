"""The theme's templates compiled once a process, not once an edition.

MkDocs gives each edition a Jinja environment of its own, and each compiled
Material's templates again (``main.html``, ``base.html`` and some forty
partials): 0.25–0.3 s of every edition's build at 10,000 orders, most of the
second edition's rendering after a merge. ``SHARED`` keeps the compiled code
in this process's memory, under Jinja's own key (the template's name and
file) and checked against the source's digest, so an edited template is
compiled again. Code compiled under other options (another extension, other
delimiters) is not shared: the options are part of the key. Nothing is
kept on disk: a file of compiled code that a later build could find would
run whatever it held.

The first edition's templates are compiled before MkDocs asks for them
(``precompile``), as the check ends, by a process forked for it (``ahead``):
after a merge at 10,000 orders the history's verdict is in by then, the build's
thread runs alone and the second core idles, and compiling the pages' and the
theme's templates took 0.27 s of that thread. The forked process writes the
code (``marshal``, as Jinja's own caches store it) into a file without a name,
which only the two processes hold, and ends: kept waiting on a pipe until the
plan asked, it lived through a first build's half minute of history, where the
bench's peak of all processes at 10,000 orders rose to 949 MB (892–914 MB
before). The build takes the code (``take``) before it forks its page workers.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable
from functools import partial
from types import CodeType

import jinja2
from jinja2 import meta
from jinja2.bccache import Bucket

from generator.core.processes import Beside


def options(env: jinja2.Environment) -> tuple:
    """What decides the code Jinja compiles a template's source into, besides the source."""
    syntax = (env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string)
    syntax += (env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix)
    flags = (env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline, env.optimized)
    names = (tuple(sorted(env.extensions)), tuple(sorted(env.filters)), tuple(sorted(env.tests)))
    return (*syntax, *flags, repr(env.autoescape), env.undefined, env.code_generator_class, *names)


class SharedCode(jinja2.BytecodeCache):
    """Compiled templates held for every environment of this process that compiles alike (``options``)."""

    def __init__(self) -> None:
        self.held: dict[tuple, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        held = self.held.get((options(bucket.environment), bucket.key))
        if held is not None and held[0] == bucket.checksum:
            bucket.code = held[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self.held[(options(bucket.environment), bucket.key)] = (bucket.checksum, bucket.code)


SHARED = SharedCode()


def precompile(env: jinja2.Environment, names: Iterable[str]) -> int:
    """The templates ``names`` and every template they name as a constant (``extends``, ``include``, ``import``),
    compiled into ``env``'s bytecode cache by its own loader, as when the pages are rendered (a name a loader
    hands on, as a ``PrefixLoader`` does, is the name compiled); how many were compiled. A name computed as the
    page renders (Material's icons) is compiled then. A template missing or not compiling is left for the
    rendering, which reports it: what is done here is only ever an earlier start."""
    if env.bytecode_cache is None:
        return 0
    named: list[str | None] = []
    compiled = 0
    compile_ = env.compile

    def compile_named(source, name=None, filename=None, raw=False, defer_init=False):
        nonlocal compiled
        tree = env.parse(source, name, filename) if isinstance(source, str) else source
        named.extend(meta.find_referenced_templates(tree))
        compiled += 1
        return compile_(tree, name, filename, raw, defer_init)

    env.compile = compile_named  # type: ignore[method-assign]  # this environment's own, for the loaders to call
    waiting, seen = list(names), set()
    try:
        while waiting:
            name = waiting.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                env.get_template(name)
            except Exception:
                continue
            waiting.extend(sorted(ref for ref in named if ref is not None))
            named.clear()
    finally:
        del env.compile
    return compiled


Compiled = list[tuple[tuple, str, str, bytes]]
"""``SHARED``'s code as a forked process sends it: (options, Jinja's key, the source's checksum, marshalled code)."""


def ahead(work: Callable[[], object]) -> Beside[Compiled]:
    """``work`` (templates compiled into ``SHARED``) done by a process forked for it while this one goes on;
    ``take`` has its code. Where none can be forked, or it fails, ``take`` does the work here."""
    return Beside(partial(_compiled, work), ends_when_done=True)


def _compiled(work: Callable[[], object]) -> Compiled:
    work()
    return [(options_, key, checksum, marshal.dumps(code)) for (options_, key), (checksum, code) in SHARED.held.items()]


def take(compiled: Beside[Compiled]) -> int:
    """The code ``ahead``'s process compiled, held in ``SHARED`` as if compiled here (what this process compiled
    meanwhile stays); how many templates it added. Each is still checked against its source's digest when used."""
    added = 0
    for options_, key, checksum, code in compiled.result():
        if (options_, key) not in SHARED.held:
            SHARED.held[(options_, key)] = (checksum, marshal.loads(code))
            added += 1
    return added
