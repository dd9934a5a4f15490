"""The theme's compiled templates are shared by the editions of one process, never beyond what compiles alike."""

import marshal
import os

import jinja2
import pytest
from processstate import ended_within

from generator.core import processes
from generator.site import compiled
from generator.site.compiled import SharedCode, precompile


def _env(sources: dict[str, str], cache: SharedCode, **options) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(sources), **options)
    env.bytecode_cache = cache
    return env


def _compiles(env: jinja2.Environment) -> list[str]:
    """The names ``env`` compiles from now on."""
    compiled: list[str] = []
    compile_ = env.compile

    def counted(source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_(source, name, filename, raw, defer_init)

    env.compile = counted  # type: ignore[method-assign]
    return compiled


def test_a_second_environment_renders_the_first_ones_code_without_compiling():
    cache = SharedCode()
    sources = {
        "base.html": "<h1>{% block title %}{% endblock %}</h1>",
        "page.html": '{% extends "base.html" %}{% block title %}{{ name | upper }}{% endblock %}',
    }
    first = _env(sources, cache)
    assert first.get_template("page.html").render(name="ada") == "<h1>ADA</h1>"
    second = _env(sources, cache)
    compiled = _compiles(second)
    assert second.get_template("page.html").render(name="grace") == "<h1>GRACE</h1>"
    assert compiled == []


def test_an_edited_template_is_compiled_again():
    cache = SharedCode()
    _env({"page.html": "old {{ x }}"}, cache).get_template("page.html")
    edited = _env({"page.html": "new {{ x }}"}, cache)
    compiled = _compiles(edited)
    assert edited.get_template("page.html").render(x=1) == "new 1"
    assert compiled == ["page.html"]


@pytest.mark.parametrize(
    "options",
    [
        {"trim_blocks": True},
        {"autoescape": True},
        {"block_start_string": "<%", "block_end_string": "%>"},
        {"extensions": ["jinja2.ext.i18n"]},
    ],
)
def test_code_compiled_under_other_options_is_not_shared(options):
    cache = SharedCode()
    source = {"page.html": "{% if x %}\n<b>{{ x }}</b>\n{% endif %}\n"}
    plain = _env(source, cache)
    plain.get_template("page.html")
    other = _env(source, cache, **options)
    compiled = _compiles(other)
    other.get_template("page.html")
    assert compiled == ["page.html"]


def test_code_compiled_where_a_filter_was_missing_is_not_shared():
    """Jinja checks a filter's name when it compiles: an environment with more filters compiles for itself."""
    cache = SharedCode()
    source = {"page.html": "{{ x }}"}
    _env(source, cache).get_template("page.html")
    other = _env(source, cache)
    other.filters["shout"] = str.upper
    compiled = _compiles(other)
    other.get_template("page.html")
    assert compiled == ["page.html"]


PAGES = {
    "main.html": '{% extends "base.html" %}{% block body %}{% include "partials/nav.html" %}{{ page }}{% endblock %}',
    "base.html": '{% import "partials/macros.html" as m %}<body>{{ m.shout("hi") }}{% block body %}{% endblock %}</body>',
    "partials/nav.html": '<nav>{% include "partials/icons/" ~ icon ~ ".svg" %}</nav>',
    "partials/macros.html": "{% macro shout(x) %}{{ x | upper }}{% endmacro %}",
    "partials/icons/menu.svg": "<svg/>",
    "unused.html": "never {{ named }}",
}


def test_precompiled_templates_and_the_ones_they_name_are_rendered_without_compiling():
    """``precompile``: a name computed as the page renders (the icon) is left for then; nothing else is compiled then."""
    cache = SharedCode()
    assert precompile(_env(PAGES, cache), ["main.html"]) == 4
    later = _env(PAGES, cache)
    compiled = _compiles(later)
    assert later.get_template("main.html").render(page="p", icon="menu") == "<body>HI<nav><svg/></nav>p</body>"
    assert compiled == ["partials/icons/menu.svg"]


def test_precompiling_compiles_what_the_loader_would_byte_for_byte():
    cache = SharedCode()
    precompile(_env(PAGES, cache), ["main.html"])
    loaded = SharedCode()
    _env(PAGES, loaded).get_template("main.html").render(page="p", icon="menu")
    for key, (checksum, code) in cache.held.items():
        assert loaded.held[key][0] == checksum and loaded.held[key][1].co_code == code.co_code
        assert loaded.held[key][1].co_consts == code.co_consts


def test_precompiling_leaves_a_missing_or_broken_template_for_the_rendering_to_report():
    cache = SharedCode()
    broken = {**PAGES, "partials/nav.html": "<nav>{% if %}</nav>"}
    assert precompile(_env(broken, cache), ["missing.html", "main.html"]) == 3
    later = _env(broken, cache)
    with pytest.raises(jinja2.TemplateSyntaxError):
        later.get_template("main.html").render(page="p", icon="menu")
    with pytest.raises(jinja2.TemplateNotFound):
        later.get_template("missing.html")


def test_nothing_is_precompiled_without_a_cache():
    env = jinja2.Environment(loader=jinja2.DictLoader(PAGES))
    compiled = _compiles(env)
    assert precompile(env, ["main.html"]) == 0 and compiled == []


def test_templates_compiled_by_a_process_beside_are_rendered_here_without_compiling(monkeypatch):
    """``ahead``: as a merge's check ends the build's thread runs alone and the second core idles; the templates are
    compiled by a process forked for it, whose code ``take`` has here: nothing is compiled here then but a name
    computed as the page renders."""
    monkeypatch.setattr(compiled.SHARED, "held", {})
    here, worked = os.getpid(), []
    compiling = compiled.ahead(lambda: worked.append(os.getpid()) or precompile(_env(PAGES, compiled.SHARED), ["main.html"]))
    assert compiled.take(compiling) == 4 and worked == [], "compiled in another process, its code taken here"
    later = _env(PAGES, compiled.SHARED)
    names = _compiles(later)
    assert later.get_template("main.html").render(page="p", icon="menu") == "<body>HI<nav><svg/></nav>p</body>"
    assert names == ["partials/icons/menu.svg"] and os.getpid() == here


def test_the_process_compiling_ends_once_done_however_much_code_it_made(monkeypatch):
    """Its code waiting in a pipe for the plan to ask, the process lived on through a first build's half minute of
    history, its memory with it: it ends as soon as the code is written (more code than a pipe holds, here)."""
    monkeypatch.setattr(compiled.SHARED, "held", {})
    many = {f"page{n}.html": "".join(f"{{% if x{i} %}}<p>{{{{ y{i} | upper }}}} {n}</p>{{% endif %}}" for i in range(40)) for n in range(60)}
    compiling = compiled.ahead(lambda: precompile(_env(many, compiled.SHARED), sorted(many)))
    assert compiling.pid is not None and ended_within(compiling.pid, 30), "ended once done, not kept until its code is asked for"
    assert compiled.take(compiling) == 60 and sum(len(marshal.dumps(code)) for _, code in compiled.SHARED.held.values()) > 1 << 17


def test_where_no_process_can_be_forked_the_templates_are_compiled_when_taken(monkeypatch):
    monkeypatch.setattr(compiled.SHARED, "held", {})
    monkeypatch.setattr(processes, "can_fork", lambda: False)  # say, ``mkdocs serve``'s threads
    worked = []
    compiling = compiled.ahead(lambda: worked.append(precompile(_env(PAGES, compiled.SHARED), ["main.html"])))
    assert worked == []
    assert compiled.take(compiling) == 0 and worked == [4], "compiled here, once, when the code is asked for"
    later = _env(PAGES, compiled.SHARED)
    names = _compiles(later)
    later.get_template("main.html").render(page="p", icon="menu")
    assert names == ["partials/icons/menu.svg"]
