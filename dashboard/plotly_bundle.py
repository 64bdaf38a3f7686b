"""plotly.js for the wall: the official *cartesian* partial bundle when it is installed, else the full one.

The wall draws only cartesian ``scatter`` and ``bar`` traces; the full plotly.js (4.8 MB, 1.4 MB
compressed) is most of its first render (download, parse, compile). ``scripts/fetch-plotly-cartesian``
puts the npm package ``plotly.js-cartesian-dist-min`` at exactly the full bundle's version into
``<venv>/share/cockpit/`` at setup time (third-party code: never in the repository). When it is there
and its version matches, the wall page loads it before Dash's scripts, so ``window.Plotly`` exists when a
graph mounts and dcc.Graph never fetches the full bundle. When it is absent or stale, the wall loads the
full bundle as every other page does.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import plotly

NPM_PACKAGE = "plotly.js-cartesian-dist-min"
FILE_NAME = "plotly-cartesian.min.js"
# Inside the npm tarball.
PACKAGE_MEMBER = f"package/{FILE_NAME}"
# The venv's data directory: installed by the setup, outside the checkout, gone with the venv.
PARTIAL_BUNDLE = Path(sys.prefix) / "share" / "cockpit" / FILE_NAME
FULL_BUNDLE = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
# Both bundles open with a comment such as "* plotly.js (cartesian - minified) v4.1.1" or
# "* plotly.js v4.1.1"; only the first few lines are read.
HEADER_VERSION = re.compile(r"^\s*\*\s*plotly\.js\b[^\n]*?\bv(\d+\.\d+\.\d+(?:-[\w.]+)?)\s*$", re.MULTILINE)
HEADER_BYTES = 512


class BundleError(ValueError):
    """A bundle that must not be used (no version header, or not the full bundle's version)."""


def header_version(data: bytes) -> str | None:
    """The plotly.js version in the licence header at the start of a bundle, or None."""
    match = HEADER_VERSION.search(data[:HEADER_BYTES].decode("utf-8", "replace"))
    return match.group(1) if match else None


def file_version(path: Path) -> str | None:
    """:func:`header_version` of a file, or None when the file cannot be read."""
    try:
        with path.open("rb") as handle:
            return header_version(handle.read(HEADER_BYTES))
    except OSError:
        return None


def full_version() -> str:
    """The version of the full plotly.js the installed ``plotly`` package ships (and Dash serves)."""
    version = file_version(FULL_BUNDLE)
    if version is None:
        raise BundleError(f"no plotly.js version in the header of {FULL_BUNDLE}")
    return version


def verify(data: bytes, expected: str) -> str:
    """Return the bundle's version if it is ``expected``; raise :class:`BundleError` otherwise.

    A partial bundle of another version would draw the wall with a plotly.js other than the one the
    rest of the product (and its tests) use.
    """
    found = header_version(data)
    if found is None:
        raise BundleError("no plotly.js version header")
    if found != expected:
        raise BundleError(f"version mismatch: bundle v{found}, full plotly.js v{expected}")
    return found


def install(data: bytes, expected: str, dest: Path = PARTIAL_BUNDLE) -> Path:
    """Verify ``data`` against ``expected`` and write it to ``dest`` atomically (never half a file)."""
    verify(data, expected)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def partial_bundle() -> tuple[tuple[Path, str] | None, str]:
    """``((path, version), note)`` of the installed cartesian bundle if the wall may use it, else
    ``(None, note)``; ``note`` says which bundle the wall loads and why, for the start-up log.

    Read when the app is built (``PARTIAL_BUNDLE`` at call time, so tests can point it elsewhere).
    """
    path = PARTIAL_BUNDLE
    full = file_version(FULL_BUNDLE)
    if not path.is_file():
        return None, f"full plotly.js v{full} ({path} absent: run scripts/fetch-plotly-cartesian)"
    version = file_version(path)
    if version is None or version != full:
        return None, (
            f"full plotly.js v{full} ({path} is v{version}, not the full bundle's version: "
            "run scripts/fetch-plotly-cartesian)"
        )
    return (path, version), f"cartesian plotly.js v{version} ({path})"
