"""Fitting labels into the room they have, for text drawn inside figures (plotly cannot measure text).

HTML text on the wall is fitted in the browser (``assets/wall.js``: shrink, then ellipsis with the full
text in a ``title``); a figure's labels are placed by the server, so they are fitted here from an estimate
of their width. The estimate errs wide: a CJK character is one em, Latin letters and digits a little over
half an em (Noto Sans at the wall's weights), so a label that "fits" here fits on screen.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"


def char_width(char: str) -> float:
    """Width of one character in em: 1 for wide (CJK, fullwidth) characters, 0.62 for the rest."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.62


def text_width(text: str, size: float) -> float:
    """Estimated width in px of one line of ``text`` at font size ``size`` px."""
    return sum(char_width(c) for c in text) * size


def elide(text: str, max_width: float, size: float) -> str:
    """``text`` cut to fit ``max_width`` px at ``size`` px, ending in "…" when cut ("" if even "…" cannot)."""
    if text_width(text, size) <= max_width:
        return text
    room = max_width - text_width(ELLIPSIS, size)
    kept = ""
    for char in text:
        if text_width(kept + char, size) > room:
            break
        kept += char
    return kept.rstrip() + ELLIPSIS if kept else ""


def fit_label(text: str, max_width: float, size: float, min_size: float) -> tuple[str, float]:
    """``(text, size)`` for a label of one or more lines (``\\n``) in ``max_width`` px.

    Shrinks the font from ``size`` down to ``min_size`` first (a smaller whole name reads better than a
    cut one), then cuts the lines that still do not fit.
    """
    lines = text.split("\n")
    widest = max((text_width(line, 1.0) for line in lines), default=0.0)
    fitted = size if widest * size <= max_width else max(min_size, max_width / widest if widest else size)
    fitted = float(int(fitted))
    return "\n".join(elide(line, max_width, fitted) for line in lines), fitted
