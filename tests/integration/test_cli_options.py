"""Global options of ``cockpit``: ``--data-dir`` given once, before or after the subcommand, always used."""

from __future__ import annotations

import click
import pytest

from cockpit.cli import cli, main
from warehouse.publish import publish_snapshot, published_version


@pytest.fixture
def two_versions(raw_store, tmp_settings, tmp_path, monkeypatch):
    """Two kept snapshots in ``tmp_settings.data_dir``; the working directory has no ./data of its own."""
    v1 = publish_snapshot(raw_store, tmp_settings, "run-1")
    v2 = publish_snapshot(raw_store, tmp_settings, "run-2")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("COCKPIT_DATA_DIR", raising=False)
    monkeypatch.setenv("COCKPIT_CONFIG", str(elsewhere / "no-such.toml"))
    return v1, v2, elsewhere


def test_root_data_dir_reaches_a_nested_subcommand(two_versions, tmp_settings, capsys):
    v1, v2, elsewhere = two_versions
    assert published_version(tmp_settings) == v2
    assert main(["--data-dir", str(tmp_settings.data_dir), "snapshots", "rollback", v1]) == 0
    assert v1 in capsys.readouterr().out
    assert published_version(tmp_settings) == v1
    assert not (elsewhere / "data").exists()  # ./data was never touched


def test_data_dir_after_the_subcommand_is_the_same_option(two_versions, tmp_settings, capsys):
    v1, _v2, elsewhere = two_versions
    assert main(["snapshots", "rollback", v1, "--data-dir", str(tmp_settings.data_dir)]) == 0
    assert published_version(tmp_settings) == v1
    # The same directory given twice is not a conflict.
    data_dir = str(tmp_settings.data_dir)
    assert main(["--data-dir", data_dir, "snapshots", "list", "--data-dir", data_dir]) == 0
    assert v1 in capsys.readouterr().out
    assert not (elsewhere / "data").exists()


def test_two_different_data_dirs_are_a_usage_error(two_versions, tmp_settings, tmp_path, capsys):
    v1, v2, _elsewhere = two_versions
    other = tmp_path / "other"
    code = main(
        ["--data-dir", str(tmp_settings.data_dir), "snapshots", "rollback", v1, "--data-dir", str(other)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "两个不同的目录" in err and "two different directories" in err
    assert published_version(tmp_settings) == v2  # nothing was done


def test_data_dir_option_wins_over_the_environment(two_versions, tmp_settings, tmp_path, monkeypatch, capsys):
    v1, _v2, _elsewhere = two_versions
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path / "from-env"))
    assert main(["--data-dir", str(tmp_settings.data_dir), "snapshots", "list"]) == 0
    assert v1 in capsys.readouterr().out
    assert not (tmp_path / "from-env").exists()


def test_a_bad_date_is_a_bilingual_usage_error(capsys):
    assert main(["kpis", "--from", "2023-13-01"]) == 2
    err = capsys.readouterr().err
    assert "YYYY-MM-DD" in err and "日期格式" in err


def _all_commands(group: click.Group):
    for command in group.commands.values():
        yield command
        if isinstance(command, click.Group):
            yield from _all_commands(command)


def test_every_command_accepts_the_one_data_dir_option():
    root = {p.name: p for p in cli.params}
    for command in [cli, *_all_commands(cli)]:
        params = {p.name: p for p in command.params}
        assert "data_dir" in params, command.name
        # The same declaration everywhere: never a per-command default that could override the root's.
        assert params["data_dir"].callback is root["data_dir"].callback and params["data_dir"].default is None
