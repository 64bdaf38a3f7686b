"""The briefing of the generated demo's 2023 (the seed newsletter's year), charts and all: the seed's own
figures in the text, every figure of the PDF and the DOCX equal to ``query.kpis``, pages as PNG."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dashboard.briefing import render, write
from tests.integration.test_demo_calibration import load_demo
from tests.support.briefing_helpers import (
    cn,
    docx_paragraphs,
    docx_tables,
    pct,
    pdf_pages,
    pdf_text,
    pdf_to_pngs,
)
from warehouse import query
from warehouse.query import Filters

pytestmark = pytest.mark.slow
YEAR = (date(2023, 1, 1), date(2023, 12, 31))
NO_HOMES = "150205004000"  # 五当沟街道: no home in the demo roster


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings, summary = load_demo(tmp_path_factory.mktemp("briefing_demo") / "data")
    assert summary.status == "succeeded"
    con = duckdb.connect(str(settings.published_db), read_only=True)
    yield settings, con
    con.close()


@pytest.fixture(scope="module")
def year_doc(demo):
    settings, con = demo
    return write.build_briefing(con, settings, *YEAR, None)  # with the four charts (kaleido)


def kpi_phrases(k: dict) -> list[str]:
    """The phrase of each figure the text cites, written out from the KPIs."""
    return [
        f"共有代表之家{cn(k['homes_total'])}个",
        f"代表工作站{cn(k['stations_total'])}个，立法联络站{cn(k['liaison_points_total'])}个",
        f"在册人大代表{cn(k['deputies_total'])}名",
        f"共开展进家活动{cn(k['activities_total'])}场，接待群众{cn(k['visitors_total'])}人次",
        f"代表进家率{pct(k['home_visit_rate'])}",
        f"收集转办意见建议{cn(k['suggestions_collected'])}件",
        f"办结率{pct(k['suggestion_closure_rate'])}，满意率{pct(k['suggestion_satisfaction_rate'])}",
        f"受理信访代办事项{cn(k['petition_cases'])}件，已办结{cn(k['petition_completed'])}件，"
        f"办结率{pct(k['petition_completion_rate'])}，满意率{pct(k['petition_satisfaction_rate'])}",
        f"诉前调解案件{cn(k['mediation_cases'])}件，成功化解{cn(k['mediation_success'])}件，"
        f"调解成功率{pct(k['mediation_success_rate'])}；参与调解的代表{cn(k['mediators_total'])}名",
        f"围绕{cn(k['regulations_consulted'])}部法规征集立法意见建议{cn(k['legislative_suggestions'])}件",
        f"联动监督建议{cn(k['supervision_suggestions'])}件",
        f"列席常委会会议{cn(k['csc_observations'])}人次",
        f"票决产生民生实事项目{cn(k['livelihood_projects_voted'])}项",
        f"开展学习培训{cn(k['trainings_total'])}期，培训代表{cn(k['training_attendance'])}人次",
    ]


def test_the_2023_paragraphs_state_the_seeds_figures(year_doc):
    text = year_doc.text()
    assert "共有代表之家27个（区级1个、苏木镇街道级7个、嘎查村级17个、企业2个）" in text
    assert "2023年，全区27个代表之家共开展进家活动146场，接待群众2735人次" in text
    assert "收集转办意见建议219件" in text


def test_every_figure_of_the_pdf_equals_the_kpis(demo, year_doc):
    _, con = demo
    k = query.kpis(con, Filters(*YEAR))
    content = render.to_pdf(year_doc)
    text = pdf_text(content)
    for phrase in kpi_phrases(k):
        assert phrase.replace("，", ",").replace("；", ";") in text, phrase  # NFKC folds full-width marks
    pages = pdf_pages(content)
    assert f"第{pages}页/共{pages}页" in text
    images = pdf_to_pngs(content, "demo-2023", dpi=70)
    assert len(images) == pages >= 3


def test_every_figure_and_table_of_the_docx_equals_the_query_layer(demo, year_doc):
    _, con = demo
    k = query.kpis(con, Filters(*YEAR))
    content = render.to_docx(year_doc)
    text = "\n".join(docx_paragraphs(content))
    for phrase in kpi_phrases(k):
        assert phrase in text, phrase
    towns = query.township_summary(con, Filters(*YEAR))
    table = docx_tables(content)[0]
    assert [row[0] for row in table[1:]] == list(towns["township_name"])
    assert [row[3] for row in table[1:]] == [cn(int(v)) for v in towns["visitors"]]
    assert content.count(b"word/media/image") >= 4  # the four charts


def test_a_township_without_homes_and_a_period_across_years(demo):
    settings, con = demo
    doc = write.build_briefing(con, settings, *YEAR, NO_HOMES, charts=False)
    assert "五当沟街道暂无代表之家" in doc.text()
    start, end = date(2023, 12, 1), date(2024, 1, 19)
    doc = write.build_briefing(con, settings, start, end, None, charts=False)
    k = query.kpis(con, Filters(start, end))
    assert f"共开展进家活动{cn(k['activities_total'])}场，接待群众{cn(k['visitors_total'])}人次" in doc.text()
    assert "2023-12-01至2024-01-19" in doc.meta
