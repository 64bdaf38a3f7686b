"""Live progress of a confirmed intake run: the recorder, the recorder as a real run's progress
callback, and the progress the run process leaves for the import page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.app import create_app
from etl import intake
from etl.intake_progress import Progress, ProgressRecorder, read_progress
from etl.run import run_etl
from tests.integration.test_intake import SUGGESTIONS, make_settings, stage
from tests.integration.test_intake_web import PASSWORD, client_for
from tests.support.security_helpers import create_user


class Collecting(ProgressRecorder):
    """A recorder that also keeps every report, to see what the run reported on its way."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.seen: list[tuple[str, int, int]] = []

    def __call__(self, *args, **kwargs) -> Progress:
        current = super().__call__(*args, **kwargs)
        self.seen.append((current.stage, current.files_done, current.rows))
        return current


def test_percent_follows_the_stages_and_the_files_loaded() -> None:
    assert Progress("waiting").percent == 0
    assert Progress("reading", files_total=4).percent == 5
    assert Progress("loading", files_done=0, files_total=4).percent == 10
    assert Progress("loading", files_done=2, files_total=4).percent == 50
    assert Progress("loading", files_done=9, files_total=4).percent == 90  # never past the files' span
    assert Progress("publishing", files_done=4, files_total=4).percent == 90
    assert Progress("finished").percent == 100


def test_recorder_merges_reports_into_one_file(tmp_path: Path) -> None:
    path = tmp_path / "uploads" / "x.progress.json"
    assert read_progress(path) is None
    report = ProgressRecorder(path)
    report("reading", files_total=3)
    report(files_done=2, rows=40)
    saved = read_progress(path)
    assert (saved.stage, saved.files_done, saved.files_total, saved.rows) == ("reading", 2, 3, 40)
    assert saved.updated_at
    path.write_text("{not json", encoding="utf-8")
    assert read_progress(path) is None


def test_recorder_is_the_runs_progress_callback_file_by_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    for n in range(3):
        (settings.inbox / f"05_建议_{n}.csv").write_text(SUGGESTIONS.replace("S0", f"S{n}"), encoding="utf-8")
    total = len(list(settings.inbox.iterdir()))
    report = Collecting(tmp_path / "progress.json")
    summary = run_etl(settings, trigger="intake", progress=report)
    stages = [stage for stage, _, _ in report.seen]
    assert stages[0] == "reading" and stages[-1] == "publishing"
    assert stages.index("loading") > stages.index("reading")
    loading = [files for stage, files, _ in report.seen if stage == "loading"]
    assert loading == sorted(loading) and loading[-1] == total  # files only ever go up, to all of them
    rows = [r for _, _, r in report.seen]
    assert rows == sorted(rows) and rows[-1] == summary.rows_read > 0
    saved = read_progress(tmp_path / "progress.json")
    assert (saved.stage, saved.files_done, saved.files_total, saved.percent) == (
        "publishing",
        total,
        total,
        90,
    )


def test_the_run_process_leaves_its_progress_for_the_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    intake.check_upload(settings, upload)
    assert intake.run_progress(settings, upload) is None  # nothing to show before the confirm
    intake.confirm_upload(settings, upload, start=False)
    finished = intake.run_upload(settings, upload.upload_id)
    assert finished.state == "succeeded"
    progress = intake.run_progress(settings, finished)
    inbox_total = len(list(settings.inbox.iterdir()))
    assert (progress.stage, progress.percent) == ("finished", 100)
    assert progress.files_done == progress.files_total == inbox_total
    assert progress.rows == upload.check["rows_read"] > 0  # the check read the same inbox
    raw = json.loads(intake.progress_path(settings, upload.upload_id).read_text(encoding="utf-8"))
    assert raw["stage"] == "finished"


@pytest.fixture
def web(tmp_path: Path) -> dict:
    settings = make_settings(tmp_path)
    create_user(settings.data_dir, "clerk1", "clerk", PASSWORD)
    app = create_app(settings)
    app.server.config["TESTING"] = True
    return {"app": app, "settings": settings}


def test_page_and_status_show_the_runs_progress(web) -> None:
    settings = web["settings"]
    upload = stage(settings, {"05_建议.csv": SUGGESTIONS})
    intake.check_upload(settings, upload)
    intake.confirm_upload(settings, upload, start=False)
    report = ProgressRecorder(intake.progress_path(settings, upload.upload_id))
    report("loading", files_done=1, files_total=4, rows=1234)
    client = client_for(web, "clerk1")
    status = client.get(f"/import/{upload.upload_id}/status").get_json()
    assert status["state"] == "queued"
    assert status["progress"]["percent"] == 30 and status["progress"]["stage"] == "loading"
    assert status["progress"]["detail"] == "文件 1/4 · 已读取 1,234 行"
    page = client.get(f"/import/{upload.upload_id}").get_data(as_text=True)
    assert 'aria-valuenow="30"' in page and "width: 30%" in page
    assert "正在入库 · 文件 1/4 · 已读取 1,234 行" in page
    english = client.get(f"/import/{upload.upload_id}/status?lang=en").get_json()
    assert english["progress"]["detail"] == "1 of 4 files · 1,234 rows read"
