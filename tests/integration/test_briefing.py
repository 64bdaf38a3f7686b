"""The briefing on the hand-made fixture: words, tables and files against ``query.kpis``; phrasing at the
edges; periods; the download route's scope (403) and the kept-briefs list."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import flask
import pandas as pd
import pytest

from dashboard import context
from dashboard.auth_store import Principal
from dashboard.briefing import compose, jobs, periods, render, routes, write
from dashboard.briefing.document import Chart, Paragraph, Table
from dashboard.briefing.narrative import change_text, fmt_int, fmt_pct
from tests.support.briefing_helpers import (
    NUMBER_RE,
    allowed_numbers,
    cn,
    docx_headings,
    docx_paragraphs,
    docx_tables,
    pct,
    pdf_pages,
    pdf_text,
    pdf_to_pngs,
    tiny_png,
)
from tests.support.raw_fixture import T1, T2, T3
from warehouse import query
from warehouse.query import Filters
from warehouse.snapshot import SnapshotReader

YEAR = (date(2023, 1, 1), date(2023, 12, 31))


# ---- numbers and periods ------------------------------------------------------------------------


def test_counts_are_written_the_chinese_way_and_exactly():
    assert [fmt_int(n) for n in (0, 7, 2735, 9999)] == ["0", "7", "2735", "9999"]
    assert fmt_int(10_000) == "1万"
    assert fmt_int(123_456) == "12万3456"
    assert fmt_int(1_000_050) == "100万0050"
    assert fmt_int(102_003_000) == "1亿0200万3000"
    assert fmt_int(12_345, "en") == "12,345"
    assert [cn(n) for n in (2735, 123_456, 1_000_050)] == ["2735", "12万3456", "100万0050"]


def test_changes_rise_fall_flat_and_from_zero():
    assert change_text(146, 118, "zh-CN") == "增长23.7%"
    assert change_text(90, 100, "zh-CN") == "下降10.0%"
    assert change_text(5, 5, "zh-CN") == "持平"
    assert change_text(3, 0, "zh-CN") == "上年同期为零"
    assert change_text(0, 0, "zh-CN") == "持平"
    assert fmt_pct(None) == "—" and fmt_pct(0.8674) == "86.7%"


def test_periods_are_named_and_numbered_like_the_newsletter():
    assert periods.period_name(*YEAR, "zh-CN") == "2023年"
    assert periods.period_name(date(2023, 12, 1), date(2023, 12, 31), "zh-CN") == "2023年12月"
    assert periods.period_name(date(2023, 10, 1), date(2023, 12, 31), "zh-CN") == "2023年第4季度"
    assert periods.issue_label(date(2023, 10, 1), date(2023, 12, 31), "zh-CN") == "2023年第4期"
    assert periods.issue_label(date(2024, 2, 1), date(2024, 2, 29), "zh-CN") == "2024年第2期"
    assert periods.issue_label(*YEAR, "zh-CN") == "2023年度"
    assert periods.issue_label(date(2023, 12, 1), date(2024, 1, 19), "zh-CN") == "2023-12-01至2024-01-19"
    assert periods.kind(date(2023, 12, 1), date(2024, 1, 31)) == "range"
    assert periods.period_name(date(2023, 12, 1), date(2024, 1, 31), "zh-CN") == "2023-12-01至2024-01-31"
    assert periods.previous_month(date(2024, 1, 20)) == (date(2023, 12, 1), date(2023, 12, 31))
    assert periods.previous_month(date(2024, 3, 1)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert periods.same_period_last_year(date(2024, 2, 1), date(2024, 2, 29)) == (
        date(2023, 2, 1),
        date(2023, 2, 28),
    )
    assert jobs.due_periods(date(2024, 1, 1)) == [(date(2023, 12, 1), date(2023, 12, 31)), YEAR]
    assert jobs.due_periods(date(2024, 5, 1)) == [(date(2024, 4, 1), date(2024, 4, 30))]


# ---- the document against the query layer ---------------------------------------------------------


@pytest.fixture
def settings(tmp_settings):
    return tmp_settings


def build(con, settings, start, end, township=None, **kw):
    kw.setdefault("charts", False)
    return write.build_briefing(con, settings, start, end, township, **kw)


def narrative(doc) -> list[str]:
    """The paragraphs of sections 二 to 九 (figures only: no deputy names, which may hold digits)."""
    return [b.text for s in doc.sections[1:9] for b in s.blocks if isinstance(b, Paragraph)]


def assert_every_number_is_a_kpi(doc, con, start, end, township=None):
    scope = (township,) if township else ()
    current = query.kpis(con, Filters(start, end, townships=scope))
    before = periods.same_period_last_year(start, end)
    previous = query.kpis(con, Filters(*before, townships=scope))
    allowed = allowed_numbers(current, previous, start, end)
    levels = compose.gather(con, start, end, township).home_levels
    allowed |= {cn(n) for n in levels.values()}
    for text in narrative(doc):
        for number in NUMBER_RE.findall(text):
            assert number in allowed, (number, text)
    return current, previous


def test_every_figure_of_the_2023_text_is_the_query_layers(snapshot_con, settings):
    doc = build(snapshot_con, settings, *YEAR)
    k, previous = assert_every_number_is_a_kpi(doc, snapshot_con, *YEAR)
    text = doc.text()
    assert f"共开展进家活动{cn(k['activities_total'])}场，接待群众{cn(k['visitors_total'])}人次" in text
    assert f"收集转办意见建议{cn(k['suggestions_collected'])}件" in text
    assert f"办结率{pct(k['suggestion_closure_rate'])}" in text
    assert f"受理信访代办事项{cn(k['petition_cases'])}件，已办结{cn(k['petition_completed'])}件" in text
    assert f"诉前调解案件{cn(k['mediation_cases'])}件，成功化解{cn(k['mediation_success'])}件" in text
    assert f"征集立法意见建议{cn(k['legislative_suggestions'])}件" in text
    assert f"票决产生民生实事项目{cn(k['livelihood_projects_voted'])}项" in text
    assert f"开展学习培训{cn(k['trainings_total'])}期，培训代表{cn(k['training_attendance'])}人次" in text
    # The fixture has no 2022 activity but A7: visitors 99 a year earlier.
    if previous["activities_total"] == 0:
        assert "上年同期为零" in text


def test_tables_hold_the_query_layers_rows(snapshot_con, settings):
    doc = build(snapshot_con, settings, *YEAR)
    tables = [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]
    assert len(tables) == 3
    towns = query.township_summary(snapshot_con, Filters(*YEAR))
    assert [row[0] for row in tables[0].rows] == list(towns["township_name"])
    assert [row[2] for row in tables[0].rows] == [cn(int(v)) for v in towns["activities"]]
    assert (
        sum(int(r[2]) for r in tables[0].rows) == query.kpis(snapshot_con, Filters(*YEAR))["activities_total"]
    )
    units = query.handling_units(snapshot_con, Filters(*YEAR))
    assert sorted(row[0] for row in tables[1].rows) == sorted(units["unit"].head(10))
    ranking = query.points_ranking(snapshot_con, Filters(*YEAR))
    assert [(r[1], r[3]) for r in tables[2].rows] == [
        (n, cn(int(p))) for n, p in zip(ranking["deputy_name"], ranking["points"], strict=True) if p > 0
    ]


def test_docx_has_real_headings_tables_and_the_same_words(snapshot_con, settings):
    doc = build(snapshot_con, settings, *YEAR)
    doc_with_chart = replace(doc, sections=[*doc.sections])
    doc_with_chart.sections[2].blocks.append(Chart("图1  测试图", tiny_png()))
    content = render.to_docx(doc_with_chart)
    headings = docx_headings(content)
    assert ("Heading 1", "二、阵地建设") in headings and ("Heading 1", "附：统计口径") in headings
    paragraphs = "\n".join(docx_paragraphs(content))
    for text in narrative(doc):
        assert text in paragraphs
    tables = docx_tables(content)
    assert tables[0][0][:3] == ["苏木镇街道", "代表之家", "活动场次"]
    assert len(tables) == 3
    assert b"word/media/" in content  # the chart travels as a picture


def test_pdf_is_a4_with_page_numbers_the_title_block_and_every_figure(snapshot_con, settings):
    doc = build(snapshot_con, settings, *YEAR)
    content = render.to_pdf(doc)
    assert content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = pdf_text(content)
    pages = pdf_pages(content)
    assert f"第1页/共{pages}页" in text
    assert "代表履职数据通报" in text and "2023年度" in text and "数据截至" in text
    k = query.kpis(snapshot_con, Filters(*YEAR))
    for figure in (
        f"进家活动{cn(k['activities_total'])}场",
        f"接待群众{cn(k['visitors_total'])}人次",
        f"办结率{pct(k['suggestion_closure_rate'])}",
        f"成功化解{cn(k['mediation_success'])}件",
    ):
        assert figure in text, figure
    images = pdf_to_pngs(content, "fixture-2023")
    assert len(images) == pages and all(p.stat().st_size > 1000 for p in images)


# ---- the edges -----------------------------------------------------------------------------------


def test_a_township_without_homes_or_activity_says_so(snapshot_con, settings):
    doc = build(snapshot_con, settings, *YEAR, township=T3)
    assert_every_number_is_a_kpi(doc, snapshot_con, *YEAR, township=T3)
    text = doc.text()
    assert "五当召镇暂无代表之家" in text
    assert "五当召镇暂无进家活动记录" in text
    assert "五当召镇本期暂无进家活动" in text  # the highlight
    assert "测试区级代表之家" not in text and "石拐街道" not in text  # nothing of other townships


def test_an_empty_month_has_no_invented_figures(snapshot_con, settings):
    start, end = date(2023, 8, 1), date(2023, 8, 31)
    doc = build(snapshot_con, settings, start, end)
    assert_every_number_is_a_kpi(doc, snapshot_con, start, end)
    text = doc.text()
    assert "2023年8月，全区暂无进家活动记录" in text
    assert "统计期间不足6个月，不生成约谈提醒名单" in text


def test_a_period_crossing_years_compares_with_the_same_dates_a_year_earlier(snapshot_con, settings):
    start, end = date(2022, 12, 1), date(2023, 1, 31)
    doc = build(snapshot_con, settings, start, end)
    k, _ = assert_every_number_is_a_kpi(doc, snapshot_con, start, end)
    assert doc.meta.startswith("统计期间：2022-12-01至2023-01-31")
    assert f"共开展进家活动{cn(k['activities_total'])}场" in doc.text()


def fake_figures(**kpis) -> compose.Figures:
    base = dict.fromkeys(query.KPI_IDS, 0)
    base.update({k: None for k in query.RATE_KPIS})
    base.update(kpis)
    towns = pd.DataFrame(
        {
            "township_code": [T1, T2],
            "township_name": ["石拐街道", "大发街道"],
            "homes": [2, 4],
            "activities": [10, 0],
            "visitors": [100, 0],
            "suggestions": [3, 0],
        }
    )
    ranking = pd.DataFrame(
        columns=["rank", "deputy_id", "deputy_name", "township_name", "levels", "points", "absences"]
    )
    watch = pd.DataFrame({"deputy_name": ["代表某甲"], "points": [0]})
    return compose.Figures(
        start=YEAR[0],
        end=YEAR[1],
        township=None,
        scope_name="全区",
        kpis=base,
        previous={**base, "activities_total": 10},
        home_levels={"区级": 1, "苏木镇街道级": 5, "嘎查村级": 0, "企业": 0},
        townships=towns,
        units=pd.DataFrame(columns=["unit", "suggestions", "closed", "on_time_rate", "satisfaction_rate"]),
        top=ranking,
        watchlist=watch,
        watchlist_applies=True,
        version="v1",
        as_of="2024-01-20 02:00",
        data_end=date(2023, 6, 30),
    )


def test_missing_denominators_flat_figures_and_the_lagging_township():
    fig = fake_figures(suggestions_collected=4, activities_total=10, visitors_total=100, homes_total=6)
    doc = compose.compose(fig, "石拐区")
    text = doc.text()
    assert "暂无可计算的办结率" in text and "暂无可计算的满意率" in text
    assert "同比持平" in text or "同比分别持平" in text  # activities 10 against 10
    assert "石拐街道居首（5.0场/家），大发街道居末（0.0场/家）" in text
    assert "大发街道本期暂无进家活动" in text
    assert "数据截至2023-06-30" in text  # the period runs past the data
    assert "区级1个、苏木镇街道级5个" in text and "嘎查村级0个" not in text
    assert "代表某甲" not in text and "约谈提醒名单的代表1名" in text
    assert "代表某甲" in compose.compose(fig, "石拐区", watchlist_names=True).text()


def test_english_is_available(snapshot_con, settings):
    doc = build(snapshot_con, settings, *YEAR, lang="en")
    assert doc.title == "Deputy-work data briefing"
    assert "activities" in doc.text()


def test_bad_input_is_refused_in_both_languages(snapshot_con, settings):
    with pytest.raises(write.BriefingError, match="未知的苏木镇街道代码.*Unknown township code"):
        build(snapshot_con, settings, *YEAR, township="999999999999")
    with pytest.raises(write.BriefingError, match="统计期间有误.*Bad period"):
        build(snapshot_con, settings, YEAR[1], YEAR[0])
    with pytest.raises(write.BriefingError, match="不支持的简报格式.*Unsupported"):
        write.write_briefing(settings, *YEAR, None, "xls")
    with pytest.raises(write.BriefingError, match="尚无已发布的数据快照"):
        write.write_briefing(settings, *YEAR, None, "docx")  # tmp_settings has no snapshot


def test_write_briefing_writes_the_file(snapshot, tmp_settings, tmp_path):
    out = write.write_briefing(tmp_settings, *YEAR, T1, "docx", tmp_path / "b.docx", charts=False)
    assert out == tmp_path / "b.docx"
    text = "\n".join(docx_paragraphs(out.read_bytes()))
    reader = SnapshotReader(snapshot)
    with reader.cursor() as con:
        k = query.kpis(con, Filters(*YEAR, townships=(T1,)))
    reader.close()
    assert f"石拐街道{cn(k['homes_total'])}个代表之家共开展进家活动{cn(k['activities_total'])}场" in text


# ---- routes --------------------------------------------------------------------------------------


@pytest.fixture
def route_app(snapshot, tmp_settings, monkeypatch):
    reader = SnapshotReader(snapshot)
    context.configure(tmp_settings, reader)
    monkeypatch.setattr(write, "_png", lambda figure: tiny_png())  # kaleido is not under test here
    who = {"principal": None}
    app = flask.Flask(__name__)
    app.before_request(lambda: setattr(flask.g, "cockpit_principal", who["principal"]))
    routes.register_briefing_routes(app)
    yield app.test_client(), who, tmp_settings
    reader.close()


def test_a_township_user_gets_only_their_own_briefing(route_app):
    client, who, _ = route_app
    who["principal"] = Principal("user", "shiguai", "township", T1)
    refused = client.get(f"/download/briefing.docx?from=2023-01-01&to=2023-12-31&township={T2}")
    assert refused.status_code == 403
    own = client.get("/download/briefing.docx?from=2023-01-01&to=2023-12-31")
    assert own.status_code == 200
    assert "attachment" in own.headers["Content-Disposition"]
    text = "\n".join(docx_paragraphs(own.data))
    assert "石拐街道" in text and "大发街道" not in text
    assert client.get("/download/briefing.exe?from=2023-01-01").status_code == 404


def test_watchlist_names_follow_the_role(route_app, snapshot_con):
    client, who, _ = route_app
    watch = query.low_points_watchlist(snapshot_con, Filters(*YEAR))
    assert not watch.empty
    who["principal"] = Principal("user", "boss", "leader")
    text = "\n".join(
        docx_paragraphs(client.get("/download/briefing.docx?from=2023-01-01&to=2023-12-31").data)
    )
    assert all(name in text for name in watch["deputy_name"])
    assert f"约谈提醒名单的代表{cn(len(watch))}名" in text


def test_kept_briefs_are_listed_for_leaders_only(route_app):
    client, who, settings = route_app
    written = jobs.write_scheduled_briefings(settings, date(2024, 1, 5), charts=False)
    names = sorted(p.name for p in written)
    assert len(names) == 4 and names[0].startswith("brief_2023-01-01_2023-12-31_")
    assert (
        jobs.write_scheduled_briefings(settings, date(2024, 1, 5), charts=False) == []
    )  # same version: kept
    who["principal"] = Principal("user", "boss", "leader")
    page = client.get("/briefs").get_data(as_text=True)
    assert all(n in page for n in names)
    docx = next(n for n in names if n.endswith(".docx"))
    got = client.get(f"/download/briefs/{docx}")
    assert got.status_code == 200 and got.data == (settings.data_dir / "briefs" / docx).read_bytes()
    assert client.get("/download/briefs/../auth.sqlite").status_code == 404
    who["principal"] = Principal("user", "shiguai", "township", T1)
    assert client.get("/briefs").status_code == 403
    assert client.get(f"/download/briefs/{docx}").status_code == 403


def test_the_briefing_route_wins_over_the_panel_downloads():
    from dashboard.downloads import register_download_routes

    app = flask.Flask(__name__)
    register_download_routes(app)  # the order of create_app
    routes.register_briefing_routes(app)
    urls = app.url_map.bind("localhost")
    assert urls.match("/download/briefing.pdf")[0] == "cockpit_briefing"
    assert urls.match("/download/briefs/brief_2023-12-01_2023-12-31_v1.pdf")[0] == "cockpit_kept_brief"
    assert urls.match("/download/trend.png")[0] == "download"


def test_the_scheduler_is_handed_the_briefing_job(tmp_settings):
    from cockpit.scheduler_command import scheduler_extra_jobs
    from etl.scheduler import build_scheduler

    extra = scheduler_extra_jobs(tmp_settings)
    assert [(j.job_id, j.cron, j.run) for j in extra] == [
        ("write_briefings", "0 6 1 * *", jobs.scheduled_briefings_job)
    ]
    scheduler = build_scheduler(tmp_settings, extra_jobs=extra)
    job = scheduler.get_job("write_briefings")
    assert job is not None and str(job.trigger).startswith("cron[month='*', day='1'")
    assert scheduler_extra_jobs(tmp_settings.with_(briefing_cron=None)) == []
    assert jobs.scheduled_briefings_job(tmp_settings) == []  # no snapshot: logged, never raised


def test_the_real_app_guards_scopes_and_audits_briefings(snapshot, tmp_settings, monkeypatch):
    from dashboard.app import create_app
    from dashboard.auth_store import audit_rows
    from tests.support.security_helpers import create_kiosk_token, create_user, login

    monkeypatch.setattr(write, "_png", lambda figure: tiny_png())
    create_user(tmp_settings.data_dir, "town1", "township", "pw-town-123456", T1)
    create_user(tmp_settings.data_dir, "leader1", "leader", "pw-lead-123456")
    token = create_kiosk_token(tmp_settings.data_dir, "hall")
    app = create_app(tmp_settings)
    app.server.config["TESTING"] = True
    url = "/download/briefing.docx?from=2023-01-01&to=2023-12-31"

    assert app.server.test_client().get(url).status_code == 401
    kiosk = app.server.test_client()
    kiosk.get(f"/wall?token={token}")
    assert kiosk.get(url).status_code == 403

    town = app.server.test_client()
    assert login(town, "", "town1", "pw-town-123456").status_code == 302
    assert town.get(f"{url}&township={T2}").status_code == 403
    own = town.get(url)
    assert own.status_code == 200 and "大发街道" not in "\n".join(docx_paragraphs(own.data))
    assert town.get("/briefs").status_code == 403
    audit = [r for r in audit_rows(tmp_settings, limit=20) if r["event"] == "download"]
    assert audit and audit[0]["actor"] == "town1" and audit[0]["detail"]["path"] == "/download/briefing.docx"
    assert audit[0]["detail"]["filters"]["townships"] == [T1]  # the scope actually served

    leader = app.server.test_client()
    assert login(leader, "", "leader1", "pw-lead-123456").status_code == 302
    assert leader.get("/briefs").status_code == 200


def test_a_slow_briefing_is_written_off_the_request_thread(route_app, monkeypatch):
    import threading

    client, who, _ = route_app
    who["principal"] = Principal("user", "boss", "leader")
    release = threading.Event()
    monkeypatch.setattr(write, "_png", lambda figure: release.wait(30) and tiny_png())
    monkeypatch.setattr(routes, "WAIT_SECONDS", 0.05)
    url = "/download/briefing.docx?from=2023-03-01&to=2023-03-31"
    first = client.get(url)
    assert first.status_code == 202 and first.headers["Retry-After"] == str(routes.RETRY_SECONDS)
    assert "简报正在生成" in first.get_data(as_text=True)
    release.set()
    monkeypatch.setattr(routes, "WAIT_SECONDS", 30)
    done = client.get(url)  # the reload picks up the same job's file
    assert done.status_code == 200 and done.data.startswith(b"PK")


def test_cockpit_brief_writes_the_file_or_says_what_is_wrong(snapshot, tmp_settings, tmp_path, capsys):
    from cockpit.cli import main

    out = tmp_path / "brief.docx"
    args = ["brief", "--from", "2023-01-01", "--to", "2023-12-31", "--data-dir", str(tmp_settings.data_dir)]
    assert main([*args, "--format", "docx", "--out", str(out), "--no-charts", "--township", T2]) == 0
    assert "简报已生成" in capsys.readouterr().out
    assert "大发街道" in "\n".join(docx_paragraphs(out.read_bytes()))
    assert main([*args, "--format", "docx", "--township", "999999999999", "--no-charts"]) == 2
    assert "未知的苏木镇街道代码：999999999999 / Unknown township code" in capsys.readouterr().err
