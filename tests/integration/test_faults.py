"""Fault tests: what operations must survive, each automated end to end.

1. The ETL killed with SIGKILL in the middle of building a snapshot: the published snapshot is unchanged
   and readable; the next run succeeds and the warehouse equals a clean load (no duplicated records).
2. A corrupt file (truncated xlsx, binary garbage named .csv) among good ones: the good ones load, the
   bad ones are file-level rejects with a clear reason.
3. Publishing under load: client processes call a dashboard callback and ``/healthz`` continuously
   while 10 snapshots are published: no failed response, each response from one complete snapshot.
4. The server restarted while the wall is open in Chromium: covered by
   ``tests/browser/test_wall.py::test_wall_keeps_its_figures_while_the_server_is_down_and_recovers``
   (numbers kept, connection badge, recovery), not duplicated here.
5. Two schedulers started at once: one refuses, the job runs once; two ``cockpit etl run`` at once: one
   refuses, the data is loaded once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from etl import jobs
from tests.support.live import cockpit_env, free_port
from tests.support.security_helpers import create_kiosk_token, kiosk_cookie
from warehouse import query
from warehouse.publish import list_snapshots, published_version
from warehouse.run_status import read_status
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
SECOND_BATCH = "履职活动"  # activity exports: loaded by the run that gets killed
ENTITY_TABLES = ("townships", "homes", "deputies", "activities", "suggestions", "cases", "projects")
FACT_TABLES = (
    "dim_deputy",
    "dim_home",
    "fct_activity",
    "fct_suggestion",
    "fct_case",
    "fct_project",
    "fct_points",
)
PERIOD = query.Filters(start=date(2022, 1, 1), end=date(2024, 12, 31))


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """The demo's export files, generated once for this module."""
    from etl.demo.generator import generate

    out = tmp_path_factory.mktemp("exports")
    generate(out)
    return out


def copy_exports(exports: Path, inbox: Path, second_batch: bool | None) -> None:
    """Copy the exports (None: all; False: all but the activities; True: only the activities)."""
    inbox.mkdir(parents=True, exist_ok=True)
    for path in exports.iterdir():
        is_second = SECOND_BATCH in path.name
        if second_batch is None or second_batch == is_second:
            shutil.copy2(path, inbox / path.name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot_state(path: Path) -> dict:
    """KPIs and row counts of a snapshot file (opened read-only, closed)."""
    con = duckdb.connect()
    try:
        con.execute("attach ? as s (read_only)", [str(path)])
        con.execute("use s")
        counts = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in FACT_TABLES}
        return {"kpis": query.kpis(con, PERIOD), "counts": counts}
    finally:
        con.close()


