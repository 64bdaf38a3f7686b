"""``cockpit kpis`` and ``cockpit snapshots`` end to end on the fixture snapshot."""

from __future__ import annotations

import json

from cockpit.cli import main
from tests.support.raw_fixture import EXPECTED_KPIS_2023, T3
from warehouse.kpi_report import format_kpi_value
from warehouse.publish import publish_snapshot


def test_kpis_json(snapshot, tmp_settings, capsys):
    code = main(
        [
            "kpis",
            "--from",
            "2023-01-01",
            "--to",
            "2023-12-31",
            "--json",
            "--data-dir",
            str(tmp_settings.data_dir),
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["period"] == {"start": "2023-01-01", "end": "2023-12-31"}
    assert doc["township"] is None and doc["snapshot_version"].endswith("-ixture")
    assert doc["kpis"]["activities_total"] == 5
    assert abs(doc["kpis"]["suggestion_closure_rate"] - EXPECTED_KPIS_2023["suggestion_closure_rate"]) < 1e-9


def test_kpis_json_null_rates_for_an_empty_township(snapshot, tmp_settings, capsys):
    args = ["kpis", "--from", "2023-01-01", "--to", "2023-12-31", "--township", T3, "--json"]
    assert main([*args, "--data-dir", str(tmp_settings.data_dir)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["township"] == T3 and doc["kpis"]["mediation_success_rate"] is None


def test_kpis_text_table(snapshot, tmp_settings, capsys):
    assert (
        main(["kpis", "--from", "2023-01-01", "--to", "2023-12-31", "--data-dir", str(tmp_settings.data_dir)])
        == 0
    )
    out = capsys.readouterr().out
    assert "建议办结率" in out and "28.6%" in out and "调解成功率" in out and "66.7%" in out
    assert (
        main(
            [
                "kpis",
                "--township",
                T3,
                "--from",
                "2023-01-01",
                "--to",
                "2023-12-31",
                "--data-dir",
                str(tmp_settings.data_dir),
            ]
        )
        == 0
    )
    assert "—" in capsys.readouterr().out
    assert format_kpi_value("mediation_success_rate", 0.9017) == "90.2%"
    assert format_kpi_value("visitors_total", 2735) == "2,735"
    assert format_kpi_value("home_visit_rate", None) == "—"


def test_kpis_errors_are_clear(tmp_settings, capsys):
    assert main(["kpis", "--data-dir", str(tmp_settings.data_dir)]) == 2
    err = capsys.readouterr().err
    assert "尚未发布快照" in err and "No snapshot published" in err


def test_snapshots_list_and_rollback(raw_store, tmp_settings, capsys):
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    v2 = publish_snapshot(raw_store, tmp_settings, "run-2")
    data_dir = str(tmp_settings.data_dir)
    assert main(["snapshots", "list", "--data-dir", data_dir]) == 0
    listing = capsys.readouterr().out
    assert v1 in listing and v2 in listing
    assert main(["snapshots", "rollback", v1, "--data-dir", data_dir]) == 0
    assert v1 in capsys.readouterr().out
    assert main(["snapshots", "rollback", "bogus", "--data-dir", data_dir]) == 2
    err = capsys.readouterr().err
    assert "未知的快照版本" in err and "Unknown snapshot version" in err and v2 in err


def test_snapshots_build_from_the_raw_store(raw_store, tmp_settings, capsys):
    raw_store.rename(tmp_settings.raw_db)
    assert main(["snapshots", "build", "--data-dir", str(tmp_settings.data_dir)]) == 0
    assert "已生成并发布快照" in capsys.readouterr().out
    assert tmp_settings.published_db.is_file()
