"""Helpers for the wall's unit tests: walk a built Dash component tree without a browser."""

from __future__ import annotations

from collections.abc import Iterator


def walk(node) -> Iterator:
    """Every component in ``node`` (a component, a list of them, or a string), depth first."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child)
        return
    if node is None or isinstance(node, str | int | float):
        return
    yield node
    yield from walk(getattr(node, "children", None))


def text(node) -> str:
    """All text under ``node``, concatenated."""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return "".join(text(child) for child in node)
    if node is None:
        return ""
    return text(getattr(node, "children", None))


def by_class(node, class_name: str) -> list:
    return [c for c in walk(node) if class_name in (getattr(c, "className", None) or "").split()]


def by_id(node, component_id: str):
    matches = [c for c in walk(node) if getattr(c, "id", None) == component_id]
    assert len(matches) == 1, f"{component_id}: {len(matches)} matches"
    return matches[0]


def attr(component, name: str):
    """A ``data-*`` attribute of a Dash html component."""
    return component.to_plotly_json()["props"].get(name)
