"""Subcommands of ``cockpit`` that belong to no single module (demo, serve)."""

from __future__ import annotations


def register(sub) -> None:
    """Registered later as the pieces land (demo, serve)."""
