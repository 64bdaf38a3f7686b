"""etl/transcode.py: the transcoder the parallel reader runs as a stdlib-only child script."""

from __future__ import annotations

import subprocess
import sys

from etl import readers, transcode


def test_script_decodes_a_range_in_an_isolated_interpreter(tmp_path):
    text = "乡镇,代表\n石拐镇,张三\n"
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode("gb18030"))
    cut = text.encode("gb18030").index(b"\n") + 1
    dst = tmp_path / "out.csv"
    cmd = [sys.executable, "-I", "-S", readers._TRANSCODE_SCRIPT, str(src), "gb18030", str(dst), str(cut)]
    done = subprocess.run([*cmd, str(src.stat().st_size)], cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert dst.read_text(encoding="utf-8") == "石拐镇,张三\n"


def test_main_reports_invalid_text_by_exit_status(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_bytes("好".encode("gb18030") + b"\x81\x20")  # a lead byte with no valid trail
    args = [str(src), "gb18030", str(tmp_path / "out.csv"), "0", str(src.stat().st_size)]
    assert transcode.main(args) == 1
    assert transcode.main([*args[:3], "0", "2"]) == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "好"
