"""The batch ``posecoach analyze`` loses nothing and crashes on nothing: one result per input under
a name no other input shares, one error entry (never a traceback, never a dead batch) for a video
whatever goes wrong with it, and one-line errors for output problems.

Most tests stand a fake estimator in for MediaPipe (``batch._pose_estimator``): the videos are
tiny generated clips without a person, and what is checked is the batch around the model.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from posecoach.cli import batch
from posecoach.cli import output as output_mod
from posecoach.cli.main import main

from test_cli import assert_clean_errors, no_model_needed, tiny_video  # noqa: F401


class NoPerson:
    """An estimator that finds nobody (what the model says on these clips), fast."""

    def detect(self, image_bgr, t_s):
        return None

    def close(self):
        pass


@pytest.fixture
def fake_model(monkeypatch, no_model_needed):  # noqa: F811
    monkeypatch.setattr(batch, "_pose_estimator", lambda opts, posture="any", **_: NoPerson())


def strict_json(path: Path) -> dict:
    """The file as JSON, refusing NaN/Infinity (which ``json`` accepts, but JSON does not)."""
    def refuse(name):
        raise ValueError(f"{path}: {name} is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def only(out: Path, prefix: str) -> Path:
    """The one result JSON of the video ``prefix.*`` (whatever the naming scheme)."""
    (found,) = out.glob(f"{prefix}.*json")
    return found


def summary_rows(out: Path) -> list[dict]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- one result per input


def test_same_file_names_in_two_folders_give_three_results(tmp_path, capsys, fake_model):
    """d1/a.mp4, d1/a_2.mp4 and d2/a.mp4 wrote two result files (d2/a.mp4 got a_2.json, overwriting
    the result of d1/a_2.mp4)."""
    for rel in ("d1/a.mp4", "d1/a_2.mp4", "d2/a.mp4"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        tiny_video(tmp_path / rel, frames=4)
    out = tmp_path / "out"
    assert main(["analyze", str(tmp_path / "d1"), str(tmp_path / "d2"), "-e", "squat", "-o", str(out), "-q"]) == 0
    results = sorted(out.glob("*.json"))
    assert len(results) == 3
    sources = {strict_json(p)["source"] for p in results}
    assert sources == {str(tmp_path / rel) for rel in ("d1/a.mp4", "d1/a_2.mp4", "d2/a.mp4")}
    # a stem no other input has keeps its plain name (<stem>.json, as scripts expect); the two a.mp4
    # are told apart by their paths
    assert {p.name for p in results} == {"d1%2Fa.mp4.json", "a_2.json", "d2%2Fa.mp4.json"}
    report = (out / "report.md").read_text()
    assert "| d1/a.mp4 |" in report and "| d2/a.mp4 |" in report  # told apart in the report too
    # the same input, the same name, whatever the order of the arguments
    out2 = tmp_path / "out2"
    assert main(["analyze", str(tmp_path / "d2"), str(tmp_path / "d1"), "-e", "squat", "-o", str(out2), "-q"]) == 0
    assert sorted(p.name for p in out2.glob("*.json")) == [p.name for p in results]
    for p in results:
        assert strict_json(out2 / p.name)["source"] == strict_json(p)["source"]


@pytest.mark.parametrize("rels", [
    ["d1/a.mp4", "d1/a_2.mp4", "d2/a.mp4"],
    ["a.mp4", "a.mov", "a.mov.mp4", "a.MP4"],                 # the suffix is part of the name
    ["x/y%2Fz.mp4", "x%2Fy/z.mp4", "x/y/z.mp4"],             # an escape in a real name stays apart
    ["q/a?.mp4", "q/a%3F.mp4", "q/a%.mp4", "q/a%25.mp4"],
    ["a.mp4", "a.mov", "a.mp4.mp4"],                         # a plain stem equal to another's path name
])
def test_output_names_never_collide(rels):
    names = batch.output_names([Path("/base") / r for r in rels])
    assert len(set(names)) == len(names)
    assert all("/" not in n and "\\" not in n for n in names)


def test_output_names_are_portable_and_bounded():
    bad = os.fsdecode(b"/v/bad\xff.mp4")
    names = batch.output_names([Path(bad), Path("/v/ok.mp4"), Path("/v/" + "x" * 300 + ".mp4")])
    assert names[0] == "bad%FF.mp4" and names[1] == "ok"
    assert len(names[2].encode()) <= 200 and "%~" in names[2]
    for n in names:
        n.encode("utf-8")  # a name every file system takes
    # replays: the _landmarks.jsonl of analyze --save-landmarks is dropped; a name without it keeps a mark
    assert batch.output_names([Path("/r/clip_landmarks.jsonl"), Path("/r/clip")], strip="_landmarks.jsonl") == \
        ["clip", "clip%"]


# --------------------------------------------------------------------------- any failure is one video's


class Explodes(NoPerson):
    def detect(self, image_bgr, t_s):
        raise RuntimeError("CalculatorGraph::Run() failed: \nCalculator::Process() for node\n  RET_CHECK failure")


def test_any_exception_fails_only_its_video(tmp_path, monkeypatch, capsys, no_model_needed):  # noqa: F811
    """A MediaPipe RuntimeError used to end the batch with a traceback (only PosecoachError and
    MemoryError were caught per video)."""
    bad = tiny_video(tmp_path / "bad.mp4", frames=4)
    good = tiny_video(tmp_path / "good.mp4", frames=4)
    calls = []

    def estimator(opts, posture="any", **_):
        calls.append(1)
        return Explodes() if len(calls) == 1 else NoPerson()

    monkeypatch.setattr(batch, "_pose_estimator", estimator)
    out = tmp_path / "out"
    assert main(["analyze", str(bad), str(good), "-e", "squat", "-o", str(out), "-q"]) == 1
    lines = assert_clean_errors(capsys.readouterr())
    assert len(lines) == 1 and lines[0].startswith(f"ERROR {bad}: ") and "RuntimeError" in lines[0]
    err = strict_json(out / "bad.json")["error"]
    assert "\n" not in err and "RuntimeError: CalculatorGraph::Run() failed:" in err
    assert strict_json(out / "good.json")["frames"] == 4
    rows = summary_rows(out)
    assert [r["error"] != "" for r in rows] == [True, False] and "RuntimeError" in rows[0]["error"]
    assert "| bad.mp4 | - | - | - | - | ERROR: " in (out / "report.md").read_text()


@pytest.mark.slow
def test_any_exception_fails_only_its_video_on_dask(tmp_path, monkeypatch, no_model_needed):  # noqa: F811
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(batch, "_pose_estimator", lambda opts, posture="any", **_: Explodes())
    video = tiny_video(tmp_path / "v.mp4", frames=3)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        results = batch.run_batch([video], batch.AnalyzeOptions(exercise="squat"), tmp_path / "out",
                                  show_progress=False, dask=cluster.scheduler_address)
    assert "RuntimeError" in results[0]["error"] and "\n" not in results[0]["error"]


@pytest.mark.model
@pytest.mark.slow
def test_a_model_with_swapped_members_fails_each_video_not_the_batch(tmp_path):
    """The real case: a .task bundle whose two networks are swapped passes the file checks, then
    MediaPipe raises a RuntimeError on the first frame: a traceback and no results.  Closing such
    a landmarker also failed, and its second close (at garbage collection) hung the process for
    ever: so this runs the command in a child process, with a time limit."""
    import zipfile

    from posecoach.errors import ModelError
    from posecoach.io.pose_model import find_model

    try:
        model = find_model()
    except ModelError as e:
        pytest.skip(f"no pose model: {e}")
    swapped = tmp_path / "swapped.task"
    with zipfile.ZipFile(model) as z, zipfile.ZipFile(swapped, "w") as o:
        o.writestr("pose_detector.tflite", z.read("pose_landmarks_detector.tflite"))
        o.writestr("pose_landmarks_detector.tflite", z.read("pose_detector.tflite"))
    videos = [tiny_video(tmp_path / f"{n}.mp4", frames=3) for n in ("a", "b", "c")]
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-m", "posecoach.cli", "analyze", *map(str, videos), "-e", "squat",
                          "-o", str(out), "-q", "--model", str(swapped)],
                         capture_output=True, text=True, env=env, timeout=90)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode == 1
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith("ERROR")]
    assert len(lines) == 3 and all("RuntimeError" in ln for ln in lines)
    assert [r["error"] != "" for r in summary_rows(out)] == [True, True, True]


# --------------------------------------------------------------------------- file names that are not UTF-8


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_is_analysed_and_shown_escaped(tmp_path):
    """OpenCV segfaulted on such a name while the batch counted frames: the whole batch died
    (exit 139) and wrote nothing.  Run in a child process, so that a crash fails only this test."""
    folder = tmp_path / "v"
    folder.mkdir()
    tiny_video(folder / "ok.mp4", frames=4)
    bad = os.path.join(os.fsencode(folder), b"bad\xff.mp4")
    os.rename(tiny_video(folder / "tmp.mp4", frames=5), bad)
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import sys
        from posecoach.cli import batch
        from posecoach.io import pose_model

        class NoPerson:
            def detect(self, image, t):
                return None
            def close(self):
                pass

        pose_model.find_model = lambda path=None: "pose_landmarker.task"
        batch._pose_estimator = lambda opts, posture="any", **_: NoPerson()
        from posecoach.cli.main import main
        sys.exit(main(["analyze", {str(folder)!r}, "-e", "squat", "-o", {str(out)!r}, "-q"]))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    res = strict_json(out / "bad%FF.mp4.json")
    assert res["frames"] == 5 and res["source"] == str(folder / "bad\\xff.mp4")
    assert [r["source"] for r in summary_rows(out)] == [str(folder / "bad\\xff.mp4"), str(folder / "ok.mp4")]
    assert "| bad\\xff.mp4 | 0 |" in (out / "report.md").read_text(encoding="utf-8")
    assert b"bad\\xff.mp4" in run.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_opencv_name_links_a_non_utf8_name_and_cleans_up(tmp_path):
    from posecoach.io.sources import opencv_name

    bad = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"clip\xfe.mp4"))
    Path(bad).write_bytes(b"data")
    with opencv_name(bad) as name:
        name.encode("utf-8")
        assert name.endswith(".mp4") and Path(name).read_bytes() == b"data"
    assert not Path(name).exists() and not Path(name).parent.exists()
    with opencv_name(tmp_path / "plain.mp4") as name:
        assert name == str(tmp_path / "plain.mp4")


# --------------------------------------------------------------------------- inputs and outputs


def test_a_missing_input_is_a_row_of_the_summary_and_the_report(tmp_path, capsys, fake_model):
    good = tiny_video(tmp_path / "good.mp4", frames=3)
    missing = tmp_path / "missing.mp4"
    out = tmp_path / "out"
    assert main(["analyze", str(good), str(missing), "-e", "squat", "-o", str(out), "-q"]) == 1
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {missing}: no such file or folder"]
    rows = summary_rows(out)
    assert [r["source"] for r in rows] == [str(good), str(missing)]
    assert rows[1]["error"] == f"{missing}: no such file or folder"
    assert f"| missing.mp4 | - | - | - | - | ERROR: {missing}: no such file or folder |" in (out / "report.md").read_text()


def cut_video(path: Path, frames: int = 40) -> Path:
    """An MJPG AVI cut in the middle, as a copy or an upload that stopped: the header still
    says ``frames``, about half of them can be decoded."""
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (96, 64))
    rng = np.random.default_rng(0)
    for _ in range(frames):
        w.write(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    w.release()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_a_truncated_video_is_analysed_with_a_warning(tmp_path, capsys, fake_model):
    cut = cut_video(tmp_path / "cut.avi")
    whole = tiny_video(tmp_path / "whole.mp4", frames=6)
    out = tmp_path / "out"
    assert main(["analyze", str(cut), str(whole), "-e", "squat", "-o", str(out), "-q"]) == 0
    res = strict_json(only(out, "cut"))
    assert 10 <= res["frames"] <= 30
    missing = 40 - res["frames"]
    warning = next(w for w in res["warnings"] if "cut short" in w)
    assert f"{missing} of its 40 frames ({100 * missing / 40:.0f}%)" in warning
    assert not any("cut short" in w for w in strict_json(only(out, "whole"))["warnings"])
    assert any("cut.avi: the video seems cut short" in ln for ln in capsys.readouterr().err.splitlines())


def test_a_result_that_is_not_finite_becomes_an_error_entry(tmp_path, monkeypatch, no_model_needed):  # noqa: F811
    """A NaN in a result was written as ``NaN``: the JSON file was not JSON."""
    video = tiny_video(tmp_path / "v.mp4", frames=3)
    fake = {"source": str(video), "exercise": "squat", "reps": 0, "duration_s": float("nan"), "frames": 3,
            "frames_with_pose": 0, "frames_usable": 0, "rep_details": [], "faults": {}, "cues": [], "warnings": []}
    monkeypatch.setattr(batch, "analyze_video", lambda path, opts, **kw: dict(fake))
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-e", "squat", "-o", str(out), "-q"]) == 1
    assert "not a number" in strict_json(only(out, "v"))["error"]
    with pytest.raises(ValueError):
        batch.write_result(fake, tmp_path, "direct")  # never written as NaN, whoever calls it


# --------------------------------------------------------------------------- output errors


def test_out_pointing_at_a_file_is_one_line(tmp_path, capsys, fake_model):
    video = tiny_video(tmp_path / "v.mp4", frames=3)
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    assert main(["analyze", str(video), "-e", "squat", "-o", str(afile), "-q"]) == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {afile} is a file, not a folder; pass a folder with --out (it is created if missing)"]
    assert main(["analyze", str(video), "-e", "squat", "-o", str(afile / "sub"), "-q"]) == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {afile / 'sub'}: part of this path is a file, not a folder; pass another folder with --out"]
    assert afile.read_text() == "keep me"
    rec = tmp_path / "r_landmarks.jsonl"
    rec.write_text('{"t": 0.0, "pose": null}\n')
    assert main(["replay", str(rec), "-e", "squat", "-o", str(afile)]) == 2
    assert assert_clean_errors(capsys.readouterr())[0].startswith(f"ERROR {afile} is a file, not a folder")


def test_out_on_a_read_only_file_system_is_one_line(tmp_path, monkeypatch, capsys, fake_model):
    video = tiny_video(tmp_path / "v.mp4", frames=3)

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)
    monkeypatch.setattr(output_mod.tempfile, "TemporaryFile", read_only)
    out = tmp_path / "ro" / "out"
    assert main(["analyze", str(video), "-e", "squat", "-o", str(out), "-q"]) == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {out}: the file system is read-only; pass another folder with --out"]


def test_a_closed_stdout_ends_quietly(tmp_path):
    """``posecoach exercises | head -1`` (the reader gone before we write): BrokenPipeError traceback."""
    r, w = os.pipe()
    os.close(r)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        run = subprocess.run([sys.executable, "-m", "posecoach.cli", "exercises"], stdout=w,
                             stderr=subprocess.PIPE, env=env, timeout=60)
    finally:
        os.close(w)
    assert run.stderr == b""
    assert run.returncode == 141


def test_report_out_pointing_at_a_file_is_one_line(tmp_path, capsys):
    """``posecoach report Ann --out FILE`` ended in a FileExistsError traceback."""
    from posecoach.clinic import Clinic

    with Clinic() as c:
        c.add_patient("Ann")
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    assert main(["report", "Ann", "--out", str(afile)]) == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {afile} is a file, not a folder; pass a folder with --out (it is created if missing)"]
    assert afile.read_text() == "keep me"
    assert main(["report", "Nobody", "--out", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()