def raw_counts(settings: Settings) -> dict:
    con = duckdb.connect(str(settings.raw_db), read_only=True)
    try:
        out = {}
        for table in ENTITY_TABLES:
            out[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            out[f"{table}_history"] = con.execute(f"select count(*) from {table}_history").fetchall()[0][0]
            key = con.execute(f"select * from {table} limit 0").description[0][0]
            out[f"{table}_distinct"] = con.execute(f"select count(distinct {key}) from {table}").fetchall()[
                0
            ][0]
        return out
    finally:
        con.close()


def run_statuses(settings: Settings) -> list[tuple[str, str]]:
    con = duckdb.connect(str(settings.raw_db), read_only=True)
    try:
        return con.execute("select trigger, status from etl_runs order by started_at").fetchall()
    finally:
        con.close()


# ---- 1. SIGKILL mid-build ----------------------------------------------------------------------

KILLABLE_RUN = """
import sys, time
from pathlib import Path
import warehouse.incremental as incremental
import warehouse.publish as publish

marker = Path(sys.argv[2])
original = publish._run_model
original_refresh = incremental._refresh_partitions

def stop_after(name):
    if name == "fct_case":  # half the marts are written into the new file: stop here
        marker.write_text("building")
        time.sleep(600)

def slow_run_model(con, layer, name):
    original(con, layer, name)
    stop_after(name)

def slow_refresh(con, name, *args):  # the incremental build (warehouse.incremental) patches partitions
    original_refresh(con, name, *args)
    stop_after(name)

publish._run_model = slow_run_model
incremental._refresh_partitions = slow_refresh
from cockpit.cli import main
sys.exit(main(["etl", "run", "--data-dir", sys.argv[1]]))
"""


def test_sigkill_during_build_leaves_the_published_snapshot_and_the_next_run_recovers(exports, tmp_path):
    reference = Settings(data_dir=tmp_path / "reference")
    copy_exports(exports, reference.inbox, None)
    jobs.run_incremental(reference, trigger="cli")
    expected_snapshot, expected_raw = snapshot_state(reference.published_db), raw_counts(reference)

    settings = Settings(data_dir=tmp_path / "data")
    copy_exports(exports, settings.inbox, False)
    first = jobs.run_incremental(settings, trigger="cli")
    published_before = sha256(settings.published_db)
    state_before = snapshot_state(settings.published_db)
    assert state_before["counts"]["fct_activity"] == 0

    copy_exports(exports, settings.inbox, True)
    marker = tmp_path / "building"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_RUN, str(settings.data_dir), str(marker)],
        cwd=REPO_ROOT,
        env=cockpit_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the run never reached the build"
        time.sleep(0.05)
    assert list(settings.snapshots_dir.glob("*.duckdb.tmp"))  # the new file is being written
    proc.kill()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stderr.close()

    # The published snapshot is the one from before, byte for byte, and readable.
    assert sha256(settings.published_db) == published_before
    assert published_version(settings) == first.snapshot_version
    assert snapshot_state(settings.published_db) == state_before
    assert read_status(settings).run_id == first.run_id  # the killed run wrote no status

    # The next run succeeds (the activity files it finds already loaded get published) and the
    # warehouse equals a clean load of the same files: nothing duplicated, nothing missing.
    recovered = jobs.run_incremental(settings, trigger="cli")
    assert recovered.status == "succeeded"
    assert recovered.snapshot_version and recovered.snapshot_version != first.snapshot_version
    assert published_version(settings) == recovered.snapshot_version
    assert snapshot_state(settings.published_db) == expected_snapshot
    assert raw_counts(settings) == expected_raw
    assert not list(settings.snapshots_dir.glob("*.tmp*"))
    statuses = run_statuses(settings)
    assert [s for _, s in statuses] == ["succeeded", "failed", "succeeded"]  # the killed run is closed


# ---- 2. corrupt files among good ones ----------------------------------------------------------


