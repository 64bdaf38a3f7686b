"""Locating installed fonts (fontconfig) so the app can serve them from its own origin.

The wall must request nothing from elsewhere, and a wall PC may lack a font the server has: the server
serves the font file it finds here (``/wall/fonts/secondary``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

SECONDARY_FAMILY = "Noto Sans Mongolian"


@functools.lru_cache(maxsize=8)
def find_font(family: str) -> Path | None:
    """The file of an installed font of exactly this family (regular style first), or None.

    Asks ``fc-list`` rather than ``fc-match``: fc-match answers with a fallback font for any name.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        done = subprocess.run(
            [fc_list, "-f", "%{style[0]}\t%{file}\n", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = [line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line]
    found.sort(key=lambda pair: pair[0] != "Regular")
    return next((Path(path) for _, path in found if Path(path).is_file()), None)


def secondary_font(configured: Path | None) -> Path | None:
    """The second-script title's font file: the configured one if it exists, else Noto Sans Mongolian."""
    if configured is not None:
        return configured if configured.is_file() else None
    return find_font(SECONDARY_FAMILY)
