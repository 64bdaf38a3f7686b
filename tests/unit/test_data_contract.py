"""docs/DATA_CONTRACT.md is generated from the mapping, the KPI registry and the points rules, and
committed: this fails when a source changed and the document was not regenerated."""

from __future__ import annotations

from etl import contract_doc
from etl.mapping import load_mapping
from warehouse.points import load_points_rules
from warehouse.query import KPI_IDS

REGENERATE = "run `python -m etl.contract_doc` and commit docs/DATA_CONTRACT.md"


def test_committed_contract_is_up_to_date():
    committed = contract_doc.DOC_PATH.read_text(encoding="utf-8")
    assert committed == contract_doc.render_data_contract(), REGENERATE


def test_contract_covers_every_entity_column_kpi_and_rule():
    text = contract_doc.render_data_contract()
    mapping = load_mapping()
    for entity in mapping.entities.values():
        assert f"### `{entity.name}`" in text
        for column in entity.columns.values():
            assert f"| `{column.name}` | {column.type} |" in text
            assert column.type in contract_doc.TYPE_NOTES, f"describe type {column.type} in TYPE_NOTES"
            assert all(header in text for header in column.headers)
    for kpi in KPI_IDS:
        assert f"| `{kpi}` |" in text
    for rule in load_points_rules():
        assert f"| `{rule.rule_id}` | {rule.name} |" in text
        assert rule.source in contract_doc.SOURCE_NOTES


def test_regenerating_writes_the_rendered_text(tmp_path):
    target = tmp_path / "contract.md"
    assert contract_doc.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == contract_doc.render_data_contract()
