"""The screenshot script (``posecoach.app.screenshots``): every screen at 1366x768, and the same
flow on a real clip with the pose model (skipped without the shared footage or the model).

Each run is a separate process (the script makes its own QApplication), offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from posecoach.app.screenshots import REAL_SCREENS, SCREENS

pytestmark = pytest.mark.gui

SRC = Path(__file__).resolve().parents[2] / "src"
FOOTAGE = Path(__file__).resolve().parents[2].parent / "shared" / "footage"


def shoot(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(SRC))
    return subprocess.run([sys.executable, "-m", "posecoach.app.screenshots", *args], env=env, text=True,
                          capture_output=True, timeout=timeout)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_the_list_names_every_screen_once():
    names = [n for n, _ in SCREENS]
    assert len(names) == len(set(names))
    assert {"recovery", "setup", "setup_settings", "coaching", "it_hurts", "summary", "setup_patient",
            "therapist_targets", "therapist_recording", "therapist_programme", "therapist_progress"} <= set(names)
    assert set(REAL_SCREENS) <= set(names)


@pytest.mark.slow
def test_the_patients_screens_are_shot_at_1366x768(tmp_path):
    """Up to the summary (the therapist's screens need the two-week sample patient: a minute more)."""
    names = ["recovery", "setup", "setup_settings", "coaching", "it_hurts", "summary"]
    res = shoot(str(tmp_path), "--only", ",".join(names))
    assert res.returncode == 0, res.stderr[-2000:]
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(names)
    for name in names:
        assert png_size(tmp_path / f"{name}.png") == (1366, 768), name


@pytest.mark.parametrize("args, says", [
    (["--source", "clip.mp4"], "add -e EXERCISE"),
    (["--source", "no_such_clip.mp4", "-e", "squat"], "is not a file"),
])
def test_a_real_clip_needs_a_file_and_its_exercise(tmp_path, args, says):
    res = shoot(*args, "--out", str(tmp_path / "shots"), timeout=60)
    assert res.returncode == 2 and says in res.stderr and not (tmp_path / "shots").exists()


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.footage
def test_the_flow_on_a_real_squat_clip(tmp_path, model_dir):
    """Set-up -> coaching -> summary -> therapist on a real clip: the three squats of its hand count."""
    clip = FOOTAGE / "squat__yuyoujiang.mp4"
    if not clip.exists():
        pytest.skip(f"no shared footage at {FOOTAGE}")
    res = shoot("--source", str(clip), "-e", "squat", "--out", str(tmp_path), timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "squat: 3 reps counted in squat__yuyoujiang.mp4" in res.stdout
    for name in REAL_SCREENS:
        assert png_size(tmp_path / f"{name}.png") == (1366, 768), name
