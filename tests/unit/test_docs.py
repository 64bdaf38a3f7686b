"""The README documents every `cockpit` command (a command nobody can find is a command nobody uses)."""

from pathlib import Path

import click

from cockpit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGES = ("cockpit", "dashboard", "etl", "warehouse")
TABLE_ROWS = [line for line in README.splitlines() if line.startswith("| `cockpit ")]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    """Every command path of the click tree, groups and leaves, e.g. ("kiosk", "token", "create")."""
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def _documented(path: tuple[str, ...]) -> bool:
    """In the commands table: a row starting with `cockpit PATH`, or a row of the group naming `LEAF`."""
    full = " ".join(path)
    if any(row.startswith((f"| `cockpit {full} ", f"| `cockpit {full}`")) for row in TABLE_ROWS):
        return True
    group = " ".join(path[:-1])
    return any(row.startswith(f"| `cockpit {group} ") and f"`{path[-1]}" in row for row in TABLE_ROWS)


def test_the_command_tree_is_walked():
    paths = set(_commands(cli))
    assert {("etl", "run"), ("snapshots", "rollback"), ("kiosk", "token", "revoke")} <= paths


def test_every_command_is_in_the_readme_table():
    missing = [" ".join(path) for path in _commands(cli) if not _documented(path)]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_names_the_two_front_door_commands():
    assert "make demo" in README and "make test" in README


def test_architecture_overview_matches_the_tree():
    """docs/ARCHITECTURE.md has a section per package naming each of its modules; README's layout too."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    sections = {part.split("/", 1)[0]: part for part in text.split("\n## ")[1:]}
    assert sorted(sections) == sorted(PACKAGES)
    missing = [
        f"{package}/{module.name}"
        for package in PACKAGES
        for module in (ROOT / package).glob("*.py")
        if module.stem not in ("__init__", "__main__") and f"`{module.name}`" not in sections[package]
    ]
    assert not missing, f"modules the overview does not describe: {missing}"
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    assert all(f"\n{package}/" in layout for package in PACKAGES)
