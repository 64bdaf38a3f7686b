"""The product as installed from its wheel: package data complete, commands work from any directory."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_installed_wheel_runs_demo_and_kpis_from_another_directory():
    # The dev venv lends its third-party packages only (scripts/check-wheel explains why that is safe).
    deps = sysconfig.get_paths()["purelib"]
    proc = subprocess.run(
        [str(REPO_ROOT / "scripts" / "check-wheel"), "--deps-from", deps, sys.executable],
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"{out}\n{proc.stderr}"
    assert "built deputy_cockpit-" in out
    # kpis read the catalog (Chinese names) and the published demo snapshot of the installed package.
    assert "指标" in out and "代表人数" in out
    assert "243" in out  # the demo's deputies (README), counted from the snapshot the demo published
    assert out.rstrip().endswith("wheel check passed")
