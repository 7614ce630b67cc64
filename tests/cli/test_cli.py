"""The command line, called in-process: ``main(argv) -> int``, errors as one ``ERROR ...`` line.

Tests marked ``model`` run the real pose model on tiny generated videos (no
person in them); they are skipped when the model in models/ cannot be found.
"""

from __future__ import annotations

import csv
import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from posecoach.cli import batch as analyze
from posecoach.io import pose_model as model_mod
from posecoach.cli.main import main
from posecoach.errors import ModelError, OutputError
from posecoach.core.exercise import exercise_files


def err_lines(captured) -> list[str]:
    """stderr lines from posecoach itself (native libraries may add their own log lines)."""
    return [ln for ln in captured.err.splitlines() if ln.startswith(("ERROR", "warning", "Traceback"))]


def assert_clean_errors(captured) -> list[str]:
    assert "Traceback" not in captured.err
    lines = [ln for ln in err_lines(captured) if ln.startswith("ERROR")]
    assert lines
    return lines


@pytest.fixture
def no_model_needed(monkeypatch):
    """For paths that fail before any video is read: pretend the model is there."""
    monkeypatch.setattr(model_mod, "find_model", lambda path=None: Path("pose_landmarker.task"))


@pytest.fixture(scope="module")
def pose_model() -> Path:
    try:
        return model_mod.find_model()
    except ModelError as e:
        pytest.skip(f"no pose model: {e}")


def tiny_video(path: Path, frames: int = 12, size: tuple[int, int] = (160, 120)) -> Path:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    assert w.isOpened()
    rng = np.random.default_rng(0)
    for i in range(frames):
        img = np.full((size[1], size[0], 3), 60 + 5 * i, np.uint8)
        img[10:30, 10 + i:40 + i] = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
        w.write(img)
    w.release()
    return path


# --------------------------------------------------------------------------- exercises


def test_exercises_lists_the_ids(capsys):
    assert main(["exercises"]) == 0
    out = capsys.readouterr()
    ids = {ln.split()[0] for ln in out.out.splitlines() if ln.strip()}
    assert ids == {p.stem for p in exercise_files()}
    assert {"squat", "glute_bridge", "pelvic_tilt"} <= ids
    assert out.err == ""


