"""A version's changes in words, in both languages: field names from the schema, values from the label table."""

from __future__ import annotations

from generator.site.render.fieldwords import describe

PEOPLE = {"wang.chienhung": "王建宏"}


def test_a_status_change_reads_in_words():
    assert describe("order", [("status", "in_progress", "delivered")], "zh-Hant") == ["訂單狀態：執行中 → 已交付"]
    assert describe("order", [("status", "in_progress", "delivered")], "en") == ["Order status: In progress → Delivered"]


def test_a_list_item_added_whole_is_one_line_named_by_its_first_value():
    changes = [("tracking[3].on", None, "2026-05-01"), ("tracking[3].progress", None, "40"), ("tracking[3].quality", None, "on_track")]
    assert describe("order", changes, "zh-Hant") == ["新增 執行追蹤 #4：2026-05-01"]
    removed = [("attachments[1].file", "a.pdf", None), ("attachments[1].title", "A", None)]
    assert describe("order", removed, "en") == ["removed Attached files #2 (was a.pdf)"]


def test_a_field_inside_a_list_names_its_item_and_people_read_as_names():
    lines = describe("order", [("work_plan.tasks[0].owner", "wang.chienhung", "nobody.here")], "zh-Hant", PEOPLE.get)
    assert lines == ["工作計劃 › 任務分解 #1 › 負責人：王建宏 → nobody.here"]


def test_amounts_flags_and_noise():
    assert describe("order", [("intake.budget", "1200000", "1350000.50")], "en") == ["Intake and confirmation › Agreed budget: 1,200,000 → 1,350,000.50"]
    assert describe("change_request", [("major", "false", "true")], "zh-Hant") == ["是否重大變更：否 → 是"]
    assert describe("order", [("risks", None, "[]"), ("tracking", "[]", None)], "zh-Hant") == []  # an empty list is no change


def test_an_unknown_field_or_value_is_shown_as_written():
    assert describe("order", [("extra.thing", "a", "b")], "en") == ["extra › thing: a → b"]
    assert describe("order", [("status", "weird", "delivered")], "en") == ["Order status: weird → Delivered"]
