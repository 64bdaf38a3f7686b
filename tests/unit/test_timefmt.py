"""Times that tell the truth: one on-screen form in the settings' zone, ISO with offset in JSON, and
"数据截至" = the newest export's own date (warehouse.timefmt, warehouse.export_date)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from warehouse import timefmt
from warehouse.export_date import export_date_from_name, export_date_from_value, newest_export_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_show_renders_every_time_in_the_given_zone_one_way():
    utc = datetime(2026, 12, 2, 13, 10, tzinfo=UTC)
    assert timefmt.show(utc, "Asia/Shanghai") == "2026-12-02 21:10"
    assert timefmt.show(utc, "Europe/Berlin") == "2026-12-02 14:10"
    assert timefmt.show(date(2024, 1, 20), "Asia/Shanghai") == "2024-01-20"
    assert timefmt.show("2026-12-02T13:10:00+00:00", SHANGHAI) == "2026-12-02 21:10"
    assert timefmt.show(None, SHANGHAI) == timefmt.show("not a time", SHANGHAI) == "—"


def test_naive_times_are_machine_local_like_now_writes_them():
    naive = datetime.now().replace(microsecond=0)
    assert timefmt.localize(naive, SHANGHAI) == naive.astimezone().astimezone(SHANGHAI)


def test_iso_carries_the_offset():
    assert (
        timefmt.iso(datetime(2026, 12, 2, 13, 10, 5, 99, tzinfo=UTC), SHANGHAI) == "2026-12-02T21:10:05+08:00"
    )
    assert timefmt.iso(date(2024, 1, 20), SHANGHAI) == "2024-01-20"
    assert timefmt.iso(None, SHANGHAI) is None


def test_as_of_text_says_the_export_date_and_the_load_time():
    loaded = datetime(2026, 12, 2, 13, 27, tzinfo=UTC)  # 21:27 in Shanghai
    same_day = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    next_day = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert (
        timefmt.as_of_text(date(2024, 1, 20), loaded, SHANGHAI, "zh-CN", same_day)
        == "2024-01-20 · 更新于 21:27"
    )
    assert (
        timefmt.as_of_text(date(2024, 1, 20), loaded, SHANGHAI, "en", same_day)
        == "2024-01-20 · updated 21:27"
    )
    # Loaded on another day than today: the load time in full, so a clock never misleads.
    assert timefmt.as_of_text(date(2024, 1, 20), loaded, SHANGHAI, "zh-CN", next_day) == (
        "2024-01-20 · 更新于 2026-12-02 21:27"
    )
    assert timefmt.as_of_text(None, loaded, SHANGHAI) == "2026-12-02 21:27"
    assert timefmt.as_of_text(date(2024, 1, 20), None, SHANGHAI) == "2024-01-20"
    assert timefmt.as_of_text(None, None, SHANGHAI) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("代表_20240120.csv", date(2024, 1, 20)),
        ("建议_2023下半年_20240105.xlsx", date(2024, 1, 5)),
        ("活动-2024-01-20.csv", date(2024, 1, 20)),
        ("活动_2024_1_9.csv", date(2024, 1, 9)),
        ("案件2024年1月20日导出.xlsx", date(2024, 1, 20)),
        ("2022年_20230110_建议.xlsx", date(2023, 1, 10)),
        ("代表.csv", None),
        ("代表_20241399.csv", None),  # not a date
        ("代表_2024012012.csv", None),  # part of a longer number
        ("联系_13912345678.csv", None),
    ],
)
def test_export_date_from_name(name, expected):
    assert export_date_from_name(name) == expected


def test_export_date_from_the_export_time_column_and_the_newest_wins():
    assert export_date_from_value("2024/1/21 09:30") == date(2024, 1, 21)
    assert export_date_from_value(datetime(2024, 1, 22, 8)) == date(2024, 1, 22)
    assert export_date_from_value("未知") is None
    assert newest_export_date("代表_20240120.csv", ["2024-01-21 08:00", None, "x"]) == date(2024, 1, 21)
    assert newest_export_date("代表_20240120.csv", ["2024-01-02"]) == date(2024, 1, 20)
    assert newest_export_date("代表.csv") is None
