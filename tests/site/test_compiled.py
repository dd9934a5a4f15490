"""The theme's compiled templates are shared by the editions of one process, never beyond what compiles alike."""

import jinja2
import pytest

from generator.site.compiled import SharedCode


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
