"""Page addresses and links: readable client addresses that stay put, relative links with anchors."""

from __future__ import annotations

import pytest

from generator.site import escape
from generator.site.render.pages import Page, inputs_digest, relative, slug, unique_slugs


def test_a_client_address_reads_like_its_name_in_any_script():
    assert slug("Pacific Rim Trading Ltd.") == "pacific-rim-trading-ltd"
    assert slug("綠野食品股份有限公司") == "綠野食品股份有限公司"
    assert slug("Ａｃｍｅ　Ｌｔｄ") == "acme-ltd"  # full-width letters read as their ASCII twins
    assert slug("../../etc/passwd") == "etc-passwd"  # never a path
    assert slug("<>!?").startswith("x-") and slug("<>!?") != slug("!!!")  # no words: still an address, still distinct
    assert len(slug("很" * 200).encode()) <= 180


def test_a_later_client_with_a_similar_name_never_takes_an_earlier_ones_address():
    first = unique_slugs(["ACME, Ltd.", "Beta"])
    later = unique_slugs(["ACME, Ltd.", "Beta", "Acme Ltd", "acme-ltd-2"])
    assert later["ACME, Ltd."] == first["ACME, Ltd."] == "acme-ltd" and later["Beta"] == first["Beta"]
    assert later["Acme Ltd"] == "acme-ltd-2" and later["acme-ltd-2"] == "acme-ltd-2-2"
    assert len(set(later.values())) == len(later)


def test_a_pages_inputs_digest_is_of_the_values_not_of_how_they_are_held():
    """Equal strings held as one object or as two, as two builds in one process may hold them, give one digest
    (marshal's newer formats write an object met twice as a reference: the page was rendered again for nothing)."""
    name = "".join(["ORD-2025-", "0001"])
    shared = [name, (name, "records/x.yaml"), [name]]
    separate = ["".join(["ORD-", "2025-0001"]), ("ORD-2025-0001", "records/x.yaml"), ["ORD-2025" + "-0001"]]
    assert shared == separate and inputs_digest(shared) == inputs_digest(separate)
    assert inputs_digest(shared) != inputs_digest([name, (name, "records/y.yaml"), [name]])
    assert inputs_digest([("a", 1)]) != inputs_digest([["a", 1]]) != inputs_digest([("a", "1")])


def test_links_keep_their_anchor_and_percent_encode_readable_addresses():
    assert relative("orders/index.md", "orders/period/2026.md#month-2026-03") == "period/2026.html#month-2026-03"
    page = Page("orders/index.md", "zh-Hant")
    assert page.to("orders/client/綠野.md") == "client/%E7%B6%A0%E9%87%8E.html"
    assert escape.link(page.to("orders/client/綠野.md"), "x")  # accepted by the link guard


def test_row_data_is_escaped_and_its_names_are_fixed_words():
    html = escape.table(["h"], [["<td-ok>"]], row_data=[{"client": '"><script>x</script>'}])
    assert "<script>" not in html and 'data-client="&quot;&gt;&lt;script&gt;' in html
    with pytest.raises(ValueError):
        escape.table(["h"], [["x"]], row_data=[{"on click": "x"}])
