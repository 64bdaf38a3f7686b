"""The README documents every `cockpit` subcommand (a command nobody can find is a command nobody uses)."""

from pathlib import Path

from etl.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _subcommands():
    parser = build_parser()
    top = next(a for a in parser._actions if a.dest == "command")
    for name, sub in top.choices.items():
        nested = [a for a in sub._actions if getattr(a, "choices", None) and a.dest != "help"]
        children = [c for a in nested if isinstance(a.choices, dict) for c in a.choices]
        yield name, children


def test_every_subcommand_is_in_the_readme():
    missing = []
    for name, children in _subcommands():
        if f"cockpit {name}" not in README:
            missing.append(name)
        missing += [f"{name} {child}" for child in children if child not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_names_the_two_front_door_commands():
    assert "make demo" in README and "make test" in README
