"""Charts drawn at build time as SVG: well-formed, escaped, and absent when there is nothing to draw."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from generator.reports import charts


def _svg(figure: str) -> ET.Element:
    opening, rest = figure.split(">", 1)
    assert opening == '<figure class="oa-chart" data-pagefind-ignore="all"'  # read, never searched: its labels are figures
    return ET.fromstring(rest.split("<figcaption>")[0])


def test_every_chart_is_well_formed_svg_with_its_text_escaped():
    hostile = '<script>alert(1)</script> & "quotes"'
    figures = [
        charts.bars([hostile, "功能"], [3, 1], hostile),
        charts.lines(["2026-Q1", "2026-Q2", "2026-Q3"], {hostile: [1, None, 3]}, "趨勢"),
        charts.stacked(["TWD", "HKD"], {"0–30": [100.0, 0.0], hostile: [50.0, 20.0]}, "帳齡"),
    ]
    for figure in figures:
        assert "<script>" not in figure
        svg = _svg(figure)
        assert svg.get("role") == "img" and svg.get("aria-label")
        assert not [e for e in svg.iter() if e.tag.endswith("script")]  # no element came from the text
        shown = " ".join(e.text or "" for e in svg.iter() if e.tag.endswith(("text", "title")))
        assert "<script>" in shown  # the text is there, as text


def test_a_gap_in_a_series_breaks_its_line_and_nothing_to_draw_draws_nothing():
    svg = _svg(charts.lines(["a", "b", "c", "d"], {"x": [1, None, 2, 3]}, "t"))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # c–d; a stands alone
    assert charts.bars([], [], "t") == "" and charts.lines(["a"], {"x": [1]}, "t") == "" and charts.stacked(["TWD"], {"a": [0.0]}, "t") == ""