def test_corrupt_files_are_file_level_rejects_and_the_good_ones_load(exports, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    copy_exports(exports, settings.inbox, False)
    good = sorted(p.name for p in settings.inbox.iterdir())
    xlsx = next(p for p in exports.iterdir() if p.suffix == ".xlsx")
    data = xlsx.read_bytes()
    (settings.inbox / "代表名册_截断.xlsx").write_bytes(data[: len(data) // 2])
    (settings.inbox / "意见建议_损坏.csv").write_bytes(os.urandom(64 * 1024))

    status = jobs.run_incremental(settings, trigger="cli")
    assert status.status == "succeeded"
    files = {f.file_name: f for f in status.result.files}
    assert all(files[name].status == "loaded" for name in good)
    for bad in ("代表名册_截断.xlsx", "意见建议_损坏.csv"):
        assert files[bad].status == "rejected"
        assert files[bad].reason_code == "unreadable"
        assert files[bad].message_zh and files[bad].message_en
    assert status.counts["files_loaded"] == len(good)
    assert status.counts["files_rejected"] == 2

    from warehouse import ops_query

    with ops_query.ops_connection(settings) as con:
        rejects = [r for r in ops_query.rejects(con, status.run_id) if r["source_row"] is None]
    assert sorted(r["file_name"] for r in rejects) == ["代表名册_截断.xlsx", "意见建议_损坏.csv"]
    assert snapshot_state(settings.published_db)["counts"]["dim_deputy"] > 0


# ---- 3. publishing under load ------------------------------------------------------------------

CLIENT = """
import json, os, sys, time
import requests

base, cookie, payload_file, refs_file, stop_file, out_file = sys.argv[1:7]
payload = json.loads(open(payload_file).read())
refs = json.loads(open(refs_file).read())
http = requests.Session()
http.cookies.set("cockpit_session", cookie)
seen = {"A": 0, "B": 0, "mixed": [], "failed": [], "healthz": 0}
give_up = time.monotonic() + 300
while not os.path.exists(stop_file) and time.monotonic() < give_up:
    try:
        r = http.post(base + "/_dash-update-component", json=payload, timeout=30,
                      headers={"Origin": base})
        if r.status_code != 200:
            seen["failed"].append(r.status_code)
        else:
            body = r.json()["response"]
            match = [name for name, ref in refs.items() if ref == body]
            if match:
                seen[match[0]] += 1
            else:
                seen["mixed"].append(json.dumps(body)[:300])
        h = http.get(base + "/healthz", timeout=30)
        if h.status_code != 200:
            seen["failed"].append(("healthz", h.status_code))
        else:
            seen["healthz"] += 1
    except Exception as exc:
        seen["failed"].append(repr(exc)[:200])
open(out_file, "w").write(json.dumps(seen))
"""


def kpi_payload() -> dict:
    """What the wall's browser posts when the snapshot version changes: the KPI panel callback."""
    from dashboard.components.wall_layout import Ids
    from dashboard.wall_data import PANEL_CALLBACKS, output_prop

    outputs = [(o, output_prop(o)) for o in PANEL_CALLBACKS["kpis"]]
    return {
        "output": ".." + "...".join(f"{o}.{prop}" for o, prop in outputs) + "..",
        "outputs": [{"id": o, "property": prop} for o, prop in outputs],
        "inputs": [{"id": Ids.VERSION, "property": "data", "value": "load-test"}],
        "state": [
            {
                "id": Ids.PARAMS,
                "property": "data",
                "value": {"start": "2023-01-01", "end": "2023-12-31", "lang": "zh-CN"},
            }
        ],
        "changedPropIds": [f"{Ids.VERSION}.data"],
    }


def test_publishing_under_load_serves_only_whole_snapshots(exports, tmp_path):
    import requests

    # Two raw stores whose snapshots differ in every activity figure: A without, B with the activities.
    raw_a = Settings(data_dir=tmp_path / "a")
    copy_exports(exports, raw_a.inbox, False)
    jobs.run_incremental(raw_a, trigger="cli")
    raw_b = Settings(data_dir=tmp_path / "b")
    copy_exports(exports, raw_b.inbox, None)
    jobs.run_incremental(raw_b, trigger="cli")

    from warehouse.publish import publish_snapshot

    settings = Settings(data_dir=tmp_path / "served")
    settings.data_dir.mkdir()
    publish_snapshot(raw_a.raw_db, settings, "A0")
    token = create_kiosk_token(settings.data_dir, "load-test-wall")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "cockpit", "serve", "--workers", "2", "--port", str(port)]
        + ["--host", "127.0.0.1", "--data-dir", str(settings.data_dir)],
        cwd=tmp_path,
        env=cockpit_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    clients: list[subprocess.Popen] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.25)
        cookie = kiosk_cookie(base, token)
        payload = kpi_payload()
        http = requests.Session()
        http.cookies.set("cockpit_session", cookie)

        def reference() -> dict:
            # Both workers must have moved to the new file: ask until two answers in a row agree.
            answers = []
            for _ in range(6):
                r = http.post(
                    base + "/_dash-update-component", json=payload, headers={"Origin": base}, timeout=30
                )
                assert r.status_code == 200, r.text[:500]
                answers.append(r.json()["response"])
            assert all(a == answers[-1] for a in answers[-3:])
            return answers[-1]

        refs = {"A": reference()}
        publish_snapshot(raw_b.raw_db, settings, "B0")
        refs["B"] = reference()
        assert refs["A"] != refs["B"]
        (tmp_path / "payload.json").write_text(json.dumps(payload))
        (tmp_path / "refs.json").write_text(json.dumps(refs))

        stop_file = tmp_path / "stop"
        for i in range(3):
            clients.append(
                subprocess.Popen(
                    [sys.executable, "-c", CLIENT, base, cookie, str(tmp_path / "payload.json")]
                    + [str(tmp_path / "refs.json"), str(stop_file), str(tmp_path / f"client{i}.json")],
                    cwd=REPO_ROOT,
                )
            )
        time.sleep(1)
        versions = []
        for i in range(10):
            source = raw_a if i % 2 == 0 else raw_b
            versions.append(publish_snapshot(source.raw_db, settings, f"{'AB'[i % 2]}{i + 1}"))
            time.sleep(0.8)
        time.sleep(1)
        stop_file.write_text("stop")  # the clients ran from before the first publish to after the last
        for client in clients:
            assert client.wait(timeout=120) == 0
        results = [json.loads((tmp_path / f"client{i}.json").read_text()) for i in range(3)]
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
                client.wait()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()

    assert len(set(versions)) == 10
    total = {k: sum(r[k] for r in results) for k in ("A", "B", "healthz")}
    failed = [f for r in results for f in r["failed"]]
    mixed = [m for r in results for m in r["mixed"]]
    print(f"\nunder load: {total} callback answers A/B, {total['healthz']} healthz, {len(failed)} failed")
    assert failed == []
    assert mixed == []
    assert total["A"] > 0 and total["B"] > 0  # both versions were served while publishing
    assert len(list_snapshots(settings)) == settings.keep_snapshots


# ---- 5. two schedulers, two runs ---------------------------------------------------------------


def test_two_schedulers_started_at_once_run_each_job_once(exports, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    copy_exports(exports, settings.inbox, False)
    cmd = [sys.executable, "-m", "cockpit", "scheduler", "--run-now", "--data-dir", str(settings.data_dir)]
    env = cockpit_env({"COCKPIT_ETL_CRON": "0 0 1 1 *"})
    procs = [
        subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while read_status(settings) is None or sum(p.poll() is not None for p in procs) < 1:
            assert time.monotonic() < deadline, "no scheduler ran the job"
            time.sleep(0.1)
        refused = [p for p in procs if p.poll() is not None]
        running = [p for p in procs if p.poll() is None]
        assert len(refused) == 1 and len(running) == 1
        assert refused[0].returncode == 2
        assert "另一个调度器正在运行 / another scheduler is running" in refused[0].stderr.read()
        time.sleep(2)  # a second run would have started by now
        running[0].send_signal(signal.SIGTERM)
        assert running[0].wait(timeout=60) == 0
        log = running[0].stderr.read()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
    assert run_statuses(settings) == [("scheduler", "succeeded")]
    assert log.count("run succeeded trigger=scheduler") == 1
    assert read_status(settings).status == "succeeded"


def test_two_etl_runs_at_once_load_the_data_once(exports, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    copy_exports(exports, settings.inbox, False)
    cmd = [sys.executable, "-m", "cockpit", "etl", "run", "--data-dir", str(settings.data_dir)]
    procs = [
        subprocess.Popen(
            cmd, cwd=tmp_path, env=cockpit_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        outcomes.append((p.returncode, err))
    codes = sorted(code for code, _ in outcomes)
    refused = [err for code, err in outcomes if code == 2]
    if codes == [0, 2]:
        assert "另一个数据加载正在运行" in refused[0] and "another ETL run is in progress" in refused[0]
        assert [s for _, s in run_statuses(settings)] == ["succeeded"]
    else:
        # The second started after the first had finished: it found every file already loaded.
        assert codes == [0, 0]
        assert [s for _, s in run_statuses(settings)] == ["succeeded", "succeeded"]
    counts = raw_counts(settings)
    assert all(counts[t] == counts[f"{t}_distinct"] for t in ENTITY_TABLES)
    assert counts["deputies_history"] == counts["deputies"]  # every record loaded once
