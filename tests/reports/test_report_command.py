"""orders report: any report for any period from the command line, as text, Markdown, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from generator.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["report", *args], catch_exceptions=False)


def test_json_and_csv_match_their_golden_files(reports_archive, golden):
    for fmt, lang in (("json", "en"), ("csv", "zh-Hant")):
        said = run(str(reports_archive), "--period", "2026", "--format", fmt, "--lang", lang, "--today", "2026-11-20")
        assert said.exit_code == 0, said.output
        golden(f"report-2026.{fmt}", said.stdout_bytes.decode("utf-8"))


def test_json_carries_every_figure_for_tools(reports_archive):
    data = json.loads(run(str(reports_archive), "--period", "2026-Q3", "--format", "json", "--lang", "en", "--today", "2026-11-20").stdout)
    assert (data["period"], data["start"], data["end"], data["as_of"]) == ("2026-Q3", "2026-07-01", "2026-09-30", "2026-11-20")
    tables = {t["key"]: t for t in data["tables"]}
    assert tables["delivery"]["rows"] == [[2, 2, 0, 1.0]] and tables["delivery"]["note"].startswith("Orders delivered in the period")
    assert tables["receivables"]["rows"] == [["TWD", "0", "50000", "823000", "0", "0", "873000"]]  # exact amounts, as strings


def test_csv_opens_in_excel_with_chinese_column_names(reports_archive):
    text = run(str(reports_archive), "--format", "csv", "--today", "2026-11-20").stdout_bytes.decode("utf-8")
    assert text.startswith("\ufeff# 訂單流量\r\n項目,訂單數\r\n")
    block = text.split("# 應收帳款帳齡 (§6.3)\r\n")[1].split("\r\n\r\n")[0]
    assert next(csv.reader(io.StringIO(block))) == ["幣別", "未到期", "逾期 0–30 天", "31–60 天", "61–90 天", "逾 90 天", "合計"]


def test_text_reads_in_a_terminal_and_a_bad_period_is_refused(reports_archive):
    text = run(str(reports_archive), "--period", "2026", "--today", "2026-11-20").stdout
    assert text.startswith("報表 2026（資料基準日 2026-11-20）") and "準時率" in text and "100.0%" in text
    said = run(str(reports_archive), "--period", "2026-13")
    assert said.exit_code == 2 and "is not a period: write a month (2026-11), a quarter (2026-Q3), a year (2026) or all" in said.output