def test_validate_good_file(capsys):
    good = next(p for p in exercise_files() if p.stem == "squat")
    assert main(["exercises", "validate", str(good)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"ok  {good}: squat (")
    assert out.err == ""


def test_validate_bad_file_is_one_error_line(tmp_path, capsys):
    data = yaml.safe_load(next(p for p in exercise_files() if p.stem == "squat").read_text())
    data["rep"]["peak"] = "deep"
    bad = tmp_path / "squat.yaml"
    bad.write_text(yaml.safe_dump(data))
    good = next(p for p in exercise_files() if p.stem == "glute_bridge")
    assert main(["exercises", "validate", str(good), str(bad)]) == 1
    out = capsys.readouterr()
    assert out.err == f"ERROR {bad}: rep.peak: expected a number, got 'deep'\n"
    assert f"ok  {good}: glute_bridge" in out.out


def test_validate_without_files(capsys):
    assert main(["exercises", "validate"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_broken_file_in_the_folder_fails_the_listing(tmp_path, monkeypatch, capsys):
    (tmp_path / "oops.yaml").write_text("- not\n- a mapping\n")
    (tmp_path / "squat.yaml").write_text(next(p for p in exercise_files() if p.stem == "squat").read_text())
    monkeypatch.setenv("POSECOACH_EXERCISES", str(tmp_path))
    assert main(["exercises"]) == 1
    out = capsys.readouterr()
    assert out.out.split()[0] == "squat"
    assert out.err.startswith(f"ERROR {tmp_path / 'oops.yaml'}: expected a mapping")
    assert out.err.count("\n") == 1


# --------------------------------------------------------------------------- analyze: set-up errors


def test_analyze_missing_video(tmp_path, capsys, no_model_needed):
    missing = tmp_path / "missing.mp4"
    code = main(["analyze", str(missing), "--exercise", "squat", "--out", str(tmp_path / "out"), "-q"])
    assert code != 0
    lines = assert_clean_errors(capsys.readouterr())
    assert f"ERROR {missing}: no such file or folder" in lines
    assert not (tmp_path / "out").exists()


def test_analyze_unknown_exercise(tmp_path, capsys):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"")
    code = main(["analyze", str(video), "--exercise", "sqat", "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    out = capsys.readouterr()
    assert out.err == "ERROR unknown exercise 'sqat': did you mean 'squat'? run `posecoach exercises` to list them\n"


def test_analyze_missing_model(tmp_path, capsys):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"")
    code = main(["analyze", str(video), "--exercise", "squat", "--model", str(tmp_path / "none.task"),
                 "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert len(lines) == 1 and "none.task" in lines[0]


# --------------------------------------------------------------------------- output errors


def full_disk(monkeypatch):
    """Every write through analyze._atomic_write fails with ENOSPC (the file is opened, then the write fails)."""
    real = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(analyze.os, "fdopen", lambda fd, *a, **k: Full(real(fd, *a, **k)))


def test_full_disk_is_one_line_and_leaves_no_partial_file(tmp_path, monkeypatch):
    full_disk(monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(OutputError) as info:
        analyze.write_result({"source": "a.mp4", "reps": 0, "rep_details": []}, out, "a")
    assert str(info.value) == f"{out / 'a.json'}: the disk is full; free some space and run again"
    assert list(out.iterdir()) == []


def test_other_write_errors_name_the_cause(tmp_path, monkeypatch):
    def deny(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(analyze.os, "replace", deny)
    with pytest.raises(OutputError) as info:
        analyze.write_result({"source": "a.mp4", "error": "x"}, tmp_path, "a")
    assert str(info.value) == f"{tmp_path / 'a.json'}: cannot write (Permission denied); check the folder and its permissions"
    assert list(tmp_path.iterdir()) == []


def test_full_disk_through_the_cli(tmp_path, monkeypatch, capsys, no_model_needed):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"\0" * 10)
    fake = {"source": str(video), "exercise": "squat", "reps": 0, "duration_s": 0.0, "frames": 1,
            "frames_with_pose": 0, "frames_usable": 0, "rep_details": [], "faults": {}, "cues": [], "warnings": []}
    monkeypatch.setattr(analyze, "analyze_video", lambda path, opts, **kw: dict(fake))
    full_disk(monkeypatch)
    out = tmp_path / "out"
    assert main(["analyze", str(video), "--exercise", "squat", "--out", str(out), "-q"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"ERROR {out / 'a.json'}: the disk is full; free some space and run again\n"


# --------------------------------------------------------------------------- analyze with the model


@pytest.mark.model
def test_batch_with_corrupt_and_empty_videos(tmp_path, capsys, pose_model):
    good = tiny_video(tmp_path / "good.mp4")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    code = main(["analyze", str(good), str(corrupt), str(empty), "--exercise", "squat", "--out", str(out), "-q"])
    assert code == 1
    captured = capsys.readouterr()
    lines = assert_clean_errors(captured)
    assert len(lines) == 2
    assert lines[0].startswith(f"ERROR {corrupt}: ") and lines[1].startswith(f"ERROR {empty}: ")
    assert any(ln.startswith("warning good.mp4: no person") for ln in err_lines(captured))

    for name in ("good.json", "good_reps.csv", "corrupt.json", "empty.json", "summary.csv", "report.md"):
        assert (out / name).is_file(), name
    res = json.loads((out / "good.json").read_text())
    assert res["reps"] == 0 and res["frames"] == 12 and res["frames_with_pose"] == 0
    assert res["duration_s"] == pytest.approx(1.2, abs=0.01)
    assert any("no person" in w for w in res["warnings"])
    assert "error" in json.loads((out / "corrupt.json").read_text())
    assert json.loads((out / "empty.json").read_text())["error"].startswith(f"{empty}: ")
    with open(out / "good_reps.csv", newline="") as f:
        assert next(csv.reader(f)) == analyze.REP_CSV_FIELDS + analyze.REP_CSV_EXPLAINED
    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [Path(r["source"]).name for r in rows] == ["good.mp4", "corrupt.mp4", "empty.mp4"]
    assert rows[0]["reps"] == "0" and rows[0]["error"] == "" and rows[1]["error"] and rows[2]["error"]
    report = (out / "report.md").read_text()
    assert "| good.mp4 | 0 |" in report and report.count("ERROR:") == 2


@pytest.mark.model
def test_full_disk_during_a_real_batch(tmp_path, monkeypatch, capsys, pose_model):
    good = tiny_video(tmp_path / "good.mp4", frames=4)
    full_disk(monkeypatch)
    out = tmp_path / "out"
    assert main(["analyze", str(good), "--exercise", "squat", "--out", str(out), "-q"]) == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {out / 'good.json'}: the disk is full; free some space and run again"]
