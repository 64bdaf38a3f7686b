"""Settings: defaults < cockpit.toml < COCKPIT_* < command line; anything unknown or mistyped is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cockpit.cli import main
from warehouse.settings import SettingsError, load_settings


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cockpit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_order_defaults_then_file_then_environment_then_overrides(tmp_path):
    config = _toml(
        tmp_path, 'data_dir = "/from/file"\nport = 9001\nkeep_snapshots = 3\ndefault_start = 2023-01-01\n'
    )
    settings = load_settings(
        config_file=config, env={"COCKPIT_PORT": "9002", "COCKPIT_SECURE_COOKIES": "yes"}
    )
    assert settings.data_dir == Path("/from/file")
    assert settings.port == 9002 and settings.keep_snapshots == 3
    assert settings.default_start == date(2023, 1, 1) and settings.secure_cookies is True
    assert settings.district_name == "石拐区"  # a default nobody set
    overridden = load_settings(config_file=config, env={}, data_dir=tmp_path / "cli")
    assert overridden.data_dir == tmp_path / "cli" and overridden.port == 9001


def test_config_file_named_by_the_environment(tmp_path):
    config = _toml(tmp_path, "wall_poll_seconds = 7\n")
    assert load_settings(env={"COCKPIT_CONFIG": str(config)}).wall_poll_seconds == 7


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('data_dirr = "/srv"\n', ("data_dirr", "未知的配置项", "Unknown setting")),
        ('port = "8000"\n', ("port", "expected int", "'8000'", "值无效")),
        ("keep_snapshots = true\n", ("keep_snapshots", "expected int")),
        ('default_start = "2023-02-30"\n', ("default_start", "expected date")),
        ("district_name = 150205\n", ("district_name", "expected str")),
        ("port = \n", ("cannot be parsed", "无法解析")),
    ],
)
def test_a_bad_config_file_is_a_clear_error(tmp_path, text, words):
    config = _toml(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        load_settings(config_file=config, env={})
    message = str(info.value)
    assert str(config) in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"COCKPIT_DATADIR": "/srv"}, ("COCKPIT_DATADIR", "未知的配置项", "Unknown setting")),
        ({"COCKPIT_PORT": "eighty"}, ("COCKPIT_PORT", "expected int", "值无效")),
        ({"COCKPIT_STALE_AFTER_HOURS": "a day"}, ("COCKPIT_STALE_AFTER_HOURS", "expected float")),
        ({"COCKPIT_SECURE_COOKIES": "maybe"}, ("COCKPIT_SECURE_COOKIES", "expected bool")),
    ],
)
def test_a_bad_environment_variable_is_a_clear_error(env, words):
    with pytest.raises(SettingsError) as info:
        load_settings(config_file=Path("/nonexistent/cockpit.toml"), env=env)
    for word in words:
        assert word in str(info.value)


def test_the_command_line_stops_at_start_with_exit_code_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("COCKPIT_KEEP_SNAPSHOT", "3")  # a typo of COCKPIT_KEEP_SNAPSHOTS
    assert main(["--data-dir", str(tmp_path / "data"), "snapshots", "list"]) == 2
    err = capsys.readouterr().err
    assert "COCKPIT_KEEP_SNAPSHOT" in err and "未知的配置项" in err and "Unknown setting" in err
    assert not (tmp_path / "data").exists()
