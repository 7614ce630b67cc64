"""``posecoach posture``: the posture check on a landmark recording (no model needed) prints and
writes the timeline of posture states with the reminder; a bad settings file is one line, exit 2.
On a real video (where the team's footage and the model are here) it runs end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from posecoach.cli.main import main
from posecoach.io.recording import write_recording
from posecoach.paths import models_dir, posture_file
from posecoach.testing import synth as S
from posecoach.testing.scenarios.posture import laptop_session, seated


def recording(tmp_path: Path, mirror: bool = False) -> Path:
    sc = laptop_session([(20.0, seated()), (100.0, seated(head_deg=25.0)), (30.0, seated())], fps=5.0,
                        noise_px=1.0, seed=7)
    poses = S.mirror(sc.poses) if mirror else sc.poses
    path = tmp_path / f"desk{'_mirrored' if mirror else ''}_landmarks.jsonl"
    write_recording(path, [(t, p, False) for t, p in poses])
    return path


def test_the_timeline_is_printed_and_written_as_json(tmp_path, capsys):
    out = tmp_path / "timeline.json"
    assert main(["posture", "--source", str(recording(tmp_path)), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("REMINDER:") == 1
    rows = json.loads(out.read_text())["timeline"]
    states = [r["state"] for r in rows]
    assert states[0] == "calibrating" and "poor" in states and states[-1] == "good", rows
    poor = next(r for r in rows if r["state"] == "poor")
    assert 20.0 <= poor["start_s"] <= 22.0 and 118.0 <= poor["end_s"] <= 122.0, poor
    assert len(poor["reminders_at_s"]) == 1 and poor["head_forward"] >= 0.15 and poor["lean_deg"] is None
    assert "1 reminder(s)" in text


def test_the_mirrored_recording_gives_the_same_timeline_as_csv(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["posture", "--source", str(recording(tmp_path)), "-o", str(a)]) == 0
    assert main(["posture", "--source", str(recording(tmp_path, mirror=True)), "-o", str(b)]) == 0
    ra, rb = (list(csv.DictReader(p.open())) for p in (a, b))
    assert [(r["start_s"], r["end_s"], r["state"], r["reminders_at_s"]) for r in ra] == [
        (r["start_s"], r["end_s"], r["state"], r["reminders_at_s"]) for r in rb]


def test_a_bad_settings_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "mine.yaml"
    bad.write_text(posture_file().read_text().replace("reminder_gap_min: 15", "reminder_gap_min: -1"))
    rc = main(["posture", "--source", str(recording(tmp_path)), "--settings", str(bad)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert str(bad) in err and "reminder_gap_min" in err and "greater than or equal to 0" in err, err


def test_a_bad_fps_is_refused(capsys):
    assert main(["posture", "--fps", "0"]) == 2
    assert "--fps" in capsys.readouterr().err


FOOTAGE = Path("/work/shared/footage/squat_overlay__postop.mp4")


@pytest.mark.slow
def test_a_real_video_runs_end_to_end(tmp_path, capsys):
    if not FOOTAGE.exists() or not any(models_dir().glob("*.task")):
        pytest.skip("the team's footage or the pose model is not here")
    out = tmp_path / "t.json"
    assert main(["posture", "--source", str(FOOTAGE), "-o", str(out)]) == 0
    rows = json.loads(out.read_text())["timeline"]
    assert rows[0]["state"] == "calibrating" and {r["state"] for r in rows} & {"good", "fair", "poor"}
