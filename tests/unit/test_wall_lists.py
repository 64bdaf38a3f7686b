"""Wall lists: ranking, ticker, township focus and table."""

from __future__ import annotations

import json
from datetime import date

from dashboard.components import wall_lists
from tests.support.wall_tree import attr, by_class, text


def ranking_rows(count: int) -> list[dict]:
    return [
        {"rank": i, "deputy_name": f"代表{i:03d}", "township_name": "大发街道", "points": 200 - i}
        for i in range(1, count + 1)
    ]


def test_ranking_shows_the_top_ten_then_steps_through_the_rest():
    children = wall_lists.ranking_list(ranking_rows(25), "zh-CN")
    top = by_class(children, "wall-rank-top")[0]
    assert len(by_class(top, "wall-rank-row")) == 10
    assert "is-top1" in by_class(top, "wall-rank-row")[0].className
    rest = by_class(children, "wall-rank-rest")[0]
    assert attr(rest, "data-wall-step") == "y"
    # The rest travels as data (wall.js builds the rows): rank, name, township, points as text.
    rows = json.loads(attr(rest, "data-wall-rows"))
    assert [r[0] for r in rows] == [str(i) for i in range(11, 26)]
    assert rows[0] == ["11", "代表011", "大发街道", "189"]
    assert attr(rest, "data-wall-unit") == "分"
    assert not by_class(rest, "wall-rank-row")
    assert text(by_class(top, "wall-rank-points")[0]) == "199分"


def test_short_ranking_has_no_scroller_and_empty_ranking_says_so():
    assert not by_class(wall_lists.ranking_list(ranking_rows(4), "zh-CN"), "wall-rank-rest")
    assert text(wall_lists.ranking_list([], "en")) == "No data for this period"


def test_ticker_items_join_date_place_type_and_title():
    rows = [
        {
            "activity_date": date(2023, 12, 30),
            "home_name": "一号之家",
            "activity_type": "议事",
            "title": "供暖",
        },
        {"activity_date": "2023-12-29", "home_name": None, "activity_type": "视察", "title": ""},
    ]
    assert wall_lists.ticker_items(rows) == ["12-30  一号之家 · 议事 · 供暖", "12-29  视察"]
    children = wall_lists.ticker(rows, "zh-CN")
    assert text(children[0]) == "最新活动"
    assert len(by_class(children, "wall-ticker-item")) == 2
    assert attr(children[1], "data-wall-step") == "x"
    assert text(by_class(wall_lists.ticker([], "zh-CN"), "wall-ticker-item")[0]) == "暂无数据"


def test_focus_entries_are_plain_data_with_formatted_figures():
    rows = [{"township_code": "1", "township_name": "大发街道", "homes": 3, "visitors": 1234}]
    entries = wall_lists.focus_entries(rows, "zh-CN")
    assert entries == [{"code": "1", "name": "大发街道", "items": [["代表之家", "3"], ["接待人次", "1,234"]]}]
    card = wall_lists.focus_card(entries[0])
    assert text(by_class(card, "wall-focus-name")) == "大发街道"
    assert [text(v) for v in by_class(card, "wall-focus-value")] == ["3", "1,234"]
    assert wall_lists.focus_card(None) == []


def test_township_table_has_a_row_per_township_and_only_known_columns():
    rows = [
        {"township_code": "1", "township_name": "甲", "activities": 5, "visitors": 50},
        {"township_code": "2", "township_name": "乙", "activities": 0, "visitors": None},
    ]
    table = wall_lists.township_table(rows, "en")
    headers = [text(th) for th in table.children[0].children.children]
    assert headers == ["Township", "Activities", "Visitors"]
    body = table.children[1].children
    assert [text(td) for td in body[1].children] == ["乙", "0", "—"]
