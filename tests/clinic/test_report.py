"""The progress report: HTML with embedded plots, print CSS, CSV export."""

from __future__ import annotations

import base64
import csv
import re
from datetime import date, timedelta

import pytest

from posecoach.clinic.report import progress_figure_png, render_report, session_rows, weekly_rows


def _rows(n: int = 12) -> list[dict]:
    rows = []
    for i in range(n):
        d = date(2026, 10, 1) + timedelta(days=2 * i + i // 3)
        rows.append({
            "session_id": i + 1, "date": f"{d.isoformat()}T10:00:00+01:00", "exercise_id": "glute_bridge",
            "reps_done": 8 + i // 3, "reps_prescribed": 10, "sets": 2, "peak_median": 150.0 + i,
            "target_peak": 160.0, "similarity_median": (60.0 + 2 * i) if i > 2 else None,
            "faults": {"hips_sag": max(0, 3 - i // 3)}, "pain_before": 5 - i // 4, "pain_after": 5 - i // 3,
            "stopped": "completed",
        })
    rows.append({
        "session_id": 99, "date": "2026-10-02", "exercise_id": "squat", "reps_done": 6, "reps_prescribed": 10,
        "sets": 1, "peak_median": None, "target_peak": None, "similarity_median": None, "faults": {},
        "pain_before": None, "pain_after": None, "stopped": "pain",
    })
    return rows


def test_report_html_is_self_contained_with_plots(tmp_path):
    path = render_report({"name": "Ann <O'Neil>", "notes": "L4-5 disc"}, _rows(), tmp_path / "out")
    assert path == tmp_path / "out" / "report.html"
    page = path.read_text(encoding="utf-8")
    assert "Ann &lt;O&#x27;Neil&gt;" in page and "<O'Neil>" not in page  # escaped
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # glute bridge: reps, rom, similarity, faults, pain; squat: no similarity -> 4
    assert len(imgs) == 9
    for b in imgs:
        assert base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n"
    for key in ("reps", "rom", "similarity", "faults", "pain"):
        assert f'data-plot="{key}"' in page
    assert "@media print" in page and "page-break" in page
    assert "No data was sent" in page  # privacy note
    assert "http://" not in page and "https://" not in page  # nothing fetched from the network
    assert "<h2>Summary</h2>" in page and "Glute bridge" in page.replace("glute bridge", "Glute bridge")
    assert "33 / 40" not in page  # sanity: summary sums all sessions
    assert "114 / 120" in page  # 8*3 + 9*3 + 10*3 + 11*3 = 114 done of 12*10


def test_csv_exports(tmp_path):
    render_report({"name": "P"}, _rows(), tmp_path)
    with open(tmp_path / "sessions.csv", newline="") as f:
        sessions = list(csv.DictReader(f))
    assert len(sessions) == 13
    assert sessions[0]["session_id"] == "1" and sessions[0]["faults"] == "hips_sag=3"
    assert sessions[0]["date"] == "2026-10-01"
    with open(tmp_path / "progress.csv", newline="") as f:
        weeks = list(csv.DictReader(f))
    gb = [w for w in weeks if w["exercise_id"] == "glute_bridge"]
    assert [w["week"] for w in gb] == ["1", "2", "3", "4"]
    assert gb[0]["reps_done"] == "24" and gb[0]["done_pct"] == "80"
    assert gb[-1]["pain_after_mean"] == "2.0"
    assert [w for w in weeks if w["exercise_id"] == "squat"][0]["reps_done"] == "6"


def test_weekly_and_session_rows_are_ordered():
    rows = list(reversed(_rows()))
    s = session_rows(rows)
    assert [r["date"] for r in s] == sorted(r["date"] for r in s)
    w = weekly_rows(rows)
    assert w[0]["exercise_id"] == "glute_bridge" and w[0]["week"] == 1


def test_empty_report(tmp_path):
    page = render_report({"name": "New"}, [], tmp_path).read_text()
    assert "No finished sessions yet" in page
    assert (tmp_path / "sessions.csv").read_text().startswith("session_id,")
    assert weekly_rows([]) == []


def test_programme_and_targets_sections(tmp_path):
    programme = {"items": [{"exercise_id": "glute_bridge", "sets": 2, "reps": 10, "hold_s": 2}],
                 "days_per_week": 5, "rule": {"add_reps": 1, "every_n_sessions": 3, "max_reps": 15}}
    targets = {"glute_bridge": {"rest": 120, "peak": 160, "hold_s": 2.0, "tempo_s": 3.1, "rom_share": 0.8}}
    page = render_report({"name": "P"}, _rows(3), tmp_path, programme=programme, targets=targets).read_text()
    assert "Current programme" in page and "every 3" in page
    assert "Targets" in page and "80%" in page


@pytest.mark.parametrize("ex", [None, "glute_bridge", "nothing"])
def test_progress_figure_png(ex):
    png = progress_figure_png(_rows(), ex)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_sample_patient_through_clinic_and_cli(tmp_path, capsys):
    """A few simulated days through Session and Clinic, then `posecoach report NAME --out DIR`."""
    import importlib.util
    import os
    from pathlib import Path

    from posecoach.cli.main import main
    from posecoach.paths import home_dir

    spec = importlib.util.spec_from_file_location(
        "make_sample_report", Path(__file__).resolve().parents[2] / "bench" / "make_sample_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert os.environ.get("POSECOACH_HOME")  # the autouse fixture: nothing touches the user's data
    db = home_dir() / "posecoach.db"
    mod.build(db, tmp_path / "direct", days=3)  # Mon-Wed: up to 3 days, 2 exercises each
    assert (tmp_path / "direct" / "report.html").exists()

    out = tmp_path / "cli"
    assert main(["report", mod.PATIENT, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 8  # 2 exercises x (reps, rom, similarity, faults, pain)
    with open(out / "sessions.csv", newline="") as f:
        sessions = list(csv.DictReader(f))
    assert {s["exercise_id"] for s in sessions} == {"glute_bridge", "squat"}
    assert all(int(s["reps_done"]) > 0 for s in sessions)
    assert all(s["similarity_median"] for s in sessions)
    assert (out / "progress.csv").exists()

    assert main(["report", mod.PATIENT, "--out", str(tmp_path / "sq"), "--exercise", "squat"]) == 0
    with open(tmp_path / "sq" / "sessions.csv", newline="") as f:
        assert {s["exercise_id"] for s in csv.DictReader(f)} == {"squat"}
    assert main(["report", "Nobody", "--out", str(tmp_path / "x")]) == 2
    assert "Nobody" in capsys.readouterr().err


def test_report_shows_todays_progressed_reps(tmp_path, capsys):
    from datetime import datetime, timezone

    from posecoach.cli.main import main
    from posecoach.clinic.patients import Clinic

    with Clinic() as clinic:
        pid = clinic.add_patient("Prog Example")
        clinic.set_programme(pid, [{"exercise_id": "glute_bridge", "sets": 1, "reps": 8, "hold_s": 3}],
                             rule={"add_reps": 2, "every_n_sessions": 1, "max_reps": 15, "hold_back_if_pain_rises": True},
                             created_at=datetime(2000, 1, 1, tzinfo=timezone.utc))
        sid = clinic.start_session(pid, "glute_bridge", source="test", pain_before=4, planned_sets=1, planned_reps=8,
                                   started_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
        for i in range(8):  # the reps are counted (a session with none is no step forward)
            clinic.history.add_rep(sid, {"index": i + 1, "peak_angle": 170.0}, set_index=1)
        clinic.history.finish_session(sid, summary={"reps": 8}, pain_after=3, stopped="completed")
        today = clinic.todays_plan(pid)[0].reps
    assert today == 10  # one session without more pain: +2
    assert main(["report", "Prog Example", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "reps today" in page
    assert "<td>8</td><td>10</td>" in page.replace(" ", "").replace("\n", "")
