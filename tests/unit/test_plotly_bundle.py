"""The wall's cartesian plotly.js bundle: version header, verification, atomic install, the fetch script
refusing a bundle of another version (fake files and a faked npm: no network)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from dashboard import plotly_bundle as pb

REPO_ROOT = Path(__file__).resolve().parents[2]
BODY = b"\n(\n function(root, factory) {\n  root.moduleName = factory();\n} (self, () => {}));\n"


def bundle(header: str) -> bytes:
    """A fake bundle opening like the real ones (plotly.js's licence comment)."""
    return f"/**\n* {header}\n* Copyright 2012-2026, Plotly, Inc.\n* All rights reserved.\n*/".encode() + BODY


@pytest.mark.parametrize(
    ("header", "version"),
    [
        ("plotly.js v4.1.1", "4.1.1"),
        ("plotly.js (cartesian - minified) v4.1.1", "4.1.1"),
        ("plotly.js (basic - minified) v3.0.0-rc.2", "3.0.0-rc.2"),
        ("Copyright 2012-2026, Plotly, Inc.", None),
    ],
)
def test_header_version(header, version):
    assert pb.header_version(bundle(header)) == version


def test_only_the_header_is_read():
    # A version string deep inside the code (a dependency's banner) is not the bundle's version.
    assert pb.header_version(b"/**\n* no header\n*/" + b" " * 1000 + b"\n* plotly.js v9.9.9\n") is None


def test_the_installed_full_bundle_has_a_version():
    assert pb.full_version() == pb.file_version(pb.FULL_BUNDLE)
    assert pb.full_version().count(".") >= 2


def test_verify_refuses_another_version_and_a_missing_header():
    assert pb.verify(bundle("plotly.js (cartesian - minified) v4.1.1"), "4.1.1") == "4.1.1"
    with pytest.raises(pb.BundleError, match="v4.0.0.*v4.1.1"):
        pb.verify(bundle("plotly.js (cartesian - minified) v4.0.0"), "4.1.1")
    with pytest.raises(pb.BundleError, match="no plotly.js version"):
        pb.verify(b"<html>npm error page</html>", "4.1.1")


def test_install_writes_the_right_version_and_nothing_else(tmp_path):
    dest = tmp_path / "share" / "cockpit" / pb.FILE_NAME
    with pytest.raises(pb.BundleError):
        pb.install(bundle("plotly.js (cartesian - minified) v4.0.0"), "4.1.1", dest)
    assert not dest.exists()
    good = bundle("plotly.js (cartesian - minified) v4.1.1")
    assert pb.install(good, "4.1.1", dest) == dest
    assert dest.read_bytes() == good
    assert [p.name for p in dest.parent.iterdir()] == [pb.FILE_NAME]  # no temporary file left behind
    # A wrong version never replaces a good file.
    with pytest.raises(pb.BundleError):
        pb.install(bundle("plotly.js (cartesian - minified) v4.0.0"), "4.1.1", dest)
    assert dest.read_bytes() == good


@pytest.fixture
def fake_dest(tmp_path, monkeypatch) -> Path:
    dest = tmp_path / "venv" / "share" / "cockpit" / pb.FILE_NAME
    monkeypatch.setattr(pb, "PARTIAL_BUNDLE", dest)
    return dest


def test_partial_bundle_is_used_only_at_the_full_bundles_version(fake_dest):
    full = pb.full_version()
    assert pb.partial_bundle()[0] is None and "absent" in pb.partial_bundle()[1]
    pb.install(bundle("plotly.js (cartesian - minified) v0.0.1"), "0.0.1", fake_dest)
    found, note = pb.partial_bundle()
    assert found is None and "v0.0.1" in note and f"v{full}" in note
    pb.install(bundle(f"plotly.js (cartesian - minified) v{full}"), full, fake_dest)
    assert pb.partial_bundle()[0] == (fake_dest, full)


def load_fetch_script():
    path = REPO_ROOT / "scripts" / "fetch-plotly-cartesian"
    loader = importlib.machinery.SourceFileLoader("fetch_plotly_cartesian", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_the_fetch_script_refuses_a_version_mismatch(fake_dest, monkeypatch, capsys):
    script = load_fetch_script()
    asked = []

    def fake_fetch(version: str) -> bytes:
        asked.append(version)
        return bundle("plotly.js (cartesian - minified) v0.0.1")

    monkeypatch.setattr(script, "fetch", fake_fetch)
    assert script.main([]) == 0  # setup goes on: the wall falls back to the full bundle
    assert asked == [pb.full_version()]
    assert not fake_dest.exists()
    assert "WARNING" in capsys.readouterr().err
    assert script.main(["--strict"]) == 1
    assert not fake_dest.exists()


def test_the_fetch_script_installs_the_right_version_once(fake_dest, monkeypatch):
    script = load_fetch_script()
    full = pb.full_version()
    calls = []
    monkeypatch.setattr(
        script, "fetch", lambda v: calls.append(v) or bundle(f"plotly.js (cartesian - minified) v{v}")
    )
    assert script.main(["--strict"]) == 0
    assert pb.file_version(fake_dest) == full
    assert script.main(["--strict"]) == 0  # already there: npm is not asked again
    assert calls == [full]


def test_the_fetch_script_warns_without_npm(fake_dest, monkeypatch, capsys):
    script = load_fetch_script()
    monkeypatch.setattr(script.shutil, "which", lambda name: None)
    assert script.main([]) == 0
    assert "npm not found" in capsys.readouterr().err
    assert not fake_dest.exists()
